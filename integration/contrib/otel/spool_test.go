package otel_test

import (
	"strings"
	"testing"

	"github.com/kafkasink/kafkasink/core"
	"github.com/kafkasink/kafkasink/integration/internal/metricscenario"
)

// TestCollectDurable runs a sink in durable mode against a real broker,
// replaying what an earlier sink left in its SpoolDir and written until
// its spool is full, collects through an SDK ManualReader and compares
// every data point, the spool instruments' included (New registers them:
// the sink has a SpoolDir), with the sink's Stats: once while the broker
// holds the produce requests, once after Close. (TestCollect's sink,
// without a SpoolDir, shows none: its comparison fails on any point not
// in want.)
func TestCollectDurable(t *testing.T) {
	s := metricscenario.StartDurable(t)
	reader, _ := register(t, s.Sink)
	held, before, _ := collectHeld(t, reader, s.Sink, wantDurable)
	held.Take(point("kafkasink.queue.oldest_age"))
	t.Logf("held: replayed %d, spool %+v", before.Replayed, before.Spool)
	metricscenario.Compare(t, "held", held, wantDurable(before))
	for _, name := range []string{
		"kafkasink.spool.usage", "kafkasink.spool.records", "kafkasink.spool.segments",
		"kafkasink.spool.appended", "kafkasink.spool.read_back", "kafkasink.spool.skipped",
	} {
		if held[point(name)] == 0 {
			t.Errorf("held: %s: got 0, want some", name)
		}
	}
	if got := held[point("kafkasink.log.replayed")]; got != metricscenario.Left {
		t.Errorf("held: kafkasink.log.replayed: got %v, want %d", got, metricscenario.Left)
	}

	st := s.Finish(t)
	done := collect(t, reader)
	done.Take(point("kafkasink.queue.oldest_age"))
	t.Logf("closed: replayed %d, spool %+v", st.Replayed, st.Spool)
	metricscenario.Compare(t, "closed", done, wantDurable(st))
	// received + replayed = exported (every reason and delivered) + in flight
	var exported float64
	for k, v := range done {
		if strings.HasPrefix(k, "otel.sdk.exporter.log.exported{") {
			exported += v
		}
	}
	if got, want := done[point("kafkasink.log.received")]+done[point("kafkasink.log.replayed")], exported+done[point("otel.sdk.exporter.log.inflight")]; got != want {
		t.Errorf("received + replayed = %v, want exported + in flight, %v", got, want)
	}
}

// wantDurable is what a collection from a durable sink must show for st:
// want's points and the spool instruments'.
func wantDurable(st core.Stats) metricscenario.Samples {
	p := want(st)
	for name, v := range map[string]float64{
		"kafkasink.log.replayed":    float64(st.Replayed),
		"kafkasink.spool.usage":     float64(st.Spool.Bytes),
		"kafkasink.spool.records":   float64(st.Spool.Records),
		"kafkasink.spool.segments":  float64(st.Spool.Segments),
		"kafkasink.spool.appended":  float64(st.Spool.Appended),
		"kafkasink.spool.read_back": float64(st.Spool.ReadBack),
		"kafkasink.spool.skipped":   float64(st.Spool.Skipped),
		"kafkasink.spool.errors":    float64(st.Spool.Errors),
		"kafkasink.spool.unwritten": float64(st.Spool.Unwritten),
	} {
		p[point(name)] = v
	}
	return p
}
