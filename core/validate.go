package core

import (
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"net"
	"os"
	"strconv"
	"strings"
)

// Validate reports the first invalid field of c as a [*ConfigError]. It
// reads SSLCALocation but never touches the network, nor SpoolDir: New
// opens the spool, and fails if it cannot. New calls it.
func (c Config) Validate() error {
	_, err := c.resolve()
	return err
}

// resolved is a validated Config with defaults applied and the TLS
// configuration built.
type resolved struct {
	Config
	tls *tls.Config // nil without TLS

	// The spool's options that tests set: its file system (nil: the
	// operating system's) and the target size of its segments (0: the
	// spool's default).
	spoolFS           spoolFS
	spoolSegmentBytes int64
}

// resolve validates c and applies its defaults. Each check names the
// field it finds wrong in a *ConfigError.
func (c Config) resolve() (*resolved, error) {
	// Negatives first: the defaults only replace zeros.
	if err := c.checkNotNegative(); err != nil {
		return nil, err
	}
	// Before the defaults, which cannot be told from settings.
	if err := checkSASL(c); err != nil {
		return nil, err
	}
	// The one default that depends on another field: an empty protocol
	// is SSL if TLS is set. Errors about the protocol say so.
	impliedProtocol := c.SecurityProtocol == ""
	c = c.withDefaults()
	// Dial what is validated: " b:9092" (from strings.Split of "a, b")
	// passes as b:9092 and is dialled as b:9092.
	c.Brokers = trimAll(c.Brokers)
	checkSecurity := func() error { return c.checkSecurity(impliedProtocol) }
	for _, check := range []func() error{c.checkBrokers, c.checkLimits, c.checkPolicies, c.checkSpool, checkSecurity} {
		if err := check(); err != nil {
			return nil, err
		}
	}
	r := &resolved{Config: c}
	if c.SecurityProtocol.usesTLS() {
		cfg, err := c.buildTLS()
		if err != nil {
			return nil, err
		}
		r.tls = cfg
	}
	return r, nil
}

func bad(field, format string, args ...any) error {
	return &ConfigError{Field: field, Reason: fmt.Sprintf(format, args...)}
}

func (c *Config) checkNotNegative() error {
	for _, f := range []struct {
		name string
		v    int64
	}{
		{"BatchSizeLimit", int64(c.BatchSizeLimit)},
		{"Period", int64(c.Period)},
		{"QueueLimit", int64(c.QueueLimit)},
		{"QueueByteLimit", int64(c.QueueByteLimit)},
		{"BlockTimeout", int64(c.BlockTimeout)},
		{"MaxEntryBytes", int64(c.MaxEntryBytes)},
		{"MaxBatchBytes", int64(c.MaxBatchBytes)},
		{"MaxInFlight", int64(c.MaxInFlight)},
		{"RetryTimeLimit", int64(c.RetryTimeLimit)},
		{"MinBackoff", int64(c.MinBackoff)},
		{"MaxBackoff", int64(c.MaxBackoff)},
		{"WriteTimeout", int64(c.WriteTimeout)},
		{"SyncTimeout", int64(c.SyncTimeout)},
		{"DialTimeout", int64(c.DialTimeout)},
		{"SpoolByteLimit", c.SpoolByteLimit},
		{"SpoolInterval", int64(c.SpoolInterval)},
	} {
		if f.v < 0 {
			return bad(f.name, "must not be negative (zero means the default), got %d", f.v)
		}
	}
	return nil
}

func trimAll(ss []string) []string {
	out := make([]string, len(ss))
	for i, s := range ss {
		out[i] = strings.TrimSpace(s)
	}
	return out
}

func (c *Config) checkBrokers() error {
	for i, b := range c.Brokers {
		field := "Brokers[" + strconv.Itoa(i) + "]"
		host, port, err := net.SplitHostPort(b)
		if err != nil {
			return bad(field, "%q is not host:port", b)
		}
		if host == "" {
			return bad(field, "%q has no host", b)
		}
		if n, err := strconv.Atoi(port); err != nil || n <= 0 || n > 65535 {
			return bad(field, "%q has no valid port", b)
		}
	}
	if err := checkTopicName(c.Topic); err != nil {
		return bad("Topic", "%v", err)
	}
	for i, h := range c.Headers {
		if h.Key == "" {
			return bad("Headers["+strconv.Itoa(i)+"]", "empty key")
		}
	}
	return nil
}

// checkLimits checks the sizes and limits against each other: a batch
// must be able to fill before the queue is full or sheds, and an entry
// must fit in a batch and in the queue.
func (c *Config) checkLimits() error {
	if !(c.ShedThreshold > 0) { // also NaN
		return bad("ShedThreshold", "must be positive (1 turns shedding off), got %v", c.ShedThreshold)
	}
	if c.ShedLevel < NoLevel || c.ShedLevel > FatalLevel {
		return bad("ShedLevel", "unknown level %d", int(c.ShedLevel))
	}
	if c.QueueLimit < 2 {
		return bad("QueueLimit", "%d cannot hold a batch and the next entry: want at least 2", c.QueueLimit)
	}
	if c.BatchSizeLimit >= c.QueueLimit {
		return bad("BatchSizeLimit", "%d is not below QueueLimit %d: the queue would be full before a batch is", c.BatchSizeLimit, c.QueueLimit)
	}
	if c.ShedThreshold < 1 {
		if shed := shedPoint(c.QueueLimit, c.ShedThreshold); c.BatchSizeLimit > shed {
			return bad("BatchSizeLimit", "%d is above the shedding point, ShedThreshold %v of QueueLimit %d (%d entries): entries below ShedLevel would be shed before a batch is full",
				c.BatchSizeLimit, c.ShedThreshold, c.QueueLimit, shed)
		}
	}
	if c.MaxBackoff < c.MinBackoff {
		return bad("MaxBackoff", "%v is less than MinBackoff %v", c.MaxBackoff, c.MinBackoff)
	}
	if c.MaxEntryBytes > c.MaxBatchBytes {
		return bad("MaxEntryBytes", "%d is more than MaxBatchBytes %d: such an entry could never be sent", c.MaxEntryBytes, c.MaxBatchBytes)
	}
	if c.MaxEntryBytes > c.QueueByteLimit {
		return bad("MaxEntryBytes", "%d is more than QueueByteLimit %d", c.MaxEntryBytes, c.QueueByteLimit)
	}
	return nil
}

// minSpoolByteLimit is the least SpoolByteLimit: a few segments.
const minSpoolByteLimit = 1 << 20

// checkSpool checks the spool's settings: only with SpoolDir, and a
// SpoolByteLimit that holds a few of the largest entries. Whether
// SpoolDir can be written is New's to find out.
func (c *Config) checkSpool() error {
	if c.SpoolDir == "" {
		for _, f := range []struct {
			name string
			set  bool
		}{
			{"SpoolByteLimit", c.SpoolByteLimit != 0},
			{"SpoolInterval", c.SpoolInterval != 0},
			{"SpoolSync", c.SpoolSync != 0},
		} {
			if f.set {
				return bad(f.name, "set, but SpoolDir is empty: there is no spool (set SpoolDir for durable mode)")
			}
		}
		return nil
	}
	if least := max(minSpoolByteLimit, 2*int64(c.MaxEntryBytes)); c.SpoolByteLimit < least {
		return bad("SpoolByteLimit", "%d is less than %d: want at least 1 MiB and twice MaxEntryBytes %d", c.SpoolByteLimit, least, c.MaxEntryBytes)
	}
	return nil
}

func (c *Config) checkPolicies() error {
	switch c.OverflowPolicy {
	case DropNewest, DropOldest, Block:
	default:
		return bad("OverflowPolicy", "unknown policy %d", int(c.OverflowPolicy))
	}
	switch c.RequiredAcks {
	case AcksAll, AcksLeader, AcksNone:
	default:
		return bad("RequiredAcks", "unknown value %d", int(c.RequiredAcks))
	}
	// Accepted in any case, as ParseCompression reads it: the codec is
	// chosen by the lower-case name.
	codec, err := ParseCompression(string(c.Compression))
	if err != nil {
		return bad("Compression", "%v", err)
	}
	c.Compression = codec
	return nil
}

// checkSecurity checks the security protocol against the SASL and TLS
// settings: a setting the protocol would ignore is an error, whose message
// names both fields. implied says that SecurityProtocol was empty and is
// the default (PLAINTEXT, or SSL because TLS is set).
func (c *Config) checkSecurity(implied bool) error {
	switch c.SecurityProtocol {
	case Plaintext, SSL, SASLPlaintext, SASLSSL:
	default:
		return bad("SecurityProtocol", "unknown protocol %q (want PLAINTEXT, SSL, SASL_PLAINTEXT or SASL_SSL)", string(c.SecurityProtocol))
	}
	// value is the protocol as the user set it, protocol the phrase that
	// names the field with it: "SecurityProtocol PLAINTEXT", or
	// "SecurityProtocol (empty, so PLAINTEXT)".
	value := string(c.SecurityProtocol)
	protocol := "SecurityProtocol " + value
	if implied {
		value = "empty, so " + value
		if c.TLS != nil {
			value += " since TLS is set"
		}
		protocol = "SecurityProtocol (" + value + ")"
	}
	if c.SecurityProtocol.usesSASL() && c.SASL == nil { // checkSASL checked SASL
		switch c.SASLMechanism {
		case Plain, ScramSHA256, ScramSHA512:
		default:
			return bad("SASLMechanism", "unknown mechanism %q (want PLAIN, SCRAM-SHA-256 or SCRAM-SHA-512)", string(c.SASLMechanism))
		}
		if c.SASLUsername == "" {
			return bad("SASLUsername", "required with %s", c.SecurityProtocol)
		}
		if c.SASLPassword == "" {
			return bad("SASLPassword", "required with %s", c.SecurityProtocol)
		}
	} else if c.SASLUsername != "" || c.SASLPassword != "" {
		return bad("SecurityProtocol", "%s, which does not use SASL, but SASLUsername or SASLPassword is set (want SASL_PLAINTEXT or SASL_SSL)", value)
	}
	if !c.SecurityProtocol.usesTLS() {
		// TLS cannot be set here with an empty protocol: that is SSL.
		if c.TLS != nil {
			return bad("TLS", "set, but %s does not use TLS: a contradiction (want SecurityProtocol SSL or SASL_SSL, or empty for SSL)", protocol)
		}
		if c.SSLCALocation != "" {
			return bad("SSLCALocation", "set, but %s does not use TLS: a contradiction (want SecurityProtocol SSL or SASL_SSL)", protocol)
		}
	}
	return nil
}

// buildTLS returns the TLS configuration for SSL and SASL_SSL.
func (c *Config) buildTLS() (*tls.Config, error) {
	cfg := &tls.Config{MinVersion: tls.VersionTLS12}
	if c.TLS != nil {
		cfg = c.TLS.Clone()
	}
	if c.SSLCALocation != "" {
		pem, err := os.ReadFile(c.SSLCALocation)
		if err != nil {
			return nil, bad("SSLCALocation", "cannot read CA file: %v", err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, bad("SSLCALocation", "%q holds no PEM certificate", c.SSLCALocation)
		}
		cfg.RootCAs = pool
	}
	return cfg, nil
}
