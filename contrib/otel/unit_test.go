package kafkaotel_test

import (
	"context"
	"reflect"
	"testing"
	"unicode/utf8"

	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"

	"github.com/kafkasink/kafkasink/contrib/otel"
	"github.com/kafkasink/kafkasink/core"
)

// TestDropReasons checks, without a broker, that the error.type points of
// otel.sdk.exporter.log.exported cover every field of core.Drops, adding
// up to Drops.Total, and that a topic name that is not UTF-8 (a
// TopicDecider may return one; Kafka refuses it) becomes a valid attribute.
func TestDropReasons(t *testing.T) {
	st := core.Stats{
		Delivered: 100,
		Dropped:   core.Drops{QueueFull: 1, Shed: 2, TooLarge: 4, RetriesExhausted: 8, Closed: 16, NotRetriable: 32, Corrupt: 64},
		Topics:    []core.TopicStats{{Topic: "\xffbad", Dropped: 6}},
	}
	m := kafkaotel.NewFunc(func() core.Stats { return st }, kafkaotel.Options{})
	reader := sdkmetric.NewManualReader()
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader))
	defer mp.Shutdown(context.Background())
	if _, err := m.Register(mp.Meter(kafkaotel.ScopeName)); err != nil {
		t.Fatal(err)
	}
	var rm metricdata.ResourceMetrics
	if err := reader.Collect(context.Background(), &rm); err != nil {
		t.Fatal(err)
	}
	var failed, sum int64
	var topics []string
	for _, m := range rm.ScopeMetrics[0].Metrics {
		switch m.Name {
		case "otel.sdk.exporter.log.exported":
			for _, dp := range m.Data.(metricdata.Sum[int64]).DataPoints {
				if dp.Attributes.HasValue("error.type") {
					failed++
					sum += dp.Value
				}
			}
		case "kafkasink.topic.dropped":
			for _, dp := range m.Data.(metricdata.Sum[int64]).DataPoints {
				v, _ := dp.Attributes.Value("messaging.destination.name")
				topics = append(topics, v.AsString())
			}
		}
	}
	if n := reflect.TypeFor[core.Drops]().NumField(); failed != int64(n) {
		t.Errorf("got %d error.type points, want one per field of core.Drops, %d", failed, n)
	}
	if sum != int64(st.Dropped.Total()) {
		t.Errorf("error.type points add up to %d, want Drops.Total() %d", sum, st.Dropped.Total())
	}
	if len(topics) != 1 || !utf8.ValidString(topics[0]) || topics[0] != "\uFFFDbad" {
		t.Errorf("topics %q, want one, valid UTF-8: %q", topics, "\uFFFDbad")
	}
}
