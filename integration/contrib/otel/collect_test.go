package otel_test

import (
	"context"
	"fmt"
	"maps"
	"strings"
	"testing"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"

	kafkaotel "github.com/kafkasink/kafkasink/contrib/otel"
	"github.com/kafkasink/kafkasink/core"
	"github.com/kafkasink/kafkasink/integration/internal/metricscenario"
	"github.com/kafkasink/kafkasink/integration/internal/testutil"
)

const componentName = "kafkasink/app"

// TestCollect runs a sink against a real broker into drops of several
// reasons, collects through an SDK ManualReader (the instruments from
// Register, the latency histogram from Produce) and compares every data
// point with the sink's Stats: once while the broker holds the produce
// requests (queue full, requests in flight, the oldest entry waiting),
// once after Close.
func TestCollect(t *testing.T) {
	s := metricscenario.Start(t)
	reader, reg := register(t, s.Sink)
	held, before, after := collectHeld(t, reader, s.Sink, want)
	age := held.Take(point("kafkasink.queue.oldest_age"))
	if age < before.OldestAge.Seconds() || age > after.OldestAge.Seconds() || age == 0 {
		t.Errorf("oldest age: collected %vs, want within the snapshots' %v … %v, above 0", age, before.OldestAge, after.OldestAge)
	}
	metricscenario.Compare(t, "held", held, want(before))
	if got := held[point("otel.sdk.exporter.log.inflight")]; got != metricscenario.QueueLimit {
		t.Errorf("held: log records in flight %v, want %d", got, metricscenario.QueueLimit)
	}

	st := s.Finish(t)
	done := collect(t, reader)
	if age := done.Take(point("kafkasink.queue.oldest_age")); age != 0 {
		t.Errorf("oldest age after Close: got %v, want 0", age)
	}
	metricscenario.Compare(t, "closed", done, want(st))
	for _, k := range []string{
		point("otel.sdk.exporter.log.exported", "error.type", "queue_full"),
		point("otel.sdk.exporter.log.exported", "error.type", "shed"),
		point("otel.sdk.exporter.log.exported"), // delivered
		point("kafkasink.log.dropped", "kafkasink.level", "info"),
		point("kafkasink.log.dropped", "kafkasink.level", "error"),
		point("kafkasink.log.retried"),
		point("kafkasink.delivery.duration_count"),
	} {
		if done[k] == 0 {
			t.Errorf("%s: got 0, want some", k)
		}
	}
	for k, v := range map[string]float64{
		point("otel.sdk.exporter.log.exported", "error.type", "too_large"):                      1,
		point("otel.sdk.exporter.log.exported", "error.type", "rejected"):                       2,
		point("otel.sdk.exporter.log.exported", "error.type", "already_shutdown"):               1,
		point("kafkasink.topic.dropped", "messaging.destination.name", metricscenario.BadTopic): 2,
		point("kafkasink.log.received"):                                                         float64(s.Written),
		point("otel.sdk.processor.log.queue.capacity"):                                          metricscenario.QueueLimit,
	} {
		if done[k] != v {
			t.Errorf("%s: got %v, want %v", k, done[k], v)
		}
	}
	// received = exported (every reason and delivered) + in flight
	var exported float64
	for k, v := range done {
		if strings.HasPrefix(k, "otel.sdk.exporter.log.exported{") {
			exported += v
		}
	}
	if got := exported + done[point("otel.sdk.exporter.log.inflight")]; got != float64(st.Received) {
		t.Errorf("exported + in flight = %v, want received, %d", got, st.Received)
	}

	if err := reg.Unregister(); err != nil {
		t.Fatal(err)
	}
	for k := range collect(t, reader) {
		if !strings.HasPrefix(k, "kafkasink.delivery.duration_") { // the histogram, from Produce
			t.Errorf("after Unregister: %s collected, want only the histogram", k)
		}
	}
}

// TestDefaultName checks the default otel.component.name:
// ComponentType/n, n counting.
func TestDefaultName(t *testing.T) {
	var names []string
	for range 2 {
		m := kafkaotel.NewFunc(func() core.Stats { return core.Stats{} }, kafkaotel.Options{})
		sm, err := m.Produce(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		dp := sm[0].Metrics[0].Data.(metricdata.Histogram[float64]).DataPoints[0]
		v, _ := dp.Attributes.Value("otel.component.name")
		names = append(names, v.AsString())
	}
	var n int
	if _, err := fmt.Sscanf(names[0], kafkaotel.ComponentType+"/%d", &n); err != nil {
		t.Fatalf("name %q, want %s/<n>", names[0], kafkaotel.ComponentType)
	}
	if want := fmt.Sprintf("%s/%d", kafkaotel.ComponentType, n+1); names[1] != want {
		t.Errorf("second name: got %q, want %q", names[1], want)
	}
}

// common are the attributes every data point carries.
var common = map[string]string{
	"otel.component.type":         kafkaotel.ComponentType,
	"otel.component.name":         componentName,
	"deployment.environment.name": "test",
}

// point is the key of the data point name with attrs, pairs of key and
// value, as metricscenario.Key spells it.
func point(name string, attrs ...string) string { return metricscenario.Key(name, attrs...) }

// kind is an instrument's kind and unit, as the SDK reports them.
type kind struct {
	data string // "counter", "updown", "gauge" or "histogram"
	unit string
}

// kinds lists every instrument with its kind and unit.
var kinds = map[string]kind{
	"otel.sdk.exporter.log.exported":        {"counter", "{log_record}"},
	"otel.sdk.exporter.log.inflight":        {"updown", "{log_record}"},
	"otel.sdk.processor.log.queue.size":     {"updown", "{log_record}"},
	"otel.sdk.processor.log.queue.capacity": {"updown", "{log_record}"},
	"kafkasink.log.received":                {"counter", "{log_record}"},
	"kafkasink.log.accepted":                {"counter", "{log_record}"},
	"kafkasink.log.dropped":                 {"counter", "{log_record}"},
	"kafkasink.log.retried":                 {"counter", "{log_record}"},
	"kafkasink.log.delivered.size":          {"counter", "By"},
	"kafkasink.produce.requests":            {"counter", "{request}"},
	"kafkasink.produce.inflight":            {"updown", "{request}"},
	"kafkasink.queue.usage":                 {"updown", "By"},
	"kafkasink.queue.oldest_age":            {"gauge", "s"},
	"kafkasink.fallback.dropped":            {"counter", "{log_record}"},
	"kafkasink.topic.delivered":             {"counter", "{log_record}"},
	"kafkasink.topic.dropped":               {"counter", "{log_record}"},
	"kafkasink.delivery.duration":           {"histogram", "s"},
	"kafkasink.log.replayed":                {"counter", "{log_record}"},
	"kafkasink.spool.usage":                 {"updown", "By"},
	"kafkasink.spool.records":               {"updown", "{log_record}"},
	"kafkasink.spool.segments":              {"updown", "{segment}"},
	"kafkasink.spool.appended":              {"counter", "{log_record}"},
	"kafkasink.spool.read_back":             {"counter", "{log_record}"},
	"kafkasink.spool.skipped":               {"counter", "{log_record}"},
	"kafkasink.spool.errors":                {"counter", "{error}"},
	"kafkasink.spool.unwritten":             {"updown", "{log_record}"},
}

// want is what a collection must show for st, every point spelled out.
func want(st core.Stats) metricscenario.Samples {
	p := metricscenario.Samples{}
	put := func(name string, v float64, attrs ...string) { p[point(name, attrs...)] = v }
	put("otel.sdk.exporter.log.exported", float64(st.Delivered))
	for errorType, n := range map[string]uint64{
		"queue_full": st.Dropped.QueueFull, "shed": st.Dropped.Shed, "too_large": st.Dropped.TooLarge,
		"timeout": st.Dropped.RetriesExhausted, "already_shutdown": st.Dropped.Closed, "rejected": st.Dropped.NotRetriable, "corrupt": st.Dropped.Corrupt,
	} {
		put("otel.sdk.exporter.log.exported", float64(n), "error.type", errorType)
	}
	put("otel.sdk.exporter.log.inflight", float64(st.QueueDepth))
	put("otel.sdk.processor.log.queue.size", float64(st.QueueDepth))
	put("otel.sdk.processor.log.queue.capacity", metricscenario.QueueLimit)
	put("kafkasink.log.received", float64(st.Received))
	put("kafkasink.log.accepted", float64(st.Accepted))
	for i, name := range []string{"none", "trace", "debug", "info", "warn", "error", "dpanic", "panic", "fatal"} {
		put("kafkasink.log.dropped", float64(st.DroppedByLevel.Get(core.Level(i))), "kafkasink.level", name)
	}
	put("kafkasink.log.retried", float64(st.Retries))
	put("kafkasink.log.delivered.size", float64(st.Bytes))
	put("kafkasink.produce.requests", float64(st.Batches))
	put("kafkasink.produce.inflight", float64(st.InFlight))
	put("kafkasink.queue.usage", float64(st.QueueBytes))
	put("kafkasink.fallback.dropped", float64(st.FallbackDropped))
	for _, tp := range st.Topics {
		put("kafkasink.topic.delivered", float64(tp.Delivered), "messaging.destination.name", tp.Topic)
		put("kafkasink.topic.dropped", float64(tp.Dropped), "messaging.destination.name", tp.Topic)
	}
	for i, n := range st.Latency.Counts {
		le := "+Inf"
		if i < len(core.LatencyBounds) {
			le = fmt.Sprint(core.LatencyBounds[i].Seconds())
		}
		put("kafkasink.delivery.duration_bucket", float64(n), "le", le)
	}
	put("kafkasink.delivery.duration_count", float64(st.Latency.Count))
	put("kafkasink.delivery.duration_sum", st.Latency.Sum.Seconds())
	return p
}

// register registers the instruments of sink (named componentName, with
// an attribute of the deployment and QueueCapacity) on a meter provider
// read by the ManualReader it returns, with the registration.
func register(t *testing.T, sink *core.Sink) (*sdkmetric.ManualReader, metric.Registration) {
	t.Helper()
	m := kafkaotel.New(sink, kafkaotel.Options{
		Name:          componentName,
		Attributes:    []attribute.KeyValue{attribute.String("deployment.environment.name", "test")},
		QueueCapacity: metricscenario.QueueLimit,
	})
	reader := sdkmetric.NewManualReader(sdkmetric.WithProducer(m))
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader))
	t.Cleanup(func() { mp.Shutdown(context.Background()) })
	reg, err := m.Register(mp.Meter(kafkaotel.ScopeName))
	if err != nil {
		t.Fatal(err)
	}
	return reader, reg
}

// collectHeld collects from reader while the broker holds the sink's
// requests: once requests are in flight, the counters stand still and the
// oldest entry's age grows. It collects until a collection falls between
// two snapshots of Stats that want renders alike, and returns it with
// them.
func collectHeld(t *testing.T, reader *sdkmetric.ManualReader, sink *core.Sink, want func(core.Stats) metricscenario.Samples) (held metricscenario.Samples, before, after core.Stats) {
	t.Helper()
	testutil.WaitFor(t, 30*time.Second, func() bool {
		before = sink.Stats()
		held = collect(t, reader)
		after = sink.Stats()
		return before.InFlight > 0 && maps.Equal(want(before), want(after))
	}, func() string { return "a collection between two equal snapshots, requests in flight" })
	return held, before, after
}

// collect collects from reader and returns the data points of scope
// ScopeName, keyed by point with the common attributes left out, checking
// each instrument's kind, unit, temporality and description and each
// point's common attributes.
func collect(t *testing.T, reader *sdkmetric.ManualReader) metricscenario.Samples {
	t.Helper()
	var rm metricdata.ResourceMetrics
	if err := reader.Collect(context.Background(), &rm); err != nil {
		t.Fatal(err)
	}
	p := metricscenario.Samples{}
	add := func(name string, set attribute.Set, v float64, extra ...string) {
		var attrs []string
		for _, kv := range set.ToSlice() {
			k, val := string(kv.Key), kv.Value.Emit()
			if want, ok := common[k]; ok {
				if val != want {
					t.Errorf("%s: %s=%q, want %q", name, k, val, want)
				}
				continue
			}
			attrs = append(attrs, k, val)
		}
		for k := range common {
			if !set.HasValue(attribute.Key(k)) {
				t.Errorf("%s: no attribute %s", name, k)
			}
		}
		p[point(name, append(attrs, extra...)...)] = v
	}
	for _, sm := range rm.ScopeMetrics {
		if sm.Scope.Name != kafkaotel.ScopeName {
			continue
		}
		for _, m := range sm.Metrics {
			k, ok := kinds[m.Name]
			if !ok {
				t.Errorf("unexpected instrument %s", m.Name)
				continue
			}
			if m.Unit != k.unit || m.Description == "" {
				t.Errorf("%s: unit %q, description %q; want %q and some", m.Name, m.Unit, m.Description, k.unit)
			}
			switch d := m.Data.(type) {
			case metricdata.Sum[int64]:
				if got := map[bool]string{true: "counter", false: "updown"}[d.IsMonotonic]; got != k.data || d.Temporality != metricdata.CumulativeTemporality {
					t.Errorf("%s: a %s sum, %v; want a cumulative %s", m.Name, got, d.Temporality, k.data)
				}
				for _, dp := range d.DataPoints {
					add(m.Name, dp.Attributes, float64(dp.Value))
				}
			case metricdata.Gauge[float64]:
				if k.data != "gauge" {
					t.Errorf("%s: a gauge, want a %s", m.Name, k.data)
				}
				for _, dp := range d.DataPoints {
					add(m.Name, dp.Attributes, dp.Value)
				}
			case metricdata.Histogram[float64]:
				if k.data != "histogram" || d.Temporality != metricdata.CumulativeTemporality {
					t.Errorf("%s: a %v histogram, want a cumulative %s", m.Name, d.Temporality, k.data)
				}
				for _, dp := range d.DataPoints {
					if len(dp.Bounds) != len(core.LatencyBounds) || len(dp.BucketCounts) != len(dp.Bounds)+1 {
						t.Fatalf("%s: %d bounds, %d counts; want %d and one more", m.Name, len(dp.Bounds), len(dp.BucketCounts), len(core.LatencyBounds))
					}
					if dp.StartTime.IsZero() || !dp.Time.After(dp.StartTime) {
						t.Errorf("%s: start %v, time %v; want a start before the time", m.Name, dp.StartTime, dp.Time)
					}
					for i, n := range dp.BucketCounts {
						le := "+Inf"
						if i < len(dp.Bounds) {
							le = fmt.Sprint(dp.Bounds[i])
						}
						add(m.Name+"_bucket", dp.Attributes, float64(n), "le", le)
					}
					add(m.Name+"_count", dp.Attributes, float64(dp.Count))
					add(m.Name+"_sum", dp.Attributes, dp.Sum)
				}
			default:
				t.Errorf("%s: unexpected data %T", m.Name, m.Data)
			}
		}
	}
	return p
}
