package zerologsink_test

import (
	"context"
	"fmt"
	"log"
	"os"

	"github.com/rs/zerolog"
	"github.com/twmb/franz-go/pkg/kfake"

	"github.com/kafkasink/kafkasink/core"
	"github.com/kafkasink/kafkasink/integration/kafkatest"
	"github.com/kafkasink/kafkasink/zerologsink"
)

func Example() {
	// An in-process broker, with one partition so that the order is total.
	c, err := kafkatest.StartCluster(kfake.NumBrokers(1), kfake.SeedTopics(1, "logs"))
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()

	w, err := zerologsink.New(zerologsink.Config{Sink: core.Config{Brokers: c.Addrs(), Topic: "logs"}})
	if err != nil {
		log.Fatal(err)
	}
	logger := zerolog.New(w).With().Str("service", "api").Logger()

	logger.Info().Int("status", 200).Msg("request served")
	logger.Warn().Str("path", "/admin").Msg("forbidden")

	if err := w.Close(); err != nil { // delivers, then closes the sink
		log.Fatal(err)
	}
	recs, err := c.Read(context.Background(), "logs")
	if err != nil {
		log.Fatal(err)
	}
	for _, r := range recs {
		fmt.Printf("%s\n", r.Value)
	}
	// Output:
	// {"level":"info","service":"api","status":200,"message":"request served"}
	// {"level":"warn","service":"api","path":"/admin","message":"forbidden"}
}

// This example routes entries by level, and by a field, with a
// TopicDecider that would serve a zap logger as well, and writes to the
// console too.
func Example_routing() {
	c, err := kafkatest.StartCluster(kfake.NumBrokers(1),
		kfake.SeedTopics(1, "logs", "logs-errors", "logs-audit"))
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()

	w, err := zerologsink.New(zerologsink.Config{Sink: core.Config{
		Brokers: c.Addrs(),
		TopicDecider: func(e core.Entry) string {
			switch {
			case e.Level >= core.ErrorLevel:
				return "logs-errors"
			case e.Field("stream") == "audit":
				return "logs-audit"
			}
			return "" // Config.Topic
		},
	}})
	if err != nil {
		log.Fatal(err)
	}
	// The Writer goes first: MultiLevelWriter closes its writers in order,
	// and stops at the first error.
	console := zerolog.ConsoleWriter{Out: os.Stdout, NoColor: true, PartsExclude: []string{zerolog.TimestampFieldName}}
	logger := zerolog.New(zerolog.MultiLevelWriter(w, console))

	logger.Info().Msg("started")
	logger.Info().Str("stream", "audit").Str("user", "alice").Msg("login")
	logger.Error().Str("stream", "audit").Msg("disk full")
	logger.Log().Msg("no level: not an error")

	if err := w.Close(); err != nil {
		log.Fatal(err)
	}
	for _, topic := range []string{"logs", "logs-audit", "logs-errors"} {
		recs, err := c.Read(context.Background(), topic)
		if err != nil {
			log.Fatal(err)
		}
		for _, r := range recs {
			fmt.Printf("%s: %s\n", topic, r.Value)
		}
	}
	// Output:
	// INF started
	// INF login stream=audit user=alice
	// ERR disk full stream=audit
	// ??? no level: not an error
	// logs: {"level":"info","message":"started"}
	// logs: {"message":"no level: not an error"}
	// logs-audit: {"level":"info","stream":"audit","user":"alice","message":"login"}
	// logs-errors: {"level":"error","stream":"audit","message":"disk full"}
}
