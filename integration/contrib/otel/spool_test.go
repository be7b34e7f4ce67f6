package otel_test

import (
	"context"
	"maps"
	"strings"
	"testing"
	"time"

	"go.opentelemetry.io/otel/attribute"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"

	"github.com/kafkasink/kafkasink/contrib/otel"
	"github.com/kafkasink/kafkasink/core"
	"github.com/kafkasink/kafkasink/integration/internal/metricscenario"
	"github.com/kafkasink/kafkasink/integration/internal/testutil"
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
	m := kafkaotel.New(s.Sink, kafkaotel.Options{
		Name:          componentName,
		Attributes:    []attribute.KeyValue{attribute.String("deployment.environment.name", "test")},
		QueueCapacity: metricscenario.QueueLimit,
	})
	reader := sdkmetric.NewManualReader(sdkmetric.WithProducer(m))
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader))
	defer mp.Shutdown(context.Background())
	if _, err := m.Register(mp.Meter(kafkaotel.ScopeName)); err != nil {
		t.Fatal(err)
	}

	var held metricscenario.Samples
	var before, after core.Stats
	testutil.WaitFor(t, 30*time.Second, func() bool {
		before = s.Sink.Stats()
		held = collect(t, reader)
		after = s.Sink.Stats()
		return before.InFlight > 0 && maps.Equal(wantDurable(before), wantDurable(after))
	}, func() string { return "a collection between two equal snapshots, requests in flight" })
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
