package kafkaprom_test

import (
	"reflect"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/kafkasink/kafkasink/contrib/prometheus"
	"github.com/kafkasink/kafkasink/core"
)

// fixed is a Stats with every field set, for the tests that need no broker.
func fixed() core.Stats {
	st := core.Stats{
		Received: 100, Accepted: 90, Delivered: 27,
		Dropped: core.Drops{QueueFull: 1, Shed: 2, TooLarge: 4, RetriesExhausted: 8, Closed: 16, NotRetriable: 32, Corrupt: 64},
		Retries: 5, Batches: 3, Bytes: 4096, QueueDepth: 10, QueueBytes: 2048, FallbackDropped: 7, InFlight: 2,
		Topics: []core.TopicStats{{Topic: "logs", Delivered: 27, Dropped: 40}, {Topic: "\xffbad", Dropped: 6}},
		// Values no other field has, so that a series showing the wrong
		// field fails TestSpoolSeries.
		Replayed: 31,
		Spool:    core.SpoolStats{Bytes: 65537, Records: 11, Segments: 9, Appended: 13, ReadBack: 17, Skipped: 19, Errors: 23, Unwritten: 29},
	}
	st.DroppedByLevel.Info = 60
	st.DroppedByLevel.Error = 3
	st.Latency.Counts[0], st.Latency.Counts[len(core.LatencyBounds)] = 20, 7
	st.Latency.Count = 27
	return st
}

// TestLint runs promlint, the Prometheus naming and help checks, over every
// series.
func TestLint(t *testing.T) {
	c := kafkaprom.NewFunc(fixed, kafkaprom.Options{ConstLabels: prometheus.Labels{"sink": "app"}})
	problems, err := testutil.CollectAndLint(c)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range problems {
		t.Errorf("promlint: %s: %s", p.Metric, p.Text)
	}
}

// TestDropReasons checks that the reason series cover every field of
// core.Drops: one series per field, adding up to Drops.Total.
func TestDropReasons(t *testing.T) {
	reg := prometheus.NewPedanticRegistry()
	reg.MustRegister(kafkaprom.NewFunc(fixed, kafkaprom.Options{}))
	fams, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	var series int
	var sum float64
	for _, f := range fams {
		if f.GetName() == "kafkasink_entries_dropped_total" {
			for _, m := range f.GetMetric() {
				series++
				sum += m.GetCounter().GetValue()
			}
		}
	}
	if n := reflect.TypeFor[core.Drops]().NumField(); series != n {
		t.Errorf("got %d reason series, want one per field of core.Drops, %d", series, n)
	}
	if want := fixed().Dropped.Total(); sum != float64(want) {
		t.Errorf("reason series add up to %v, want Drops.Total() %d", sum, want)
	}
}

// TestTopicNotUTF8 checks that a topic name that is not UTF-8 (which a
// TopicDecider may return, and Kafka refuses) does not fail the scrape.
func TestTopicNotUTF8(t *testing.T) {
	c := kafkaprom.NewFunc(fixed, kafkaprom.Options{})
	want := `kafkasink_topic_entries_dropped_total{topic="` + "\uFFFDbad" + `"} 6`
	if err := testutil.CollectAndCompare(c, strings.NewReader(`
# HELP kafkasink_topic_entries_dropped_total Log entries given up after the sink routed them to a topic, by topic.
# TYPE kafkasink_topic_entries_dropped_total counter
kafkasink_topic_entries_dropped_total{topic="logs"} 40
`+want+"\n"), "kafkasink_topic_entries_dropped_total"); err != nil {
		t.Error(err)
	}
}

// TestSeveralSinks registers one Collector per sink in one registry, told
// apart by a constant label.
func TestSeveralSinks(t *testing.T) {
	reg := prometheus.NewPedanticRegistry()
	for _, name := range []string{"app", "audit"} {
		if err := reg.Register(kafkaprom.NewFunc(fixed, kafkaprom.Options{ConstLabels: prometheus.Labels{"sink": name}})); err != nil {
			t.Fatalf("registering sink %q: %v", name, err)
		}
	}
	n, err := testutil.GatherAndCount(reg, "kafkasink_entries_received_total")
	if err != nil || n != 2 {
		t.Errorf("received series: got %d (%v), want 2", n, err)
	}
	if err := reg.Register(kafkaprom.NewFunc(fixed, kafkaprom.Options{ConstLabels: prometheus.Labels{"sink": "app"}})); err == nil {
		t.Error("registering a second collector with the same labels: got nil, want an error")
	}
}
