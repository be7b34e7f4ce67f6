package core

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/segmentio/kafka-go"
)

// lineCollector is a Fallback that keeps the lines it is given.
type lineCollector struct {
	mu    sync.Mutex
	lines []string
}

func (l *lineCollector) Write(p []byte) (int, error) {
	l.mu.Lock()
	l.lines = append(l.lines, strings.TrimSuffix(string(p), "\n"))
	l.mu.Unlock()
	return len(p), nil
}

// TestStressAccountingAndKeyOrder (a check that passes, kept as a
// regression test of the sharded admission): many goroutines write keyed entries
// (one key a goroutine) through a small queue with every overflow policy,
// a broker that fails requests now and then, Flush calls meanwhile, and a
// Close at the end. At rest: every entry written is delivered once or
// dropped (and, but for FallbackDropped, given to the Fallback), never
// both, never twice; each key's entries reach Kafka in the order written;
// the counts add up and the queue's memory is back to zero.
func TestStressAccountingAndKeyOrder(t *testing.T) {
	if testing.Short() {
		t.Skip("stress")
	}
	for _, tt := range []struct {
		policy    OverflowPolicy
		byteLimit int // 64 MiB: several shards; 256 KiB: one, and bytes bind
	}{
		{DropNewest, 64 << 20}, {DropOldest, 64 << 20}, {Block, 64 << 20},
		{DropNewest, 256 << 10}, {DropOldest, 256 << 10}, {Block, 256 << 10},
	} {
		policy := tt.policy
		t.Run(fmt.Sprintf("%v/%d", policy, tt.byteLimit), func(t *testing.T) {
			f := newFake(4)
			var calls atomic.Int64
			f.fail = func(c fakeCall) (map[int]error, error) {
				switch n := calls.Add(1); {
				case n%7 == 0:
					return nil, kafka.NotLeaderForPartition
				case n%11 == 0:
					return nil, errors.New("connection reset")
				case n%13 == 0 && len(c.Values) > 1:
					return map[int]error{len(c.Values) / 2: kafka.InvalidMessage}, kafka.InvalidMessage
				}
				return nil, nil
			}
			fb := &lineCollector{}
			cfg := Config{
				BatchSizeLimit: 20, Period: 5 * time.Millisecond, MaxInFlight: 3,
				QueueLimit: 300, QueueByteLimit: tt.byteLimit, MaxEntryBytes: 4000, MaxBatchBytes: 20000,
				OverflowPolicy: policy, BlockTimeout: 2 * time.Millisecond, ShedThreshold: 1,
				MinBackoff: time.Millisecond, MaxBackoff: 5 * time.Millisecond,
				KeyDecider:   func(e Entry) []byte { return []byte(e.LoggerName) },
				ErrorHandler: func(error) {}, Fallback: fb,
			}
			s := newTestSink(t, cfg, f)
			t.Logf("%d shards", len(s.q.shards))
			const goroutines, each = 8, 1500
			var wg sync.WaitGroup
			for g := range goroutines {
				wg.Add(1)
				go func() {
					defer wg.Done()
					name := "g" + strconv.Itoa(g)
					for i := range each {
						pad := strings.Repeat("p", rand.IntN(600))
						s.Write(Entry{Level: InfoLevel, LoggerName: name, JSON: fmt.Appendf(nil, `{"g":%d,"i":%d,"p":"%s"}`, g, i, pad)})
						if i%500 == 0 {
							ctx, cancel := context.WithTimeout(context.Background(), 5*time.Millisecond)
							s.Flush(ctx)
							cancel()
						}
					}
				}()
			}
			wg.Wait()
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			closeErr := s.Close(ctx)
			if closeErr != nil {
				t.Logf("Close = %v", closeErr)
			}
			// The identities hold once the callbacks have returned: Close
			// may leave the reporter behind (see
			// TestCloseGivesTheFallbackItsTime).
			<-s.rep.done
			<-s.b.done

			st := s.Stats()
			if st.Received != goroutines*each {
				t.Errorf("Received %d, want %d", st.Received, goroutines*each)
			}
			if got := st.Delivered + st.Dropped.Total() + uint64(st.QueueDepth); got != st.Received {
				t.Errorf("Delivered %d + Dropped %d + QueueDepth %d = %d, want Received %d", st.Delivered, st.Dropped.Total(), st.QueueDepth, got, st.Received)
			}
			if st.QueueDepth != 0 || st.QueueBytes != 0 {
				t.Errorf("after Close: QueueDepth %d, QueueBytes %d, want 0, 0", st.QueueDepth, st.QueueBytes)
			}
			fb.mu.Lock()
			fallen := fb.lines
			fb.mu.Unlock()
			if got := uint64(len(fallen)) + st.FallbackDropped; got != st.Dropped.Total() {
				t.Errorf("Fallback got %d + FallbackDropped %d = %d, want Dropped %d", len(fallen), st.FallbackDropped, got, st.Dropped.Total())
			}
			seen := map[string]string{}
			last := map[string]int{}
			for _, c := range f.snapshot() {
				if !c.OK {
					continue
				}
				for j, v := range c.Values {
					key := v[:strings.Index(v, `,"p"`)]
					if where, dup := seen[key]; dup {
						t.Errorf("%s delivered twice (%s)", key, where)
					}
					seen[key] = "kafka"
					var g, i int
					fmt.Sscanf(key, `{"g":%d,"i":%d`, &g, &i)
					k := c.Keys[j]
					if p, ok := last[k]; ok && i <= p {
						t.Errorf("key %s: entry %d after %d", k, i, p)
					}
					last[k] = i
				}
			}
			if uint64(len(seen)) != st.Delivered {
				t.Errorf("Kafka has %d entries, Stats.Delivered %d", len(seen), st.Delivered)
			}
			for _, v := range fallen {
				key := v[:strings.Index(v, `,"p"`)]
				if where, dup := seen[key]; dup {
					t.Errorf("%s in the Fallback and in %s", key, where)
				}
				seen[key] = "the Fallback"
			}
			t.Logf("delivered %d, dropped %+v, fallback %d, fallback dropped %d", st.Delivered, st.Dropped, len(fallen), st.FallbackDropped)
		})
	}
}
