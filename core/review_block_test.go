package core

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"testing/synctest"
	"time"
)

// gateTransport is the fake transport, except that each produce request
// waits for a token on gate (or its context's end).
type gateTransport struct {
	*fakeTransport
	gate chan struct{}
}

func (g *gateTransport) produce(ctx context.Context, topic string, partition int32, bp *[]byte) (map[int]error, error) {
	select {
	case <-g.gate:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	return g.fakeTransport.produce(ctx, topic, partition, bp)
}

// TestBlockedWriteWakesWhenItFits: under Block, a Write waits until it
// fits. waitForRoom decides that with queue.fits, which asks for a whole
// new chunk's bytes, though the entry may fit in the chunk being filled.
// Here the queue is at QueueLimit with every chunk allocated and the last
// one half empty; one entry is delivered (its chunk still pinned by its
// neighbours): tryAdmit would now take the blocked entry, but the Write
// goes on waiting, until a whole chunk frees or BlockTimeout.
func TestBlockedWriteWakesWhenItFits(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		g := &gateTransport{fakeTransport: newFake(1), gate: make(chan struct{}, 100)}
		cfg := Config{
			BatchSizeLimit: 1, Period: time.Hour, DelayFirstEntry: true, MaxInFlight: 1,
			QueueLimit: 62, QueueByteLimit: 64 << 10, MaxEntryBytes: 2000, MaxBatchBytes: 100000,
			OverflowPolicy: Block, BlockTimeout: time.Hour, ErrorHandler: func(error) {},
		}
		s := newTestSink(t, cfg, g)
		pad := strings.Repeat("x", 990)
		e := func(i int) Entry {
			return Entry{Level: InfoLevel, JSON: fmt.Appendf(nil, `{"i":%02d,"p":"%s"}`, i, pad)}
		}
		for i := range 62 { // 4 a 4 KiB chunk: 15 full chunks and 2 entries in the 16th, 64 KiB in all
			if err := s.Write(e(i)); err != nil {
				t.Fatalf("Write(%d) = %v", i, err)
			}
		}
		synctest.Wait()
		if st := s.Stats(); st.QueueDepth != 62 || st.QueueBytes != 64<<10 {
			t.Fatalf("depth %d, bytes %d; want 62 and 65536", st.QueueDepth, st.QueueBytes)
		}
		done := make(chan error, 1)
		go func() { done <- s.Write(e(62)) }()
		synctest.Wait()      // blocked: QueueLimit
		g.gate <- struct{}{} // the first entry is delivered
		synctest.Wait()
		returned := false
		select {
		case err := <-done:
			returned = true
			if err != nil {
				t.Errorf("blocked Write = %v", err)
			}
		default:
			st := s.Stats()
			t.Errorf("Write still blocked with room for it: depth %d of QueueLimit 62, and the chunk being filled has room (QueueBytes %d)", st.QueueDepth, st.QueueBytes)
		}
		close(g.gate)
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		s.Close(ctx)
		if !returned {
			<-done
		}
	})
}
