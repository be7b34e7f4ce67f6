// Command quickstart shows kafkasink end to end in one run, with nothing
// installed: it starts an in-process Kafka cluster of 3 brokers, logs a
// burst of requests through zap, through zerolog and through log/slog into
// one sink, sends
// errors to a topic of their own with a TopicDecider, flushes, reads every
// topic back with an independent client, and prints what landed where: the
// count per topic (expected and found), a few sample records and the
// sink's Stats. It exits 1 if any entry is missing or in the wrong topic.
//
//	go run ./examples/quickstart
//	go run ./examples/quickstart -requests 5000
//
// With KAFKA_BROKERS set, it does the same against that cluster, on new
// topics named after the run (quickstart-logs-<run id> and
// quickstart-logs-<run id>-errors), which it creates if it may (3
// partitions, the brokers' replication factor) or else leaves to the
// brokers' auto-creation. The security settings are those of the consumer
// example:
//
//	KAFKA_BROKERS            comma-separated host:port
//	KAFKA_SECURITY_PROTOCOL  PLAINTEXT (default), SSL, SASL_PLAINTEXT or SASL_SSL
//	KAFKA_SASL_MECHANISM     PLAIN (default), SCRAM-SHA-256 or SCRAM-SHA-512
//	KAFKA_SASL_USERNAME      SASL user
//	KAFKA_SASL_PASSWORD      SASL password
//	KAFKA_SSL_CA_LOCATION    PEM file of the CA certificates; default: the system's
//	KAFKA_TOPIC              topic to use instead (errors go to <topic>-errors); entries of
//	                         other runs in it are ignored, but it is read whole
//
//	KAFKA_BROKERS=localhost:9092 go run ./examples/quickstart
//	go run ./examples/quickstart -h
package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	mrand "math/rand/v2"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/rs/zerolog"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"

	"github.com/kafkasink/kafkasink/core"
	"github.com/kafkasink/kafkasink/integration/kafkatest"
	"github.com/kafkasink/kafkasink/slogsink"
	"github.com/kafkasink/kafkasink/zapsink"
	"github.com/kafkasink/kafkasink/zerologsink"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr, os.Getenv)
	stop()
	os.Exit(code)
}

// run is the program without signal handling and exiting, for tests. It
// reads flags from args and the cluster's settings through getenv, prints
// its progress and results on stdout and its errors on stderr, and returns
// the exit code: 0 if every entry landed where it should, 1 if not, 2 for
// bad flags or settings.
func run(ctx context.Context, args []string, stdout, stderr io.Writer, getenv func(string) string) int {
	fs := flag.NewFlagSet("quickstart", flag.ContinueOnError)
	fs.SetOutput(stderr)
	requests := fs.Int("requests", 1000, "requests each service logs (one through zap, one through zerolog, one through slog)")
	timeout := fs.Duration("timeout", 30*time.Second, "how long to wait for the flush, and for reading back")
	seed := fs.Uint64("seed", 1, "seed of the simulated traffic")
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "Usage: quickstart [flags]\n\n"+
			"Logs a burst through zap, zerolog and slog into Kafka, reads it back and checks it.\n"+
			"Without %s it starts an embedded 3-broker cluster. Variables for a real cluster:\n"+
			"  %s %s %s %s %s %s %s\n\nFlags:\n",
			envBrokers, envBrokers, envProtocol, envMechanism, envUsername, envPassword, envCA, envTopic)
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	if *requests < 1 || *timeout <= 0 || fs.NArg() > 0 {
		fmt.Fprintln(stderr, "quickstart: -requests and -timeout must be positive, and there are no arguments")
		return 2
	}
	t, external, err := externalTarget(getenv)
	if err != nil {
		fmt.Fprintln(stderr, "quickstart:", err)
		return 2
	}
	runID := newRunID()
	topic := strings.TrimSpace(getenv(envTopic))
	fmt.Fprintf(stdout, "kafkasink quickstart, run %s\n", runID)

	// 1. A cluster.
	if external {
		fmt.Fprintf(stdout, "[1/6] using the Kafka cluster at %s (%s)\n", strings.Join(t.brokers, ","), t.desc)
		if topic == "" {
			topic = "quickstart-logs-" + runID // fresh topics, so the counts are exact
		}
	} else {
		fmt.Fprintf(stdout, "[1/6] no %s: starting an embedded Kafka cluster (3 brokers)...\n", envBrokers)
		c, err := kafkatest.StartCluster()
		if err != nil {
			fmt.Fprintln(stderr, "quickstart:", err)
			return 1
		}
		defer c.Close()
		t = target{brokers: c.Addrs(), desc: "embedded, PLAINTEXT"}
		t.sink.Brokers = t.brokers
		fmt.Fprintf(stdout, "      brokers at %s\n", strings.Join(t.brokers, ","))
		if topic == "" {
			topic = "quickstart-logs"
		}
	}
	errTopic := topic + "-errors"
	topics := []string{topic, errTopic}

	// 2. Topics.
	fmt.Fprintf(stdout, "[2/6] creating topics %s and %s (3 partitions)...\n", topic, errTopic)
	if err := createTopics(ctx, t, topics); err != nil {
		fmt.Fprintf(stdout, "      could not create them (%v); relying on the brokers' auto-creation\n", err)
	} else {
		fmt.Fprintln(stdout, "      ok")
	}

	// 3. One sink, three loggers.
	route := func(level string) string {
		if l, _ := core.ParseLevel(level); l >= core.ErrorLevel {
			return errTopic
		}
		return topic
	}
	cfg := t.sink // brokers and security
	cfg.Topic = topic
	// Errors and above go to their own topic. Deciders run on the sink's
	// goroutine, after the log call returned; Level is set by every
	// adapter, and NoLevel sorts below every level.
	cfg.TopicDecider = func(e core.Entry) string {
		if e.Level >= core.ErrorLevel {
			return errTopic
		}
		return "" // cfg.Topic
	}
	// Records of one request share a key, so they stay in order on one
	// partition.
	cfg.KeyDecider = func(e core.Entry) []byte {
		v, ok := e.RawField("request_id")
		if !ok || len(v) < 2 || v[0] != '"' {
			return nil
		}
		return v[1 : len(v)-1]
	}
	sink, err := core.New(cfg)
	if err != nil {
		fmt.Fprintln(stderr, "quickstart:", err)
		return 2
	}
	// One sink serves the three loggers: the zap Core, the zerolog Writer
	// and the slog Handler only encode and hand entries over. Closing the
	// sink is our job.
	// zap's production JSON, with readable times and durations in
	// milliseconds, as zerolog writes them.
	enc := zap.NewProductionEncoderConfig()
	enc.EncodeTime = zapcore.ISO8601TimeEncoder
	enc.EncodeDuration = zapcore.MillisDurationEncoder
	zl := zap.New(zapsink.NewCore(sink, zapcore.NewJSONEncoder(enc), zapcore.InfoLevel)).
		With(zap.String("service", zapService), zap.String("run", runID))
	rl := zerolog.New(zerologsink.NewWriter(sink)).With().Timestamp().
		Str("service", zerologService).Str("run", runID).Logger()
	// slog's JSON as slog.NewJSONHandler writes it, but with durations in
	// milliseconds too, by ReplaceAttr.
	sl := slog.New(slogsink.NewHandler(sink, &slogsink.Options{ReplaceAttr: millis})).
		With("service", slogService, "run", runID)

	fmt.Fprintf(stdout, "[3/6] logging %d requests through zap (service %s), %d through zerolog (service %s) and %d through slog (service %s)\n",
		*requests, zapService, *requests, zerologService, *requests, slogService)
	exp := newExpected()
	zrng := mrand.New(mrand.NewPCG(*seed, 1))
	rrng := mrand.New(mrand.NewPCG(*seed, 2))
	srng := mrand.New(mrand.NewPCG(*seed, 3))
	step := max(*requests/4, 1)
	for i := range *requests {
		logZap(zl, newRequest(zrng, "chk", i), exp, route)
		logZerolog(rl, newRequest(rrng, "inv", i), exp, route)
		logSlog(sl, newRequest(srng, "pay", i), exp, route)
		if (i+1)%step == 0 || i+1 == *requests {
			st := sink.Stats()
			fmt.Fprintf(stdout, "      %5d/%d requests each: %d entries logged, %d delivered so far, %d queued\n",
				i+1, *requests, exp.total(), st.Delivered, st.QueueDepth)
		}
	}
	fmt.Fprintf(stdout, "      %d entries: %d info, %d warn, %d error\n",
		exp.total(), exp.levels["info"], exp.levels["warn"], exp.levels["error"])

	// 4. Flush and close.
	fmt.Fprintf(stdout, "[4/6] flushing (up to %v)...\n", *timeout)
	start := time.Now()
	fctx, cancel := context.WithTimeout(ctx, *timeout)
	flushErr := sink.Flush(fctx)
	cancel()
	if flushErr != nil {
		fmt.Fprintf(stdout, "      flush: %v\n", flushErr)
	} else {
		fmt.Fprintf(stdout, "      everything delivered in %v\n", time.Since(start).Round(time.Millisecond))
	}
	cctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	if err := sink.Close(cctx); err != nil && flushErr == nil {
		fmt.Fprintf(stdout, "      close: %v\n", err)
	}
	cancel()
	if ctx.Err() != nil {
		fmt.Fprintln(stdout, "interrupted")
		return 1
	}

	// 5. Read back.
	fmt.Fprintf(stdout, "[5/6] reading %s and %s back with a separate client...\n", topic, errTopic)
	rctx, cancel := context.WithTimeout(ctx, *timeout)
	results := verify(rctx, t, runID, topics, exp)
	cancel()

	// 6. Report.
	fmt.Fprintln(stdout, "[6/6] results")
	ok := printResults(stdout, results)
	printStats(stdout, sink.Stats())
	if !ok {
		fmt.Fprintln(stdout, "\nFAILED: some entries are missing or in the wrong topic (see above)")
		return 1
	}
	fmt.Fprintf(stdout, "\nOK: all %d entries landed where the TopicDecider sent them\n", exp.total())
	return 0
}

// millis is a slog ReplaceAttr that writes durations in milliseconds.
func millis(_ []string, a slog.Attr) slog.Attr {
	if a.Value.Kind() == slog.KindDuration {
		return slog.Int64(a.Key, a.Value.Duration().Milliseconds())
	}
	return a
}

// newRunID returns 6 random hex digits, to tell this run's entries and
// topics from others'.
func newRunID() string {
	b := make([]byte, 3)
	_, _ = rand.Read(b) // never fails
	return hex.EncodeToString(b)
}

// createTopics creates topics with 3 partitions and the brokers' default
// replication factor. Topics that exist already are fine.
func createTopics(ctx context.Context, t target, topics []string) error {
	cl, err := kgo.NewClient(append([]kgo.Opt{kgo.SeedBrokers(t.brokers...)}, t.read...)...)
	if err != nil {
		return err
	}
	defer cl.Close()
	ctx, cancel := context.WithTimeout(ctx, 15*time.Second)
	defer cancel()
	req := kmsg.NewPtrCreateTopicsRequest()
	req.TimeoutMillis = 10000
	for _, topic := range topics {
		rt := kmsg.NewCreateTopicsRequestTopic()
		rt.Topic = topic
		rt.NumPartitions = 3
		rt.ReplicationFactor = -1 // the brokers' default.replication.factor
		req.Topics = append(req.Topics, rt)
	}
	resp, err := req.RequestWith(ctx, cl)
	if err != nil {
		return err
	}
	var errs []error
	for _, rt := range resp.Topics {
		if err := kerr.ErrorForCode(rt.ErrorCode); err != nil && !errors.Is(err, kerr.TopicAlreadyExists) {
			errs = append(errs, fmt.Errorf("%s: %w", rt.Topic, err))
		}
	}
	return errors.Join(errs...)
}
