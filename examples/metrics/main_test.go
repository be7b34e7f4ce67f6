package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
)

// runs counts the runs of the example, for their expvar names.
var runs atomic.Int64

// TestRun runs the example against its in-process broker, scrapes
// /metrics and /debug/vars once it has logged, and checks that both say
// what happened: every request entry delivered, the oversized one dropped
// as too large, the latency histogram holding the delivered entries.
func TestRun(t *testing.T) {
	if testing.Short() {
		t.Skip("starts an in-process Kafka broker")
	}
	t.Setenv("KAFKA_BROKERS", "")
	const n = 300
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	urls := make(chan string, 1)
	var out strings.Builder
	done := make(chan error, 1)
	go func() {
		// expvar names are process-wide: one per run, for -count.
		name := fmt.Sprintf("kafkasink-%d", runs.Add(1))
		done <- run(ctx, options{addr: "127.0.0.1:0", n: n, expvar: name, logged: func(url string) { urls <- url }}, &out)
	}()
	var url string
	select {
	case url = <-urls:
	case err := <-done:
		t.Fatalf("run returned %v before logging:\n%s", err, out.String())
	}

	fams := scrape(t, url+"/metrics")
	value := func(name string, labels ...string) float64 {
		f, ok := fams[name]
		if !ok {
			t.Errorf("/metrics has no %s", name)
			return -1
		}
	next:
		for _, m := range f.GetMetric() {
			for i := 0; i < len(labels); i += 2 {
				found := false
				for _, l := range m.GetLabel() {
					found = found || l.GetName() == labels[i] && l.GetValue() == labels[i+1]
				}
				if !found {
					continue next
				}
			}
			switch f.GetType() {
			case dto.MetricType_COUNTER:
				return m.GetCounter().GetValue()
			case dto.MetricType_GAUGE:
				return m.GetGauge().GetValue()
			case dto.MetricType_HISTOGRAM:
				return float64(m.GetHistogram().GetSampleCount())
			}
		}
		t.Errorf("/metrics has no %s%v", name, labels)
		return -1
	}
	for _, c := range []struct {
		name   string
		labels []string
		want   float64
	}{
		{"kafkasink_entries_received_total", []string{"sink", "app"}, n + 1},
		{"kafkasink_entries_delivered_total", []string{"sink", "app"}, n},
		{"kafkasink_entries_dropped_total", []string{"sink", "app", "reason", "too_large"}, 1},
		{"kafkasink_entries_dropped_by_level_total", []string{"level", "warn"}, 1},
		{"kafkasink_topic_entries_delivered_total", []string{"topic", "app-logs"}, n},
		{"kafkasink_delivery_latency_seconds", nil, n},
		{"kafkasink_queue_entries", nil, 0},
	} {
		if got := value(c.name, c.labels...); got != c.want {
			t.Errorf("/metrics %s%v: got %v, want %v", c.name, c.labels, got, c.want)
		}
	}

	var vars map[string]json.RawMessage
	if err := json.Unmarshal(get(t, url+"/debug/vars"), &vars); err != nil {
		t.Fatalf("/debug/vars: %v", err)
	}
	var v struct {
		Received  uint64            `json:"received"`
		Delivered uint64            `json:"delivered"`
		Dropped   map[string]uint64 `json:"dropped"`
		Latency   struct {
			Count uint64  `json:"count"`
			P99   float64 `json:"p99_s"`
		} `json:"latency"`
	}
	if err := json.Unmarshal(vars[fmt.Sprintf("kafkasink-%d", runs.Load())], &v); err != nil {
		t.Fatalf("/debug/vars has no kafkasink-%d: %v", runs.Load(), err)
	}
	if v.Received != n+1 || v.Delivered != n || v.Dropped["too_large"] != 1 || v.Latency.Count != n || v.Latency.P99 <= 0 {
		t.Errorf("/debug/vars kafkasink: %+v; want %d received, %d delivered, 1 too large, %d latencies, a p99", v, n+1, n, n)
	}

	cancel()
	if err := <-done; err != nil {
		t.Fatalf("run: got %v, want nil", err)
	}
	if !strings.Contains(out.String(), "delivered 300, dropped 1") {
		t.Errorf("output lacks the summary:\n%s", out.String())
	}
}

func get(t *testing.T, url string) []byte {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %s %v", url, resp.Status, err)
	}
	return body
}

func scrape(t *testing.T, url string) map[string]*dto.MetricFamily {
	t.Helper()
	p := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := p.TextToMetricFamilies(strings.NewReader(string(get(t, url))))
	if err != nil {
		t.Fatalf("parsing %s: %v", url, err)
	}
	return fams
}
