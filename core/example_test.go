package core_test

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/kafkasink/kafkasink/core"
)

// A Config names the bad field when New refuses it.
func ExampleNew_invalidConfig() {
	_, err := core.New(core.Config{
		Brokers:          []string{"kafka-1:9092", "kafka-2"},
		SecurityProtocol: core.SASLSSL,
	})
	var ce *core.ConfigError
	if errors.As(err, &ce) {
		fmt.Println(ce.Field)
	}
	fmt.Println(err)
	// Output:
	// Brokers[1]
	// kafkasink: invalid config: Brokers[1]: "kafka-2" is not host:port
}

// New never touches the network, so a sink starts even when Kafka is down.
// Close returns by its context's deadline and says what it could not
// deliver.
func ExampleSink_Close() {
	s, err := core.New(core.Config{
		Brokers:      []string{"127.0.0.1:1"}, // nothing listens there
		ErrorHandler: func(error) {},          // keep the example's output quiet
	})
	if err != nil {
		panic(err)
	}
	s.Write(core.Entry{Level: core.InfoLevel, JSON: []byte(`{"level":"info","msg":"hello"}` + "\n")})

	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	err = s.Close(ctx)
	fmt.Println(err)
	st := s.Stats()
	fmt.Println("received", st.Received, "delivered", st.Delivered, "dropped (closed)", st.Dropped.Closed)
	// Output:
	// kafkasink: 1 entries not delivered: context deadline exceeded
	// received 1 delivered 0 dropped (closed) 1
}

// Deciders read top-level fields without unmarshalling the entry.
func ExampleEntry_Field() {
	e := core.Entry{Level: core.ErrorLevel, JSON: []byte(`{"level":"error","msg":"payment failed","service":"billing","attempt":3}`)}
	fmt.Println(e.Field("service"), e.Field("attempt"), e.Field("missing") == "")
	raw, _ := e.RawField("msg")
	fmt.Println(string(raw))
	// Output:
	// billing 3 true
	// "payment failed"
}

// Errors and above go to their own topic; everything else to Config.Topic.
func ExampleConfig_topicDecider() {
	cfg := core.Config{
		Topic: "app-logs",
		TopicDecider: func(e core.Entry) string {
			if e.Level >= core.ErrorLevel {
				return "app-logs-errors"
			}
			return "" // Config.Topic
		},
	}
	for _, l := range []core.Level{core.InfoLevel, core.ErrorLevel, core.NoLevel} {
		topic := cfg.TopicDecider(core.Entry{Level: l})
		if topic == "" {
			topic = cfg.Topic
		}
		fmt.Printf("%-6q → %s\n", l.String(), topic)
	}
	// Output:
	// "info" → app-logs
	// "error" → app-logs-errors
	// ""     → app-logs
}
