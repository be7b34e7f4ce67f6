package kafkaotel_test

import (
	"context"
	"log"

	sdkmetric "go.opentelemetry.io/otel/sdk/metric"

	"github.com/kafkasink/kafkasink/contrib/otel"
	"github.com/kafkasink/kafkasink/core"
)

// A sink's metrics through the OpenTelemetry SDK: the instruments on a
// Meter, the latency histogram through the reader. (Not run: a real
// program gives the reader an exporter, as NewPeriodicReader does.)
func ExampleNew() {
	cfg := core.Config{Brokers: []string{"localhost:9092"}, QueueLimit: 50000}
	sink, err := core.New(cfg)
	if err != nil {
		log.Fatal(err)
	}
	defer sink.Close(context.Background())

	m := kafkaotel.New(sink, kafkaotel.Options{QueueCapacity: cfg.QueueLimit})
	reader := sdkmetric.NewManualReader(sdkmetric.WithProducer(m)) // or NewPeriodicReader(exporter, …)
	provider := sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader))
	defer provider.Shutdown(context.Background())
	if _, err := m.Register(provider.Meter(kafkaotel.ScopeName)); err != nil {
		log.Fatal(err)
	}
}
