package core_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/kafkasink/kafkasink/core"
	"github.com/kafkasink/kafkasink/integration/kafkatest"
)

// TestDurableWritesRacingClose: with the brokers down, goroutines
// write to a durable sink while Close is called; every entry Write
// accepted must be either dropped and counted by the first sink, or left
// in the spool and replayed by the next one (Replayed equal to the first
// sink's QueueDepth after Close), and reach Kafka once the brokers are
// back; nothing accepted is lost, and each sink's accounting is exact.
func TestDurableWritesRacingClose(t *testing.T) {
	c := kafkatest.Start(t)
	const topic = "racing"
	c.CreateTopic(t, topic, 3)
	dir := t.TempDir()
	cfg := core.Config{
		Brokers: c.Addrs(), Topic: topic, SpoolDir: dir,
		BatchSizeLimit: 50, Period: 10 * time.Millisecond,
		MinBackoff: 10 * time.Millisecond, MaxBackoff: 100 * time.Millisecond,
		DialTimeout: 500 * time.Millisecond, WriteTimeout: time.Second,
		QueueByteLimit: 1 << 20, // spills to disk during the outage
		ErrorHandler:   func(error) {},
	}
	c.Stop()
	s1, err := core.New(cfg)
	if err != nil {
		t.Fatalf("New = %v", err)
	}
	const writers = 4
	var accepted [writers][]int
	var refused atomic.Int64
	var started, wg sync.WaitGroup
	stop := make(chan struct{})
	for g := range writers {
		started.Add(1)
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; ; i++ {
				if i == 2000 {
					started.Done()
				}
				id := g*10_000_000 + i
				e := core.Entry{Time: time.Now(), Level: core.ErrorLevel, JSON: fmt.Appendf(nil, `{"id":%d,"pad":"0123456789012345678901234567890123456789"}`+"\n", id)}
				err := s1.Write(e)
				switch {
				case err == nil:
					accepted[g] = append(accepted[g], id)
				case errors.Is(err, core.ErrClosed):
					refused.Add(1)
					select {
					case <-stop:
						return
					default:
					}
				default:
					refused.Add(1)
				}
			}
		}()
	}
	started.Wait()
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	cerr := s1.Close(ctx)
	cancel()
	close(stop)
	wg.Wait()
	st1 := s1.Stats()
	nAccepted := 0
	for g := range writers {
		nAccepted += len(accepted[g])
	}
	t.Logf("first sink: Close = %v; accepted %d, refused %d; stats received %d accepted %d delivered %d dropped %+v depth %d",
		cerr, nAccepted, refused.Load(), st1.Received, st1.Accepted, st1.Delivered, st1.Dropped, st1.QueueDepth)
	if got, want := st1.Received, uint64(nAccepted)+uint64(refused.Load()); got != want {
		t.Errorf("first sink: Received = %d, want %d Writes", got, want)
	}
	if got, want := st1.Accepted, uint64(nAccepted); got != want {
		t.Errorf("first sink: Accepted = %d, want %d (Writes that returned nil)", got, want)
	}
	if got, want := st1.Received+st1.Replayed, st1.Delivered+st1.Dropped.Total()+uint64(st1.QueueDepth); got != want {
		t.Errorf("first sink: Received+Replayed = %d, Delivered+Dropped+QueueDepth = %d", got, want)
	}
	if got, want := st1.DroppedByLevel.Error, st1.Dropped.Total()-st1.Dropped.Corrupt; got != want {
		t.Errorf("first sink: DroppedByLevel.Error = %d, want Dropped.Total less Corrupt = %d", got, want)
	}
	// Entries accepted and dropped by the first sink: those are the only
	// ones allowed to be missing from Kafka.
	droppedAccepted := st1.Dropped.Total() - (st1.Received - st1.Accepted)

	if err := c.Restart(); err != nil {
		t.Fatalf("Restart = %v", err)
	}
	cfg.Brokers = c.Addrs()
	s2 := mustNew(t, cfg)
	if got, want := s2.Stats().Replayed, uint64(st1.QueueDepth); got != want {
		t.Errorf("second sink: Replayed = %d, want the first sink's QueueDepth after Close, %d", got, want)
	}
	flush(t, s2, 60*time.Second)
	st2 := s2.Stats()
	if got, want := st2.Received+st2.Replayed, st2.Delivered+st2.Dropped.Total()+uint64(st2.QueueDepth); got != want {
		t.Errorf("second sink: Received+Replayed = %d, Delivered+Dropped+QueueDepth = %d", got, want)
	}
	recs := c.ReadN(t, topic, int(st2.Delivered), 20*time.Second)
	seen := map[int]int{}
	for _, r := range recs {
		var v struct{ ID int }
		if err := json.Unmarshal(r.Value, &v); err != nil {
			t.Fatalf("record %v: %v", r, err)
		}
		seen[v.ID]++
	}
	missing := 0
	for g := range writers {
		for _, id := range accepted[g] {
			if seen[id] == 0 {
				missing++
			}
		}
	}
	t.Logf("second sink: replayed %d, delivered %d, dropped %+v; %d records read, %d accepted ids missing, %d dropped by the first sink",
		st2.Replayed, st2.Delivered, st2.Dropped, len(recs), missing, droppedAccepted)
	if uint64(missing) > droppedAccepted {
		t.Errorf("%d accepted entries missing from Kafka, more than the %d the first sink counted as dropped", missing, droppedAccepted)
	}
	if len(recs) > nAccepted && st1.InFlight == 0 {
		t.Errorf("%d records in Kafka, more than the %d accepted, with nothing in flight at Close", len(recs), nAccepted)
	}
}
