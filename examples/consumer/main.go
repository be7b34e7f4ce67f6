// Command consumer is the reading side of kafkasink: it reads the log
// entries that a sink wrote to a topic, as a member of a consumer group, and
// prints them in batches, like the Confluent.Kafka consumer of the article
// the project started from.
//
// It joins the consumer group (-group), reads the topic (-topic), and
// prints the entries it has read when 10 of them are waiting or 3 seconds
// have passed since the last batch, whichever comes first. After printing
// a batch it commits the batch's offsets, so a consumer that is stopped
// and started again goes on where the group left off: delivery is
// at-least-once. A consume error is reported on stderr and the loop goes on.
// Ctrl-C (or SIGTERM) prints what is pending, commits it, leaves the group
// and exits.
//
// Without a broker (no -brokers flag, no KAFKA_BROKERS) it starts an
// in-process Kafka cluster of 3 brokers and logs demo entries into it
// through a kafkasink core.Sink: a burst of 25, then one a second, so that
// both the 10-entry and the 3-second batches show.
//
//	go run ./examples/consumer                       # embedded cluster, demo entries
//	go run ./examples/consumer -brokers localhost:9092 -topic logs -group log-printer
//	KAFKA_BROKERS=b1:9093 KAFKA_SECURITY_PROTOCOL=SASL_SSL KAFKA_SASL_MECHANISM=SCRAM-SHA-512 \
//	  KAFKA_SASL_USERNAME=reader KAFKA_SASL_PASSWORD=... KAFKA_SSL_CA_LOCATION=ca.pem \
//	  go run ./examples/consumer
//	go run ./examples/consumer -h                    # every flag and variable
//
// Every setting is a flag or an environment variable; a flag wins over its
// variable:
//
//	-brokers            KAFKA_BROKERS            comma-separated host:port; empty: embedded cluster
//	-topic              KAFKA_TOPIC              topic to read (default "logs")
//	-group              KAFKA_GROUP_ID           consumer group (default "kafkasink-consumer")
//	-security-protocol  KAFKA_SECURITY_PROTOCOL  PLAINTEXT, SSL, SASL_PLAINTEXT or SASL_SSL
//	-sasl-mechanism     KAFKA_SASL_MECHANISM     PLAIN, SCRAM-SHA-256 or SCRAM-SHA-512
//	-sasl-username      KAFKA_SASL_USERNAME
//	(no flag)           KAFKA_SASL_PASSWORD      kept out of the command line and of -h
//	-ssl-ca-location    KAFKA_SSL_CA_LOCATION    PEM file of CA certificates
//	-auto-offset-reset  KAFKA_AUTO_OFFSET_RESET  earliest or latest, for a group with no committed offset
//
// -batch, -period and -max change the batch size (10), the batch period
// (3s) and make the consumer stop after that many entries (0: never).
//
// -output picks how entries are printed. raw (the default) prints each
// record as it is. text, serilog and clef read every record whatever its
// shape (zap's, zerolog's or slog's JSON, Serilog's JsonFormatter as
// Serilog.Sinks.Kafka writes it, or CLEF: kafkasink's core.SerilogJSON and
// core.CLEF write those two for Go services), so that a topic that mixes
// them prints uniformly: as a line of text, as Serilog JSON or as CLEF.
//
//	go run ./examples/consumer -output text
//	2026-12-01T07:07:26.056Z WRN [http] slow request path="/api" status=200 exception="context deadline exceeded"
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr, os.Getenv)
	stop()
	os.Exit(code)
}

// run is the whole program, apart from signal handling and exiting, so
// that tests can call it: it reads flags from args and variables through
// getenv, prints entries to stdout and reports errors to stderr, and
// returns the exit code. It returns when ctx ends (Ctrl-C), after -max
// entries, or on a fatal error.
func run(ctx context.Context, args []string, stdout, stderr io.Writer, getenv func(string) string) int {
	stderr = &syncWriter{w: stderr} // kafka-go logs from its own goroutines
	cfg, err := parseConfig(args, stderr, getenv)
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	if err != nil {
		fmt.Fprintln(stderr, "consumer:", err)
		return 2
	}
	if len(cfg.brokers) == 0 {
		demo, err := startDemo(ctx, cfg.topic, stdout)
		if err != nil {
			fmt.Fprintln(stderr, "consumer:", err)
			return 1
		}
		defer demo.stop(stderr)
		cfg.brokers = demo.brokers
	}
	if err := consume(ctx, cfg, stdout, stderr); err != nil {
		fmt.Fprintln(stderr, "consumer:", err)
		return 1
	}
	return 0
}
