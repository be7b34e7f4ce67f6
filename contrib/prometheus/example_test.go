package kafkaprom_test

import (
	"context"
	"log"
	"net/http"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/kafkasink/kafkasink/contrib/prometheus"
	"github.com/kafkasink/kafkasink/core"
)

// A sink's metrics on /metrics, with a label naming the sink. (Not run: it
// serves forever; examples/metrics is a runnable program.)
func ExampleNew() {
	sink, err := core.New(core.Config{Brokers: []string{"localhost:9092"}})
	if err != nil {
		log.Fatal(err)
	}
	defer sink.Close(context.Background())

	prometheus.MustRegister(kafkaprom.New(sink, kafkaprom.Options{ConstLabels: prometheus.Labels{"sink": "app"}}))
	http.Handle("/metrics", promhttp.Handler())
	log.Fatal(http.ListenAndServe("localhost:9464", nil))
}
