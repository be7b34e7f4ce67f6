package core

import (
	"fmt"
	"strings"
	"testing"
	"testing/synctest"
	"time"
)

// liveChunkBytes is the memory of the arena's chunks in use (refs > 0):
// queued entries' chunks and the batcher's chunks of formatted values.
func liveChunkBytes(a *arena) int {
	a.mu.Lock()
	defer a.mu.Unlock()
	n := 0
	for id := uint32(0); id < a.n; id++ {
		if c := a.chunk(id); c.refs.Load() > 0 {
			n += len(c.mem)
		}
	}
	return n
}

// TestFormatterMemoryWithinQueueByteLimit: the README says QueueByteLimit
// is never exceeded and bounds memory during an outage. The Formatter's
// values (and decided keys and headers) go into the batcher's ext chunks,
// which are not counted (arena.get(need, false) in batcher.keep). During
// an outage the batcher holds the whole backlog, each entry formatted, so
// the sink's entry memory is QueueByteLimit plus the formatted copies:
// with SerilogJSON about twice the limit.
func TestFormatterMemoryWithinQueueByteLimit(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f, release := newFakeWithoutMetadata(1)
		const limit = 256 << 10
		cfg := Config{
			BatchSizeLimit: 10, Period: time.Second, DelayFirstEntry: true,
			QueueByteLimit: limit, MaxEntryBytes: 4000, MaxBatchBytes: 100000, ShedThreshold: 1,
			Formatter: SerilogJSON{}, ErrorHandler: func(error) {},
		}
		s := newTestSink(t, cfg, f)
		pad := strings.Repeat("x", 900)
		for i := range 1000 {
			s.Write(Entry{Level: InfoLevel, Message: "request served", Time: time.Now(),
				JSON: fmt.Appendf(nil, `{"level":"info","ts":%d,"msg":"request served","i":%d,"pad":"%s"}`, time.Now().Unix(), i, pad)})
			synctest.Wait()
		}
		st := s.Stats()
		live := liveChunkBytes(s.q.arena)
		t.Logf("QueueBytes %d, QueueDepth %d, live chunk memory %d", st.QueueBytes, st.QueueDepth, live)
		if live > limit {
			t.Errorf("entries held take %d bytes of chunks (%.1f× QueueByteLimit %d); Stats.QueueBytes says %d", live, float64(live)/limit, limit, st.QueueBytes)
		}
		release()
		closeSink(t, s)
	})
}
