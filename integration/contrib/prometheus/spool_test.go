package prometheus_test

import (
	"testing"

	"github.com/kafkasink/kafkasink/core"
	"github.com/kafkasink/kafkasink/integration/internal/metricscenario"
)

// TestScrapeDurable runs a sink in durable mode against a real broker,
// replaying what an earlier sink left in its SpoolDir and written until
// its spool is full, scrapes it through promhttp and compares every
// series, the spool's included (New exports them: the sink has a
// SpoolDir), with the sink's Stats: once while the broker holds the
// produce requests, once after Close. (TestScrape's sink, without a
// SpoolDir, shows none: its comparison fails on any series not in want.)
func TestScrapeDurable(t *testing.T) {
	s := metricscenario.StartDurable(t)
	url := serve(t, s.Sink)
	held, before, _ := scrapeHeld(t, url, s.Sink, wantDurable)
	held.Take(`kafkasink_oldest_entry_age_seconds{sink="app"}`)
	t.Logf("held: replayed %d, spool %+v", before.Replayed, before.Spool)
	metricscenario.Compare(t, "held", held, wantDurable(before))
	for _, name := range []string{
		"kafkasink_spool_bytes", "kafkasink_spool_entries", "kafkasink_spool_segments",
		"kafkasink_spool_entries_appended_total", "kafkasink_spool_entries_read_back_total",
		"kafkasink_spool_entries_skipped_total",
	} {
		if k := metricscenario.Key(name, "sink", "app"); held[k] == 0 {
			t.Errorf("held: %s: got 0, want some", k)
		}
	}
	if got := held[`kafkasink_entries_replayed_total{sink="app"}`]; got != metricscenario.Left {
		t.Errorf("held: replayed: got %v, want %d", got, metricscenario.Left)
	}

	st := s.Finish(t)
	done := scrape(t, url)
	done.Take(`kafkasink_oldest_entry_age_seconds{sink="app"}`)
	t.Logf("closed: replayed %d, spool %+v", st.Replayed, st.Spool)
	metricscenario.Compare(t, "closed", done, wantDurable(st))
}

// wantDurable is what a scrape of a durable sink must show for st: want's
// series and the spool's.
func wantDurable(st core.Stats) metricscenario.Samples {
	s := want(st)
	for name, v := range map[string]float64{
		"kafkasink_entries_replayed_total":        float64(st.Replayed),
		"kafkasink_spool_bytes":                   float64(st.Spool.Bytes),
		"kafkasink_spool_entries":                 float64(st.Spool.Records),
		"kafkasink_spool_segments":                float64(st.Spool.Segments),
		"kafkasink_spool_entries_appended_total":  float64(st.Spool.Appended),
		"kafkasink_spool_entries_read_back_total": float64(st.Spool.ReadBack),
		"kafkasink_spool_entries_skipped_total":   float64(st.Spool.Skipped),
		"kafkasink_spool_errors_total":            float64(st.Spool.Errors),
		"kafkasink_spool_unwritten_entries":       float64(st.Spool.Unwritten),
	} {
		s[metricscenario.Key(name, "sink", "app")] = v
	}
	return s
}
