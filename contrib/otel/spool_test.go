package kafkaotel_test

import (
	"context"
	"reflect"
	"sync/atomic"
	"testing"

	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"

	"github.com/kafkasink/kafkasink/contrib/otel"
	"github.com/kafkasink/kafkasink/core"
)

// spoolStats is a Stats whose spool figures and Replayed all differ from
// each other and from every other field set, so that an instrument
// observing another field than its own fails TestSpoolInstruments.
func spoolStats() core.Stats {
	return core.Stats{
		Received: 100, Accepted: 90, Delivered: 27, Retries: 5, Batches: 3, QueueDepth: 10,
		Replayed: 31,
		Spool:    core.SpoolStats{Bytes: 65537, Records: 11, Segments: 9, Appended: 13, ReadBack: 17, Skipped: 19, Errors: 23, Unwritten: 29},
	}
}

// spoolWant is each spool instrument of spoolStats: kind, unit and value.
var spoolWant = map[string]struct {
	monotonic bool
	unit      string
	value     int64
}{
	"kafkasink.log.replayed":    {true, "{log_record}", 31},
	"kafkasink.spool.usage":     {false, "By", 65537},
	"kafkasink.spool.records":   {false, "{log_record}", 11},
	"kafkasink.spool.segments":  {false, "{segment}", 9},
	"kafkasink.spool.appended":  {true, "{log_record}", 13},
	"kafkasink.spool.read_back": {true, "{log_record}", 17},
	"kafkasink.spool.skipped":   {true, "{log_record}", 19},
	"kafkasink.spool.errors":    {true, "{error}", 23},
	"kafkasink.spool.unwritten": {false, "{log_record}", 29},
}

// collectSpool registers m on a fresh SDK and returns a func that
// collects once and returns the spool instruments' sums by name.
func collectSpool(t *testing.T, m *kafkaotel.Metrics) func() map[string]metricdata.Metrics {
	t.Helper()
	reader := sdkmetric.NewManualReader()
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader))
	t.Cleanup(func() { mp.Shutdown(context.Background()) })
	if _, err := m.Register(mp.Meter(kafkaotel.ScopeName)); err != nil {
		t.Fatal(err)
	}
	return func() map[string]metricdata.Metrics {
		t.Helper()
		var rm metricdata.ResourceMetrics
		if err := reader.Collect(context.Background(), &rm); err != nil {
			t.Fatal(err)
		}
		got := map[string]metricdata.Metrics{}
		for _, sm := range rm.ScopeMetrics {
			for _, md := range sm.Metrics {
				if _, ok := spoolWant[md.Name]; ok {
					got[md.Name] = md
				}
			}
		}
		return got
	}
}

// TestSpoolInstruments checks each spool instrument, its kind, unit,
// description and value, against spoolStats.
func TestSpoolInstruments(t *testing.T) {
	got := collectSpool(t, kafkaotel.NewFunc(spoolStats, kafkaotel.Options{}))()
	for name, w := range spoolWant {
		md, ok := got[name]
		if !ok {
			t.Errorf("%s: not collected", name)
			continue
		}
		sum, ok := md.Data.(metricdata.Sum[int64])
		if !ok || len(sum.DataPoints) != 1 {
			t.Errorf("%s: data %T, want a sum of one int64 point", name, md.Data)
			continue
		}
		if sum.IsMonotonic != w.monotonic || sum.Temporality != metricdata.CumulativeTemporality {
			t.Errorf("%s: monotonic %v, %v; want %v, cumulative", name, sum.IsMonotonic, sum.Temporality, w.monotonic)
		}
		if md.Unit != w.unit || md.Description == "" {
			t.Errorf("%s: unit %q, description %q; want %q and some", name, md.Unit, md.Description, w.unit)
		}
		if v := sum.DataPoints[0].Value; v != w.value {
			t.Errorf("%s: got %d, want %d", name, v, w.value)
		}
		if !sum.DataPoints[0].Attributes.HasValue("otel.component.name") {
			t.Errorf("%s: no otel.component.name", name)
		}
	}
	// One instrument per SpoolStats field, and Replayed: a field added to
	// SpoolStats without one fails here.
	if n := reflect.TypeFor[core.SpoolStats]().NumField() + 1; len(spoolWant) != n {
		t.Errorf("%d spool instruments checked, want one per field of core.SpoolStats and Replayed, %d", len(spoolWant), n)
	}
}

// TestSpoolChoice checks which Options register the spool's instruments
// from NewFunc, over collections of one Metrics whose Stats have spool
// figures of zero (a sink without a spool), then not, then zero again: the
// choice is the option's, never the values', so the instruments do not
// come and go.
func TestSpoolChoice(t *testing.T) {
	for _, tt := range []struct {
		name  string
		spool kafkaotel.SpoolSeries
		want  int
	}{
		{"auto", kafkaotel.SpoolAuto, len(spoolWant)},
		{"always", kafkaotel.SpoolAlways, len(spoolWant)},
		{"never", kafkaotel.SpoolNever, 0},
	} {
		t.Run(tt.name, func(t *testing.T) {
			collections := []core.Stats{{}, spoolStats(), {}}
			var i atomic.Int64
			collect := collectSpool(t, kafkaotel.NewFunc(func() core.Stats { return collections[i.Load()] }, kafkaotel.Options{Spool: tt.spool}))
			for ; i.Load() < int64(len(collections)); i.Add(1) {
				if got := collect(); len(got) != tt.want {
					t.Errorf("collection %d (spool figures %+v): got %d spool instruments, want %d", i.Load(), collections[i.Load()].Spool, len(got), tt.want)
				}
			}
		})
	}
}
