package prometheus_test

import (
	"fmt"
	"io"
	"maps"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	kafkaprom "github.com/kafkasink/kafkasink/contrib/prometheus"
	"github.com/kafkasink/kafkasink/core"
	"github.com/kafkasink/kafkasink/integration/internal/metricscenario"
	"github.com/kafkasink/kafkasink/integration/internal/testutil"
)

// TestScrape runs a sink against a real broker into drops of several
// reasons, scrapes it through promhttp over HTTP on loopback, parses the
// exposition text and compares every series with the sink's Stats: once
// while the broker holds the produce requests (queue full, requests in
// flight, the oldest entry waiting), once after Close.
func TestScrape(t *testing.T) {
	s := metricscenario.Start(t)
	url := serve(t, s.Sink)
	held, before, after := scrapeHeld(t, url, s.Sink, want)
	age := held.Take(`kafkasink_oldest_entry_age_seconds{sink="app"}`)
	if age < before.OldestAge.Seconds() || age > after.OldestAge.Seconds() || age == 0 {
		t.Errorf("oldest entry age: scraped %vs, want within the snapshots' %v … %v, above 0", age, before.OldestAge, after.OldestAge)
	}
	metricscenario.Compare(t, "held", held, want(before))
	if got := held[`kafkasink_queue_entries{sink="app"}`]; got != metricscenario.QueueLimit {
		t.Errorf("held: queue entries %v, want %d", got, metricscenario.QueueLimit)
	}

	st := s.Finish(t)
	done := scrape(t, url)
	if age := done.Take(`kafkasink_oldest_entry_age_seconds{sink="app"}`); age != 0 {
		t.Errorf("oldest entry age after Close: got %v, want 0", age)
	}
	metricscenario.Compare(t, "closed", done, want(st))
	for _, name := range []string{
		`kafkasink_entries_dropped_total{reason="shed",sink="app"}`,
		`kafkasink_entries_dropped_total{reason="queue_full",sink="app"}`,
		`kafkasink_entries_dropped_by_level_total{level="info",sink="app"}`,
		`kafkasink_entries_dropped_by_level_total{level="error",sink="app"}`,
		`kafkasink_entries_retried_total{sink="app"}`,
		`kafkasink_delivery_latency_seconds_count{sink="app"}`,
		`kafkasink_topic_entries_delivered_total{sink="app",topic="logs"}`,
	} {
		if done[name] == 0 {
			t.Errorf("%s: got 0, want some", name)
		}
	}
	for name, v := range map[string]float64{
		`kafkasink_entries_dropped_total{reason="too_large",sink="app"}`:                            1,
		`kafkasink_entries_dropped_total{reason="not_retriable",sink="app"}`:                        2,
		`kafkasink_entries_dropped_total{reason="closed",sink="app"}`:                               1,
		`kafkasink_topic_entries_dropped_total{sink="app",topic="` + metricscenario.BadTopic + `"}`: 2,
		`kafkasink_entries_received_total{sink="app"}`:                                              float64(s.Written),
	} {
		if done[name] != v {
			t.Errorf("%s: got %v, want %v", name, done[name], v)
		}
	}
}

// serve serves a Collector of sink, labelled sink="app", from a pedantic
// registry (it checks Collect against Describe) over HTTP on loopback, and
// returns the URL.
func serve(t *testing.T, sink *core.Sink) string {
	reg := prometheus.NewPedanticRegistry()
	reg.MustRegister(kafkaprom.New(sink, kafkaprom.Options{ConstLabels: prometheus.Labels{"sink": "app"}}))
	srv := httptest.NewServer(promhttp.HandlerFor(reg, promhttp.HandlerOpts{ErrorHandling: promhttp.HTTPErrorOnError}))
	t.Cleanup(srv.Close)
	return srv.URL
}

// scrapeHeld scrapes url while the broker holds the sink's requests: once
// the batcher has requests in flight (it may still be waiting for metadata
// at first), the counters stand still and the oldest entry's age grows.
// It scrapes until a scrape falls between two snapshots of Stats that want
// renders alike, and returns it with them.
func scrapeHeld(t *testing.T, url string, sink *core.Sink, want func(core.Stats) metricscenario.Samples) (held metricscenario.Samples, before, after core.Stats) {
	t.Helper()
	testutil.WaitFor(t, 30*time.Second, func() bool {
		before = sink.Stats()
		held = scrape(t, url)
		after = sink.Stats()
		return before.InFlight > 0 && maps.Equal(want(before), want(after))
	}, func() string { return "a scrape between two equal snapshots, requests in flight" })
	return held, before, after
}

// want is what a scrape must show for st, every series spelled out.
func want(st core.Stats) metricscenario.Samples {
	s := metricscenario.Samples{}
	put := func(name string, v float64, labels ...string) {
		labels = append(labels, "sink", "app")
		s[metricscenario.Key(name, labels...)] = v
	}
	put("kafkasink_entries_received_total", float64(st.Received))
	put("kafkasink_entries_accepted_total", float64(st.Accepted))
	put("kafkasink_entries_delivered_total", float64(st.Delivered))
	for reason, n := range map[string]uint64{
		"queue_full": st.Dropped.QueueFull, "shed": st.Dropped.Shed, "too_large": st.Dropped.TooLarge,
		"retries_exhausted": st.Dropped.RetriesExhausted, "closed": st.Dropped.Closed, "not_retriable": st.Dropped.NotRetriable, "corrupt": st.Dropped.Corrupt,
	} {
		put("kafkasink_entries_dropped_total", float64(n), "reason", reason)
	}
	for i, name := range []string{"none", "trace", "debug", "info", "warn", "error", "dpanic", "panic", "fatal"} {
		put("kafkasink_entries_dropped_by_level_total", float64(st.DroppedByLevel.Get(core.Level(i))), "level", name)
	}
	put("kafkasink_entries_retried_total", float64(st.Retries))
	put("kafkasink_produce_requests_total", float64(st.Batches))
	put("kafkasink_delivered_bytes_total", float64(st.Bytes))
	put("kafkasink_fallback_dropped_entries_total", float64(st.FallbackDropped))
	put("kafkasink_queue_entries", float64(st.QueueDepth))
	put("kafkasink_queue_bytes", float64(st.QueueBytes))
	put("kafkasink_produce_requests_in_flight", float64(st.InFlight))
	for _, tp := range st.Topics {
		put("kafkasink_topic_entries_delivered_total", float64(tp.Delivered), "topic", tp.Topic)
		put("kafkasink_topic_entries_dropped_total", float64(tp.Dropped), "topic", tp.Topic)
	}
	var cum uint64
	for i, b := range core.LatencyBounds {
		cum += st.Latency.Counts[i]
		put("kafkasink_delivery_latency_seconds_bucket", float64(cum), "le", fmt.Sprint(b.Seconds()))
	}
	put("kafkasink_delivery_latency_seconds_bucket", float64(st.Latency.Count), "le", "+Inf")
	put("kafkasink_delivery_latency_seconds_count", float64(st.Latency.Count))
	put("kafkasink_delivery_latency_seconds_sum", st.Latency.Sum.Seconds())
	return s
}

// scrape GETs url (the text exposition format: no Accept header), parses
// it with expfmt and returns the kafkasink series, checking each family's
// type and help.
func scrape(t *testing.T, url string) metricscenario.Samples {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %v %v\n%s", url, resp.Status, err, body)
	}
	if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/plain") {
		t.Fatalf("Content-Type %q, want the text format", ct)
	}
	p := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := p.TextToMetricFamilies(strings.NewReader(string(body)))
	if err != nil {
		t.Fatalf("parsing the scrape: %v\n%s", err, body)
	}
	s := metricscenario.Samples{}
	for name, f := range fams {
		if !strings.HasPrefix(name, "kafkasink_") {
			continue
		}
		if f.GetHelp() == "" {
			t.Errorf("%s has no help", name)
		}
		wantType := dto.MetricType_GAUGE
		switch {
		case strings.HasSuffix(name, "_total"):
			wantType = dto.MetricType_COUNTER
		case name == "kafkasink_delivery_latency_seconds":
			wantType = dto.MetricType_HISTOGRAM
		}
		if f.GetType() != wantType {
			t.Errorf("%s: type %v, want %v", name, f.GetType(), wantType)
		}
		for _, m := range f.GetMetric() {
			var labels []string
			for _, l := range m.GetLabel() {
				labels = append(labels, l.GetName(), l.GetValue())
			}
			switch f.GetType() {
			case dto.MetricType_COUNTER:
				s[metricscenario.Key(name, labels...)] = m.GetCounter().GetValue()
			case dto.MetricType_GAUGE:
				s[metricscenario.Key(name, labels...)] = m.GetGauge().GetValue()
			case dto.MetricType_HISTOGRAM:
				h := m.GetHistogram()
				for _, b := range h.GetBucket() {
					s[metricscenario.Key(name+"_bucket", append(labels, "le", fmt.Sprint(b.GetUpperBound()))...)] = float64(b.GetCumulativeCount())
				}
				s[metricscenario.Key(name+"_bucket", append(labels, "le", "+Inf")...)] = float64(h.GetSampleCount())
				s[metricscenario.Key(name+"_count", labels...)] = float64(h.GetSampleCount())
				s[metricscenario.Key(name+"_sum", labels...)] = h.GetSampleSum()
			default:
				t.Errorf("%s: unexpected type %v", name, f.GetType())
			}
		}
	}
	return s
}
