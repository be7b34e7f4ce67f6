package zapsink_test

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/rs/zerolog"
	"github.com/twmb/franz-go/pkg/kfake"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"

	"github.com/kafkasink/kafkasink/core"
	"github.com/kafkasink/kafkasink/integration/kafkatest"
	"github.com/kafkasink/kafkasink/zapsink"
	"github.com/kafkasink/kafkasink/zerologsink"
)

// Attach Kafka next to a console core, send errors to their own topic and
// key records by request.
func ExampleNew() {
	// An in-process broker stands in for Kafka.
	c, err := kafkatest.StartCluster(kfake.NumBrokers(1), kfake.SeedTopics(1, "app-logs", "app-logs-errors"))
	if err != nil {
		panic(err)
	}
	defer c.Close()

	kc, err := zapsink.New(zapsink.Config{Sink: core.Config{
		Brokers: c.Addrs(),
		Topic:   "app-logs",
		TopicDecider: func(e core.Entry) string {
			if e.Level >= core.ErrorLevel {
				return "app-logs-errors"
			}
			return "" // Topic
		},
		KeyDecider: func(e core.Entry) []byte {
			if v, ok := e.RawField("request_id"); ok && len(v) > 1 && v[0] == '"' {
				return v[1 : len(v)-1]
			}
			return nil
		},
	}})
	if err != nil {
		panic(err)
	}
	console := zapcore.NewCore(
		zapcore.NewConsoleEncoder(zapcore.EncoderConfig{MessageKey: "msg", LevelKey: "level", EncodeLevel: zapcore.CapitalLevelEncoder}),
		zapcore.Lock(os.Stdout), zapcore.InfoLevel)
	logger := zap.New(zapcore.NewTee(console, kc))

	req := logger.With(zap.String("request_id", "r-42"))
	req.Info("order received")
	req.Error("payment declined", zap.String("card", "expired"))
	if err := kc.Close(); err != nil { // or logger.Sync(), to keep logging
		panic(err)
	}

	for _, topic := range []string{"app-logs", "app-logs-errors"} {
		recs, err := c.Read(context.Background(), topic)
		if err != nil {
			panic(err)
		}
		for _, r := range recs {
			var m map[string]any
			if err := json.Unmarshal(r.Value, &m); err != nil {
				panic(err)
			}
			fmt.Printf("%s key=%s: %s %q\n", r.Topic, r.Key, m["level"], m["msg"])
		}
	}
	// Output:
	// INFO	order received	{"request_id": "r-42"}
	// ERROR	payment declined	{"request_id": "r-42", "card": "expired"}
	// app-logs key=r-42: info "order received"
	// app-logs-errors key=r-42: error "payment declined"
}

// Configure zap's output with a kafka:// URL.
func ExampleRegisterURLSink() {
	c, err := kafkatest.StartCluster(kfake.NumBrokers(1), kfake.SeedTopics(1, "app-logs"))
	if err != nil {
		panic(err)
	}
	defer c.Close()

	if err := zapsink.RegisterURLSink(); err != nil {
		panic(err)
	}
	cfg := zap.NewProductionConfig()
	cfg.OutputPaths = []string{"kafka://" + strings.Join(c.Addrs(), ",") + "/app-logs?batchSizeLimit=100&period=1s"}
	logger, err := cfg.Build()
	if err != nil {
		panic(err)
	}
	logger.Warn("disk almost full", zap.Int("free_mb", 120))
	if err := logger.Sync(); err != nil { // delivers what is queued
		panic(err)
	}
	defer zapsink.CloseURLSinks() // zap never closes its sinks

	recs, err := c.Read(context.Background(), "app-logs")
	if err != nil {
		panic(err)
	}
	for _, r := range recs {
		var m map[string]any
		if err := json.Unmarshal(r.Value, &m); err != nil {
			panic(err)
		}
		fmt.Println(m["level"], m["msg"], m["free_mb"])
	}
	// Output:
	// warn disk almost full 120
}

// ParseURL shows what a kafka:// URL configures, without connecting.
func ExampleParseURL() {
	os.Setenv("KAFKA_PASSWORD", "Endpoint=sb://example/;SharedAccessKey=...")
	cfg, err := zapsink.ParseURL("kafka://$ConnectionString@example.servicebus.windows.net:9093/app-logs" +
		"?saslPasswordEnv=KAFKA_PASSWORD&batchSizeLimit=10&period=2&compression=none&syncTimeout=3s")
	if err != nil {
		panic(err)
	}
	s := cfg.Sink
	fmt.Println("brokers:", s.Brokers)
	fmt.Println("topic:", s.Topic)
	fmt.Println("batch:", s.BatchSizeLimit, "entries or", s.Period)
	fmt.Println("security:", s.SecurityProtocol, s.SASLMechanism == "", s.SASLUsername)
	fmt.Println("password set:", s.SASLPassword != "")
	fmt.Println("sync timeout:", cfg.Sink.SyncTimeout)

	_, err = zapsink.ParseURL("kafka://broker:9092/app-logs?batchsize=10&period=" + time.Second.String())
	fmt.Println(err != nil && strings.Contains(err.Error(), `unknown parameters "batchsize"`))
	// Output:
	// brokers: [example.servicebus.windows.net:9093]
	// topic: app-logs
	// batch: 10 entries or 2s
	// security: SASL_SSL true $ConnectionString
	// password set: true
	// sync timeout: 3s
	// true
}

// Share one sink between zap and zerolog: NewCore and zerologsink.NewWriter
// borrow it, so closing them only flushes; the owner closes the sink.
func ExampleNewCore() {
	c, err := kafkatest.StartCluster(kfake.NumBrokers(1), kfake.SeedTopics(1, "app-logs"))
	if err != nil {
		panic(err)
	}
	defer c.Close()

	sink, err := core.New(core.Config{Brokers: c.Addrs(), Topic: "app-logs"})
	if err != nil {
		panic(err)
	}
	kc := zapsink.NewCore(sink, zapcore.NewJSONEncoder(zapcore.EncoderConfig{MessageKey: "msg"}), zapcore.InfoLevel)
	zl := zap.New(kc)
	rl := zerolog.New(zerologsink.NewWriter(sink))

	zl.Info("from zap")
	if err := kc.Close(); err != nil { // a flush: the sink stays open
		panic(err)
	}
	rl.Info().Msg("from zerolog") // still accepted
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := sink.Close(ctx); err != nil { // the owner closes it
		panic(err)
	}

	recs, err := c.Read(context.Background(), "app-logs")
	if err != nil {
		panic(err)
	}
	for _, r := range recs {
		fmt.Printf("%s\n", r.Value)
	}
	// Output:
	// {"msg":"from zap"}
	// {"level":"info","message":"from zerolog"}
}
