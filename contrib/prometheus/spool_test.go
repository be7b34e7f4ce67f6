package kafkaprom_test

import (
	"reflect"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/kafkasink/kafkasink/contrib/prometheus"
	"github.com/kafkasink/kafkasink/core"
)

// spoolNames are the names of the spool's series.
var spoolNames = []string{
	"kafkasink_entries_replayed_total",
	"kafkasink_spool_bytes",
	"kafkasink_spool_entries",
	"kafkasink_spool_segments",
	"kafkasink_spool_entries_appended_total",
	"kafkasink_spool_entries_read_back_total",
	"kafkasink_spool_entries_skipped_total",
	"kafkasink_spool_errors_total",
	"kafkasink_spool_unwritten_entries",
}

// TestSpoolSeries checks each spool series, its type, help and value,
// against fixed's Stats, whose spool figures all differ: a series showing
// another field than its own fails.
func TestSpoolSeries(t *testing.T) {
	c := kafkaprom.NewFunc(fixed, kafkaprom.Options{ConstLabels: prometheus.Labels{"sink": "app"}})
	if err := testutil.CollectAndCompare(c, strings.NewReader(`
# HELP kafkasink_entries_replayed_total Log entries found in SpoolDir at New, left undelivered by an earlier process: read back to be delivered, or lost to damaged files (dropped, reason corrupt).
# TYPE kafkasink_entries_replayed_total counter
kafkasink_entries_replayed_total{sink="app"} 31
# HELP kafkasink_spool_bytes Bytes of the spool's segment and journal files: what SpoolByteLimit bounds.
# TYPE kafkasink_spool_bytes gauge
kafkasink_spool_bytes{sink="app"} 65537
# HELP kafkasink_spool_entries Log entries on disk not yet delivered or dropped, whether also held in memory or not.
# TYPE kafkasink_spool_entries gauge
kafkasink_spool_entries{sink="app"} 11
# HELP kafkasink_spool_segments Segment files of the spool.
# TYPE kafkasink_spool_segments gauge
kafkasink_spool_segments{sink="app"} 9
# HELP kafkasink_spool_entries_appended_total Log entries this process wrote to the spool.
# TYPE kafkasink_spool_entries_appended_total counter
kafkasink_spool_entries_appended_total{sink="app"} 13
# HELP kafkasink_spool_entries_read_back_total Log entries read back from the spool: replayed, or spilled out of memory during an outage.
# TYPE kafkasink_spool_entries_read_back_total counter
kafkasink_spool_entries_read_back_total{sink="app"} 17
# HELP kafkasink_spool_entries_skipped_total Log entries kept in memory only, not written to the spool, because it was full (SpoolByteLimit) or failed.
# TYPE kafkasink_spool_entries_skipped_total counter
kafkasink_spool_entries_skipped_total{sink="app"} 19
# HELP kafkasink_spool_errors_total Failed writes, reads and fsyncs of the spool's files.
# TYPE kafkasink_spool_errors_total counter
kafkasink_spool_errors_total{sink="app"} 23
# HELP kafkasink_spool_unwritten_entries Log entries accepted and not yet through a spool write: what a kill -9 would lose now.
# TYPE kafkasink_spool_unwritten_entries gauge
kafkasink_spool_unwritten_entries{sink="app"} 29
`), spoolNames...); err != nil {
		t.Error(err)
	}
	// One series per SpoolStats field, and Replayed: a field added to
	// SpoolStats without a series fails here.
	if n := reflect.TypeFor[core.SpoolStats]().NumField() + 1; len(spoolNames) != n {
		t.Errorf("%d spool series checked, want one per field of core.SpoolStats and Replayed, %d", len(spoolNames), n)
	}
}

// TestSpoolChoice checks which Options export the spool's series from
// NewFunc, over scrapes of one Collector whose Stats have spool figures of
// zero (a sink without a spool), then not, then zero again: the choice is
// the option's, never the values', so the series do not come and go.
func TestSpoolChoice(t *testing.T) {
	for _, tt := range []struct {
		name  string
		spool kafkaprom.SpoolSeries
		want  int
	}{
		{"auto", kafkaprom.SpoolAuto, len(spoolNames)},
		{"always", kafkaprom.SpoolAlways, len(spoolNames)},
		{"never", kafkaprom.SpoolNever, 0},
	} {
		t.Run(tt.name, func(t *testing.T) {
			scrapes := []core.Stats{{}, fixed(), {}}
			var i atomic.Int64
			stats := func() core.Stats { return scrapes[i.Load()] }
			reg := prometheus.NewPedanticRegistry() // checks Collect against Describe
			reg.MustRegister(kafkaprom.NewFunc(stats, kafkaprom.Options{Spool: tt.spool}))
			for ; i.Load() < int64(len(scrapes)); i.Add(1) {
				n, err := testutil.GatherAndCount(reg, spoolNames...)
				if err != nil {
					t.Fatal(err)
				}
				if n != tt.want {
					t.Errorf("scrape %d (spool figures %+v): got %d spool series, want %d", i.Load(), stats().Spool, n, tt.want)
				}
			}
		})
	}
}
