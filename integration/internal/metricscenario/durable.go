package metricscenario

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/kafkasink/kafkasink/core"
	"github.com/kafkasink/kafkasink/integration/internal/testutil"
	"github.com/kafkasink/kafkasink/integration/kafkatest"
)

// Durable-mode scenario sizes: the first process leaves Left entries in
// SpoolDir; the second writes entries of about durableEntryBytes until its
// spool, limited to SpoolByteLimit, is full.
const (
	Left              = 5
	SpoolByteLimit    = 1 << 20
	durableEntryBytes = 16 << 10
)

// Durable is a sink in durable mode (Config.SpoolDir) against a real
// (in-process) broker, whose spool figures are not zero; see
// [StartDurable].
type Durable struct {
	// Sink is the sink under test. Its ErrorHandler discards.
	Sink *core.Sink
	// Written counts the entries written to Sink (all accepted).
	Written int

	c       *kafkatest.Cluster
	release func() // lets the held produce requests through; idempotent
}

// StartDurable runs two sinks, one after the other, on one SpoolDir. The
// first, whose broker is down, writes Left entries, waits until they are
// on disk and closes at once, leaving them there. The second, the Sink,
// runs against a one-broker cluster whose produce requests hang until
// [Durable.Finish] (the first of them then fails once, retriably), with a
// SpoolByteLimit of SpoolByteLimit: it replays the Left entries (read back
// from disk), then is written entries until its spool is full and an
// entry is kept in memory only. It returns then, every entry through a
// spool write, the replayed ones in flight held by the broker.
func StartDurable(t *testing.T) *Durable {
	t.Helper()
	dir := t.TempDir()
	cfg := func(brokers []string) core.Config {
		return core.Config{
			Brokers:        brokers,
			Topic:          kafkatest.DefaultTopic,
			SpoolDir:       dir,
			SpoolByteLimit: SpoolByteLimit,
			MaxEntryBytes:  64 << 10,
			Period:         10 * time.Millisecond,
			WriteTimeout:   time.Minute, // held requests must not time out
			MinBackoff:     10 * time.Millisecond,
			ErrorHandler:   func(error) {},
		}
	}

	first, err := core.New(cfg([]string{testutil.Unreachable(t)}))
	if err != nil {
		t.Fatal(err)
	}
	for i := range Left {
		if err := first.Write(durableEntry(i, "left")); err != nil {
			t.Fatalf("first sink: Write: %v", err)
		}
	}
	testutil.WaitFor(t, 30*time.Second, func() bool {
		sp := first.Stats().Spool
		return sp.Appended == Left && sp.Unwritten == 0
	}, func() string {
		return fmt.Sprintf("the first sink's %d entries on disk: %+v", Left, first.Stats().Spool)
	})
	gone, cancel := context.WithCancel(context.Background())
	cancel()
	first.Close(gone) // gives up on delivering: the entries stay on disk
	if st := first.Stats(); st.QueueDepth != Left || st.Dropped.Total() != 0 || st.Delivered != 0 {
		t.Fatalf("first sink, closed: queue depth %d, dropped %d, delivered %d; want %d left in SpoolDir, none dropped or delivered",
			st.QueueDepth, st.Dropped.Total(), st.Delivered, Left)
	}

	c, release := startHeld(t)
	sink, err := core.New(cfg(c.Addrs()))
	if err != nil {
		t.Fatal(err)
	}
	d := &Durable{Sink: sink, c: c, release: release}
	t.Cleanup(func() {
		d.release()
		sink.Close(context.Background())
	})
	if st := sink.Stats(); st.Replayed != Left {
		t.Fatalf("second sink: Replayed %d, want %d", st.Replayed, Left)
	}
	// Write until the spool is full: each entry through a spool write
	// before the next, so that the first one kept in memory only ends
	// the loop.
	for i := 0; sink.Stats().Spool.Skipped == 0; i++ {
		if i > 4*SpoolByteLimit/durableEntryBytes {
			t.Fatalf("%d entries of %d bytes written, none kept in memory only: %+v", i, durableEntryBytes, sink.Stats().Spool)
		}
		if err := sink.Write(durableEntry(i, "new")); err != nil {
			t.Fatalf("second sink: Write: %v", err)
		}
		d.Written++
		testutil.WaitFor(t, 30*time.Second, func() bool { return sink.Stats().Spool.Unwritten == 0 },
			func() string { return fmt.Sprintf("entry %d through a spool write: %+v", i, sink.Stats().Spool) })
	}
	return d
}

// durableEntry is entry i of the durable scenario, of about
// durableEntryBytes.
func durableEntry(i int, msg string) core.Entry {
	json := fmt.Sprintf(`{"msg":%q,"i":%d,"pad":"%s"}`, msg, i, strings.Repeat("x", durableEntryBytes))
	return core.Entry{Time: time.Now(), Level: core.InfoLevel, JSON: []byte(json)}
}

// Finish releases the broker, flushes and closes the sink, and checks
// that every entry, replayed or written, was delivered, what a consumer
// reads back against Stats, which it returns.
func (d *Durable) Finish(t *testing.T) core.Stats {
	t.Helper()
	d.release()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := d.Sink.Flush(ctx); err != nil {
		t.Fatalf("Flush: %v", err)
	}
	if err := d.Sink.Close(ctx); err != nil {
		t.Fatalf("Close: %v", err)
	}
	st := d.Sink.Stats()
	if want := uint64(Left + d.Written); st.Delivered != want || st.Dropped.Total() != 0 || st.QueueDepth != 0 {
		t.Fatalf("Stats: delivered %d, dropped %d, queued %d; want %d (replayed and written), 0, 0", st.Delivered, st.Dropped.Total(), st.QueueDepth, want)
	}
	if got := st.Received + st.Replayed; got != st.Delivered {
		t.Fatalf("received %d + replayed %d = %d, delivered %d", st.Received, st.Replayed, got, st.Delivered)
	}
	recs := d.c.ReadN(t, kafkatest.DefaultTopic, int(st.Delivered), 10*time.Second)
	if uint64(len(recs)) != st.Delivered {
		t.Fatalf("read back %d records, Stats say %d delivered", len(recs), st.Delivered)
	}
	return st
}
