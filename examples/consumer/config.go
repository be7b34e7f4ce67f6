package main

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/segmentio/kafka-go"
	"github.com/segmentio/kafka-go/sasl"
	"github.com/segmentio/kafka-go/sasl/plain"
	"github.com/segmentio/kafka-go/sasl/scram"

	"github.com/kafkasink/kafkasink/core"
)

// config is the consumer's configuration, from flags and variables.
type config struct {
	brokers   []string // empty: start the embedded cluster
	topic     string
	group     string
	protocol  core.SecurityProtocol
	mechanism core.SASLMechanism
	username  string
	password  string
	caFile    string
	reset     string // "earliest" or "latest"

	batchSize int           // entries per printed batch
	period    time.Duration // longest wait between printed batches
	max       int           // stop after this many entries; 0: never
	output    string        // how entries are printed: one of outputs

	onFetch func(pending int) // test hook: called after each fetch; nil in main
}

// setting is a flag backed by an environment variable.
type setting struct {
	flag, env, usage string
	def              string  // used when neither the flag nor the variable is set
	dst              *string // the flag's value, then the resolved one
}

// parseConfig reads the flags in args, falls back on the variables read
// with getenv, and validates the result. The flags' defaults are empty, so
// that -h never prints a value taken from the environment.
func parseConfig(args []string, stderr io.Writer, getenv func(string) string) (config, error) {
	fs := flag.NewFlagSet("consumer", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var brokers, topic, group, protocol, mechanism, username, caFile, reset string
	settings := []setting{
		{"brokers", "KAFKA_BROKERS", "comma-separated `host:port` list; empty starts an embedded cluster", "", &brokers},
		{"topic", "KAFKA_TOPIC", "`topic` to read", "logs", &topic},
		{"group", "KAFKA_GROUP_ID", "consumer `group` id", "kafkasink-consumer", &group},
		{"security-protocol", "KAFKA_SECURITY_PROTOCOL", "PLAINTEXT, SSL, SASL_PLAINTEXT or SASL_SSL", "PLAINTEXT", &protocol},
		{"sasl-mechanism", "KAFKA_SASL_MECHANISM", "PLAIN, SCRAM-SHA-256 or SCRAM-SHA-512", "PLAIN", &mechanism},
		{"sasl-username", "KAFKA_SASL_USERNAME", "SASL `user`; the password is read from KAFKA_SASL_PASSWORD only", "", &username},
		{"ssl-ca-location", "KAFKA_SSL_CA_LOCATION", "PEM `file` of the CA certificates the brokers' certificates are checked against", "", &caFile},
		{"auto-offset-reset", "KAFKA_AUTO_OFFSET_RESET", "where a group with no committed offset starts: earliest or latest", "earliest", &reset},
	}
	for _, s := range settings {
		usage := s.usage + " (env " + s.env
		if s.def != "" {
			usage += `; default "` + s.def + `"`
		}
		fs.StringVar(s.dst, s.flag, "", usage+")")
	}
	cfg := config{}
	fs.IntVar(&cfg.batchSize, "batch", 10, "print a batch when this many entries are waiting")
	fs.DurationVar(&cfg.period, "period", 3*time.Second, "print what is waiting when this long has passed since the last batch")
	fs.IntVar(&cfg.max, "max", 0, "stop after this many entries (0: run until interrupted)")
	fs.StringVar(&cfg.output, "output", "raw", "how to print entries: raw (each record as it is), or text, serilog or clef,\n"+
		"reading every record whatever its shape: zap's, zerolog's or slog's JSON, Serilog JSON or CLEF")
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "Usage: consumer [flags]\n\n"+
			"Reads log entries from a Kafka topic as a consumer group and prints them in batches.\n"+
			"Without -brokers or KAFKA_BROKERS, it starts an embedded cluster with demo entries.\n\n")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return config{}, err
	}
	if fs.NArg() > 0 {
		return config{}, fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	for _, s := range settings {
		if *s.dst == "" {
			*s.dst = strings.TrimSpace(getenv(s.env))
		}
		if *s.dst == "" {
			*s.dst = s.def
		}
	}
	cfg.brokers = splitList(brokers)
	cfg.topic, cfg.group, cfg.username, cfg.caFile = topic, group, username, caFile
	cfg.password = getenv("KAFKA_SASL_PASSWORD")

	var err error
	if cfg.protocol, err = core.ParseSecurityProtocol(protocol); err != nil {
		return config{}, err
	}
	if cfg.mechanism, err = core.ParseSASLMechanism(mechanism); err != nil {
		return config{}, err
	}
	switch cfg.reset = strings.ToLower(reset); cfg.reset {
	case "earliest", "latest":
	case "smallest", "beginning":
		cfg.reset = "earliest"
	case "largest", "end":
		cfg.reset = "latest"
	default:
		return config{}, fmt.Errorf("unknown auto offset reset %q (want earliest or latest)", reset)
	}
	switch {
	case cfg.batchSize <= 0:
		return config{}, fmt.Errorf("-batch must be positive, got %d", cfg.batchSize)
	case cfg.period <= 0:
		return config{}, fmt.Errorf("-period must be positive, got %v", cfg.period)
	case cfg.max < 0:
		return config{}, fmt.Errorf("-max must not be negative, got %d", cfg.max)
	case !slices.Contains(outputs, cfg.output):
		return config{}, fmt.Errorf("unknown -output %q (want %s)", cfg.output, strings.Join(outputs, ", "))
	}
	// The embedded cluster speaks plaintext without SASL: a security
	// setting without a broker is a mistake worth reporting.
	if len(cfg.brokers) == 0 && (cfg.protocol != core.Plaintext || cfg.username != "" || cfg.caFile != "") {
		return config{}, errors.New("security settings given without brokers: set -brokers or KAFKA_BROKERS (the embedded cluster is plaintext)")
	}
	return cfg, cfg.check()
}

// check reports settings that do not go together, naming the flag and the
// variable to fix.
func (c config) check() error {
	sasl := c.protocol == core.SASLPlaintext || c.protocol == core.SASLSSL
	tls := c.protocol == core.SSL || c.protocol == core.SASLSSL
	switch {
	case sasl && c.username == "":
		return fmt.Errorf("%s needs a SASL user: set -sasl-username or KAFKA_SASL_USERNAME", c.protocol)
	case sasl && c.password == "":
		return fmt.Errorf("%s needs a SASL password: set KAFKA_SASL_PASSWORD", c.protocol)
	case !sasl && (c.username != "" || c.password != ""):
		return fmt.Errorf("a SASL user or password is set, but security protocol %s does not use SASL (want SASL_PLAINTEXT or SASL_SSL)", c.protocol)
	case !tls && c.caFile != "":
		return fmt.Errorf("a CA file is set, but security protocol %s does not use TLS (want SSL or SASL_SSL)", c.protocol)
	}
	return nil
}

// dialer returns the kafka-go dialer for c's security settings.
func (c config) dialer() (*kafka.Dialer, error) {
	d := &kafka.Dialer{
		ClientID:  "kafkasink-consumer",
		Timeout:   10 * time.Second,
		DualStack: true,
	}
	if c.protocol == core.SSL || c.protocol == core.SASLSSL {
		tc := &tls.Config{MinVersion: tls.VersionTLS12}
		if c.caFile != "" {
			pem, err := os.ReadFile(c.caFile)
			if err != nil {
				return nil, fmt.Errorf("CA file: %w", err)
			}
			pool := x509.NewCertPool()
			if !pool.AppendCertsFromPEM(pem) {
				return nil, fmt.Errorf("CA file %s holds no PEM certificate", c.caFile)
			}
			tc.RootCAs = pool
		}
		d.TLS = tc
	}
	if c.protocol == core.SASLPlaintext || c.protocol == core.SASLSSL {
		var m sasl.Mechanism
		switch c.mechanism {
		case core.Plain:
			m = plain.Mechanism{Username: c.username, Password: c.password}
		case core.ScramSHA256, core.ScramSHA512:
			algo := scram.SHA256
			if c.mechanism == core.ScramSHA512 {
				algo = scram.SHA512
			}
			var err error
			if m, err = scram.Mechanism(algo, c.username, c.password); err != nil {
				// Its message may quote the credentials: do not print it.
				return nil, errors.New("the SCRAM mechanism refused the user or password (not valid SASLprep strings)")
			}
		}
		d.SASLMechanism = m
	}
	return d, nil
}

// splitList splits a comma-separated list, dropping blanks.
func splitList(s string) []string {
	var out []string
	for _, f := range strings.Split(s, ",") {
		if f = strings.TrimSpace(f); f != "" {
			out = append(out, f)
		}
	}
	return out
}

// syncWriter serialises writes to w, which kafka-go's loggers and the
// main loop share.
type syncWriter struct {
	mu sync.Mutex
	w  io.Writer
}

// Write writes p to the underlying writer, holding the lock.
func (s *syncWriter) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.w.Write(p)
}
