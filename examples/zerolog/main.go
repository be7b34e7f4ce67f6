// Command zerolog logs with zerolog to the console and to Kafka at once,
// one topic per level.
//
// It uses the brokers in KAFKA_BROKERS (comma-separated host:port), whose
// cluster must create topics on first use (auto.create.topics.enable) or
// already have logs-debug, logs-info, logs-warn and logs-error. Without
// KAFKA_BROKERS it starts an in-process broker, and prints what reached
// each topic at the end.
//
//	go run ./examples/zerolog
//	KAFKA_BROKERS=localhost:9092 go run ./examples/zerolog
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/rs/zerolog"
	"github.com/twmb/franz-go/pkg/kfake"

	"github.com/kafkasink/kafkasink/core"
	"github.com/kafkasink/kafkasink/integration/kafkatest"
	"github.com/kafkasink/kafkasink/zerologsink"
)

var topics = []string{"logs-debug", "logs-info", "logs-warn", "logs-error"}

func main() {
	if err := run(os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "zerolog example:", err)
		os.Exit(1)
	}
}

// run logs the example's entries and prints to out what was delivered
// (and, with the in-process broker, what each topic holds).
func run(out io.Writer) error {
	brokers := strings.Split(os.Getenv("KAFKA_BROKERS"), ",")
	embedded := brokers[0] == ""
	if embedded {
		c, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.AllowAutoTopicCreation())
		if err != nil {
			return err
		}
		defer c.Close()
		brokers = c.ListenAddrs()
	}

	w, err := zerologsink.New(zerologsink.Config{Sink: core.Config{
		Brokers: brokers,
		// One topic per level; entries without a level (Logger.Log) go
		// to Topic, "logs".
		TopicDecider: func(e core.Entry) string {
			switch {
			case e.Level == core.NoLevel:
				return ""
			case e.Level <= core.DebugLevel:
				return "logs-debug"
			case e.Level >= core.ErrorLevel:
				return "logs-error"
			}
			return "logs-" + e.Level.String()
		},
		Period: 200 * time.Millisecond,
	}})
	if err != nil {
		return err
	}
	// The Kafka writer goes first: zerolog's MultiLevelWriter closes its
	// writers in order (Logger.Fatal does), and stops at the first error.
	console := zerolog.ConsoleWriter{Out: os.Stderr, TimeFormat: time.TimeOnly}
	log := zerolog.New(zerolog.MultiLevelWriter(w, console)).
		Level(zerolog.DebugLevel).
		With().Timestamp().Str("service", "shop").Logger()

	log.Debug().Str("cache", "warm").Msg("starting")
	for i := range 3 {
		log.Info().Int("order", 1000+i).Float64("amount", 9.99*float64(i+1)).Msg("order placed")
	}
	log.Warn().Dur("took", 1500*time.Millisecond).Msg("slow payment provider")
	log.Error().Err(errors.New("card declined")).Int("order", 1002).Msg("payment failed")

	// Close delivers what is queued (for up to 5s), then closes the sink.
	// A Fatal entry would do the same before exiting.
	if err := w.Close(); err != nil {
		return err
	}
	st := w.Sink().Stats()
	fmt.Fprintf(out, "\ndelivered %d entries in %d batches, dropped %d\n", st.Delivered, st.Batches, st.Dropped.Total())

	if embedded {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		// kafkatest is this module's test helper: it reads each topic back
		// with a franz-go consumer.
		for _, topic := range topics {
			recs, err := kafkatest.ReadTopic(ctx, brokers, topic)
			if err != nil {
				return err
			}
			fmt.Fprintf(out, "\n%s: %d\n", topic, len(recs))
			for _, r := range recs {
				fmt.Fprintf(out, "  %s\n", r.Value)
			}
		}
	}
	return nil
}
