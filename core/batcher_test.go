package core

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/segmentio/kafka-go"
)

func entry(i int) Entry {
	return Entry{Level: InfoLevel, JSON: fmt.Appendf(nil, `{"i":%d}`+"\n", i)}
}

func value(i int) string { return fmt.Sprintf(`{"i":%d}`, i) }

func values(from, to int) []string {
	var out []string
	for i := from; i < to; i++ {
		out = append(out, value(i))
	}
	return out
}

func write(t *testing.T, s *Sink, from, to int) {
	t.Helper()
	for i := from; i < to; i++ {
		if err := s.Write(entry(i)); err != nil {
			t.Fatalf("Write(%d) = %v", i, err)
		}
	}
}

func closeSink(t *testing.T, s *Sink) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := s.Close(ctx); err != nil {
		t.Fatalf("Close = %v", err)
	}
}

func callSizes(calls []fakeCall) []int {
	var n []int
	for _, c := range calls {
		n = append(n, len(c.Values))
	}
	return n
}

func TestBatchTriggers(t *testing.T) {
	for _, tt := range []struct {
		name  string
		cfg   Config
		write int
		wait  time.Duration
		want  []int // sizes of the produce requests made by then
	}{
		{"size trigger", Config{BatchSizeLimit: 10, Period: time.Hour, DelayFirstEntry: true}, 25, time.Second, []int{10, 10}},
		{"below size, before period", Config{BatchSizeLimit: 10, Period: time.Hour, DelayFirstEntry: true}, 9, time.Minute, nil},
		{"period trigger", Config{BatchSizeLimit: 10, Period: time.Minute, DelayFirstEntry: true}, 3, time.Minute + time.Second, []int{3}},
		{"eager first entry", Config{BatchSizeLimit: 10, Period: time.Hour}, 1, time.Millisecond, []int{1}},
		{"back-to-back full batches", Config{BatchSizeLimit: 10, Period: time.Hour, DelayFirstEntry: true}, 50, time.Millisecond, []int{10, 10, 10, 10, 10}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				f := newFake(8)
				s := newTestSink(t, tt.cfg, f)
				write(t, s, 0, tt.write)
				time.Sleep(tt.wait)
				synctest.Wait()
				if got := callSizes(f.snapshot()); !slices.Equal(got, tt.want) {
					t.Errorf("request sizes = %v, want %v", got, tt.want)
				}
				closeSink(t, s)
				if got, want := len(f.delivered()), tt.write; got != want {
					t.Errorf("delivered after Close = %d, want %d", got, want)
				}
			})
		})
	}
}

func TestStickyPartitioning(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := newFake(4)
		s := newTestSink(t, Config{BatchSizeLimit: 10, Period: time.Hour, DelayFirstEntry: true}, f)
		write(t, s, 0, 40)
		synctest.Wait()
		closeSink(t, s)
		var parts []int32
		for _, c := range f.snapshot() {
			parts = append(parts, c.Partition)
		}
		slices.Sort(parts)
		if want := []int32{0, 1, 2, 3}; !slices.Equal(parts, want) {
			t.Errorf("partitions of 4 full batches = %v, want one batch each %v", parts, want)
		}
	})
}

func TestKeyedPartitioningKeepsOrder(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := newFake(6)
		cfg := Config{BatchSizeLimit: 7, Period: time.Hour, DelayFirstEntry: true,
			KeyDecider: func(e Entry) []byte { return []byte("k" + strconv.Itoa(len(e.JSON)%3)) }}
		s := newTestSink(t, cfg, f)
		write(t, s, 0, 100)
		closeSink(t, s)
		byKey := map[string][]string{}
		partOf := map[string]int32{}
		for _, c := range f.snapshot() {
			for i, k := range c.Keys {
				byKey[k] = append(byKey[k], c.Values[i])
				if p, ok := partOf[k]; ok && p != c.Partition {
					t.Errorf("key %s in partitions %d and %d", k, p, c.Partition)
				}
				partOf[k] = c.Partition
				if want := int32(murmur2([]byte(k)) & 0x7fffffff % 6); c.Partition != want {
					t.Errorf("key %s in partition %d, want murmur2 partition %d", k, c.Partition, want)
				}
			}
		}
		for k, vs := range byKey {
			if !slices.IsSortedFunc(vs, func(a, b string) int { return len(a) - len(b) }) {
				t.Errorf("key %s out of order: %v", k, vs)
			}
		}
	})
}

func TestRetryFailedRecordsOnly(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := newFake(1)
		failures := 3
		f.fail = func(c fakeCall) (map[int]error, error) {
			if failures > 0 {
				failures--
				return nil, kafka.NotLeaderForPartition
			}
			return nil, nil
		}
		var errs []error
		cfg := Config{BatchSizeLimit: 10, Period: time.Hour, DelayFirstEntry: true,
			ErrorHandler: func(err error) { errs = append(errs, err) }}
		s := newTestSink(t, cfg, f)
		write(t, s, 0, 10)
		closeSink(t, s)
		if got, want := f.delivered(), values(0, 10); !slices.Equal(got, want) {
			t.Errorf("delivered = %v, want %v", got, want)
		}
		st := s.Stats()
		if st.Retries != 30 || st.Delivered != 10 || st.Dropped.Total() != 0 {
			t.Errorf("stats = %+v, want 30 retries, 10 delivered, 0 dropped", st)
		}
		if len(errs) != 3 || !errors.Is(errs[0], kafka.NotLeaderForPartition) {
			t.Errorf("ErrorHandler got %v, want 3 NotLeaderForPartition", errs)
		}
		if f.refreshes == 0 {
			t.Error("no metadata refresh after NotLeaderForPartition")
		}
	})
}

func TestBackoffGrows(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := newFake(1)
		var at []time.Time
		f.fail = func(c fakeCall) (map[int]error, error) {
			at = append(at, time.Now())
			if len(at) < 6 {
				return nil, errors.New("connection refused")
			}
			return nil, nil
		}
		cfg := Config{BatchSizeLimit: 1, Period: time.Hour, MinBackoff: time.Second, MaxBackoff: 4 * time.Second, ErrorHandler: func(error) {}}
		s := newTestSink(t, cfg, f)
		write(t, s, 0, 1)
		closeSink(t, s)
		for i := 1; i < len(at); i++ {
			gap := at[i].Sub(at[i-1])
			want := min(time.Second<<(i-1), 4*time.Second)
			if gap < want*8/10 || gap > want*12/10 {
				t.Errorf("wait before attempt %d = %v, want %v ±20%%", i+1, gap, want)
			}
		}
	})
}

func TestNonRetriableDroppedAlone(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := newFake(1)
		f.fail = func(c fakeCall) (map[int]error, error) {
			if c.Topic == "forbidden" {
				return nil, kafka.TopicAuthorizationFailed
			}
			if i := slices.Index(c.Values, value(5)); i >= 0 {
				return map[int]error{i: errors.New("invalid record")}, kafka.InvalidRecord
			}
			return nil, nil
		}
		var fb fallback
		cfg := Config{BatchSizeLimit: 10, Period: time.Hour, DelayFirstEntry: true, Fallback: &fb, ErrorHandler: func(error) {},
			TopicDecider: func(e Entry) string {
				switch e.Field("i") {
				case "3":
					return "forbidden"
				case "7":
					return "bad topic!"
				}
				return ""
			}}
		s := newTestSink(t, cfg, f)
		write(t, s, 0, 10)
		ctx := context.Background()
		err := s.Close(ctx)
		var ue *UndeliveredError
		if !errors.As(err, &ue) || ue.Count != 3 || !errors.Is(err, ErrDropped) {
			t.Errorf("Close = %v, want 3 undelivered, ErrDropped", err)
		}
		want := values(0, 10)
		want = slices.DeleteFunc(want, func(v string) bool { return v == value(3) || v == value(5) || v == value(7) })
		if got := f.delivered(); !slices.Equal(got, want) {
			t.Errorf("delivered = %v, want %v", got, want)
		}
		if got, want := fb.lines(), []string{value(7), value(3), value(5)}; !sameSet(got, want) {
			t.Errorf("fallback got %v, want %v", got, want)
		}
		st := s.Stats()
		if st.Dropped.NotRetriable != 3 || st.Delivered != 7 {
			t.Errorf("stats = %+v, want 3 not retriable, 7 delivered", st)
		}
	})
}

func TestTooLargeSplitsThenDropsAlone(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := newFake(1)
		f.fail = func(c fakeCall) (map[int]error, error) {
			if slices.Contains(c.Values, value(6)) {
				return nil, kafka.MessageSizeTooLarge
			}
			return nil, nil
		}
		cfg := Config{BatchSizeLimit: 10, Period: time.Hour, DelayFirstEntry: true, ErrorHandler: func(error) {}}
		s := newTestSink(t, cfg, f)
		write(t, s, 0, 10)
		s.Close(context.Background())
		got := f.delivered()
		slices.Sort(got)
		want := slices.DeleteFunc(values(0, 10), func(v string) bool { return v == value(6) })
		slices.Sort(want)
		if !slices.Equal(got, want) {
			t.Errorf("delivered = %v, want %v", got, want)
		}
		if st := s.Stats(); st.Dropped.TooLarge != 1 {
			t.Errorf("dropped too large = %d, want 1", st.Dropped.TooLarge)
		}
	})
}

func TestRetryTimeLimit(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := newFake(1)
		f.fail = func(c fakeCall) (map[int]error, error) { return nil, kafka.RequestTimedOut }
		var fb fallback
		cfg := Config{BatchSizeLimit: 5, Period: time.Hour, RetryTimeLimit: time.Minute, Fallback: &fb, ErrorHandler: func(error) {}}
		s := newTestSink(t, cfg, f)
		write(t, s, 0, 5)
		start := time.Now()
		err := s.Flush(context.Background())
		if !errors.Is(err, ErrDropped) {
			t.Errorf("Flush = %v, want ErrDropped", err)
		}
		if d := time.Since(start); d < time.Minute || d > time.Minute+15*time.Second {
			t.Errorf("gave up after %v, want RetryTimeLimit (1m) plus at most one backoff", d)
		}
		if st := s.Stats(); st.Dropped.RetriesExhausted != 5 {
			t.Errorf("retries exhausted = %d, want 5", st.Dropped.RetriesExhausted)
		}
		synctest.Wait() // the reporter writes the Fallback
		if got := fb.lines(); len(got) != 5 {
			t.Errorf("fallback got %d lines, want 5", len(got))
		}
		s.Close(context.Background())
	})
}

// TestUnkeyedRecordsAvoidFailingPartition: records without a key skip a
// partition that keeps failing, and those of its failed request move to a
// partition that works, since nothing newer has been sent there: all of
// them arrive while the partition still fails, in order in each partition.
// (Where newer records have been sent, they wait instead:
// TestMovedRecordsKeepPartitionOrder.)
func TestUnkeyedRecordsAvoidFailingPartition(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := newFake(3)
		f.fail = func(c fakeCall) (map[int]error, error) {
			if c.Partition == 0 {
				return nil, kafka.NotEnoughReplicas
			}
			return nil, nil
		}
		cfg := Config{BatchSizeLimit: 10, Period: time.Hour, DelayFirstEntry: true, ErrorHandler: func(error) {}}
		s := newTestSink(t, cfg, f)
		write(t, s, 0, 10) // one batch, to partition 0, which refuses it
		synctest.Wait()
		write(t, s, 10, 60)
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := s.Flush(ctx); err != nil {
			t.Errorf("Flush = %v, want nil: records should move off the failing partition", err)
		}
		if got := len(f.delivered()); got != 60 {
			t.Errorf("delivered %d, want 60", got)
		}
		tried := 0
		byPart := map[int32][]int{}
		for _, c := range f.snapshot() {
			if c.Partition == 0 {
				tried++
			}
			if !c.OK {
				continue
			}
			for _, v := range c.Values {
				i, _ := strconv.Atoi(v[len(`{"i":`) : len(v)-1])
				byPart[c.Partition] = append(byPart[c.Partition], i)
			}
		}
		if tried == 0 {
			t.Error("no request reached partition 0")
		}
		for p, is := range byPart {
			if !slices.IsSorted(is) {
				t.Errorf("partition %d holds entries %v: out of the order they were written in", p, is)
			}
		}
		s.Close(ctx)
	})
}

func TestFailingDestinationDoesNotStallOthers(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := newFake(2)
		f.metaErr = func(topic string) error {
			if topic == "missing" {
				return kafka.UnknownTopicOrPartition
			}
			return nil
		}
		f.fail = func(c fakeCall) (map[int]error, error) {
			if c.Topic == "keyed" && c.Partition == int32(murmur2([]byte("k"))&0x7fffffff%2) {
				return nil, kafka.NotLeaderForPartition
			}
			return nil, nil
		}
		cfg := Config{BatchSizeLimit: 10, MaxInFlight: 2, Period: time.Hour, DelayFirstEntry: true, ErrorHandler: func(error) {},
			TopicDecider: func(e Entry) string { return e.Field("topic") },
			KeyDecider: func(e Entry) []byte {
				if e.Field("topic") == "keyed" {
					return []byte("k")
				}
				return nil
			}}
		s := newTestSink(t, cfg, f)
		// Far more entries for the broken destinations than the batcher
		// takes at once (2 × 10 × 2), then the healthy ones behind them.
		for i := 0; i < 100; i++ {
			s.Write(Entry{JSON: fmt.Appendf(nil, `{"topic":"missing","i":%d}`, i)})
			s.Write(Entry{JSON: fmt.Appendf(nil, `{"topic":"keyed","i":%d}`, i)})
		}
		for i := 0; i < 30; i++ {
			s.Write(Entry{JSON: fmt.Appendf(nil, `{"topic":"ok","i":%d}`, i)})
		}
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		s.Flush(ctx) // cannot succeed: two destinations are broken
		got := 0
		for _, c := range f.snapshot() {
			if c.Topic == "ok" && c.OK {
				got += len(c.Values)
			}
		}
		if got != 30 {
			t.Errorf("delivered %d entries to the healthy topic, want 30", got)
		}
		if st := s.Stats(); st.QueueDepth != 200 {
			t.Errorf("queue depth %d, want the 200 broken entries still held", st.QueueDepth)
		}
		ctx2, cancel2 := context.WithTimeout(context.Background(), time.Second)
		defer cancel2()
		s.Close(ctx2)
	})
}

func TestOverflow(t *testing.T) {
	for _, tt := range []struct {
		name      string
		policy    OverflowPolicy
		wantErr   error
		wantFirst string // the oldest entry delivered
	}{
		{"drop newest", DropNewest, ErrQueueFull, value(0)},
		{"drop oldest", DropOldest, nil, value(5)},
		{"block times out", Block, ErrQueueFull, value(0)},
	} {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				// The topic's metadata fails until the end: the batcher holds
				// the entries, not in flight, so the queue fills up.
				f, release := newFakeWithoutMetadata(1)
				cfg := Config{BatchSizeLimit: 5, Period: time.Hour, DelayFirstEntry: true, QueueLimit: 10, ShedThreshold: 1, OverflowPolicy: tt.policy, BlockTimeout: time.Second, ErrorHandler: func(error) {}}
				s := newTestSink(t, cfg, f)
				write(t, s, 0, 10)
				synctest.Wait()
				for i := 10; i < 15; i++ {
					start := time.Now()
					if err := s.Write(entry(i)); err != tt.wantErr {
						t.Fatalf("Write(%d) = %v, want %v", i, err, tt.wantErr)
					}
					waited := time.Since(start)
					if tt.policy == Block && waited != time.Second {
						t.Errorf("Block waited %v, want BlockTimeout 1s", waited)
					} else if tt.policy != Block && waited != 0 {
						t.Errorf("Write waited %v under %v", waited, tt.policy)
					}
				}
				synctest.Wait() // DropOldest: the batcher drops the oldest
				st := s.Stats()
				if st.Dropped.QueueFull != 5 || st.QueueDepth != 10 || st.Received != 15 {
					t.Errorf("stats = %+v, want 5 dropped queue full, depth 10, 15 received", st)
				}
				release()
				ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
				defer cancel()
				if err := s.Close(ctx); tt.policy == DropOldest && err == nil {
					t.Errorf("Close = nil, want the 5 evicted entries counted")
				}
				if got := f.delivered(); len(got) != 10 || got[0] != tt.wantFirst {
					t.Errorf("delivered = %v, want 10 starting with %s", got, tt.wantFirst)
				}
			})
		})
	}
}

func TestLoadSheddingByLevel(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f, release := newFakeWithoutMetadata(1)
		cfg := Config{BatchSizeLimit: 5, Period: time.Hour, DelayFirstEntry: true, QueueLimit: 10, ErrorHandler: func(error) {}}
		s := newTestSink(t, cfg, f)
		levels := []Level{InfoLevel, DebugLevel, WarnLevel, ErrorLevel, NoLevel}
		var wantShed LevelCounts
		for i := 0; i < 20; i++ {
			l := levels[i%len(levels)]
			err := s.Write(Entry{Level: l, JSON: fmt.Appendf(nil, `{"i":%d}`, i)})
			shed := i >= 8 && l < WarnLevel // the queue holds 8 = 0.8 × 10 entries from the 9th on
			switch {
			case shed && err != ErrQueueFull:
				t.Errorf("Write(%v) past the threshold = %v, want ErrQueueFull", l, err)
			case shed && l == InfoLevel:
				wantShed.Info++
			case shed && l == DebugLevel:
				wantShed.Debug++
			case shed:
				wantShed.NoLevel++
			case err != nil && s.Stats().QueueDepth < 10:
				t.Errorf("Write(%v) = %v with room left", l, err)
			}
		}
		st := s.Stats()
		if st.Dropped.Shed != 7 || st.QueueDepth != 10 {
			t.Errorf("stats = %+v, want 7 shed and a full queue", st)
		}
		if got := st.DroppedByLevel; got.Info != wantShed.Info || got.Debug != wantShed.Debug || got.NoLevel != wantShed.NoLevel {
			t.Errorf("dropped by level = %+v, want %+v", st.DroppedByLevel, wantShed)
		}
		release()
		closeSink(t, s)
	})
}

// TestLoadSheddingIsExactUnderRacingWrites: Writes on many goroutines,
// each finding the queue one entry below the shedding point, must not all
// get in (the point was checked before the entry was counted, once).
func TestLoadSheddingIsExactUnderRacingWrites(t *testing.T) {
	for round := range 20 {
		f, release := newFakeWithoutMetadata(1)
		const limit, shedAt = 400, 200
		s := newTestSink(t, Config{BatchSizeLimit: 100, Period: time.Hour, DelayFirstEntry: true, QueueLimit: limit,
			ShedThreshold: 0.5, ErrorHandler: func(error) {}}, f)
		var start, wg sync.WaitGroup
		start.Add(1)
		for g := range 8 {
			wg.Go(func() {
				start.Wait()
				for i := range 200 {
					l := InfoLevel
					if i%4 == 3 {
						l = ErrorLevel
					}
					s.Write(Entry{Level: l, JSON: fmt.Appendf(nil, `{"g":%d,"i":%d}`, g, i)})
				}
			})
		}
		start.Done()
		wg.Wait()
		st := s.Stats()
		// 1200 info entries and 400 errors tried: info fills the queue to
		// the point, errors the rest.
		info := 1200 - st.DroppedByLevel.Info
		if st.Accepted != limit || info > shedAt || st.Dropped.Shed != st.DroppedByLevel.Info {
			t.Errorf("round %d: accepted %d (%d info), shed %d of %d info dropped; want %d, at most %d, all shed",
				round, st.Accepted, info, st.Dropped.Shed, st.DroppedByLevel.Info, limit, shedAt)
		}
		release()
		closeSink(t, s)
	}
}

func TestSmallLimitsStillAcceptEntries(t *testing.T) {
	for _, tt := range []struct {
		name string
		cfg  Config
	}{
		{"two entries", Config{QueueLimit: 2, BatchSizeLimit: 1}},
		{"small byte limit", Config{QueueByteLimit: 150000, MaxEntryBytes: 1000, MaxBatchBytes: 1000}},
		{"tiny byte limit", Config{QueueByteLimit: 20000, MaxEntryBytes: 1000, MaxBatchBytes: 1000}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				f := newFake(1)
				cfg := tt.cfg
				if cfg.BatchSizeLimit == 0 {
					cfg.BatchSizeLimit = 100
				}
				cfg.Period, cfg.DelayFirstEntry, cfg.ErrorHandler = time.Hour, true, func(error) {}
				s := newTestSink(t, cfg, f)
				if err := s.Write(entry(1)); err != nil {
					t.Errorf("first Write into an empty queue = %v", err)
				}
				if err := s.Write(entry(2)); err != nil {
					t.Errorf("second Write = %v (stats %+v)", err, s.Stats())
				}
				closeSink(t, s)
			})
		})
	}
}

func TestWriteDropsReachErrorHandlerSummedUp(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f, release := newFakeWithoutMetadata(1)
		var mu sync.Mutex // the handler runs on the sink's goroutine
		var reported []*DropError
		got := func() []*DropError { mu.Lock(); defer mu.Unlock(); return slices.Clone(reported) }
		cfg := Config{BatchSizeLimit: 5, Period: time.Hour, DelayFirstEntry: true, QueueLimit: 10, ShedThreshold: 1,
			ErrorHandler: func(err error) {
				var de *DropError
				if errors.As(err, &de) {
					mu.Lock()
					reported = append(reported, de)
					mu.Unlock()
				} else if pe := (*ProduceError)(nil); !errors.As(err, &pe) {
					t.Errorf("ErrorHandler got %v, want DropErrors and the metadata's ProduceErrors", err)
				}
			}}
		s := newTestSink(t, cfg, f)
		write(t, s, 0, 10)
		synctest.Wait()
		for i := 10; i < 1010; i++ {
			s.Write(entry(i)) // queue full
		}
		synctest.Wait()
		r := got()
		if len(r) != 1 || r[0].Count < 1 || r[0].Reason != ReasonQueueFull {
			t.Fatalf("during a burst of drops the handler got %v, want one DropError: what the reporter saw at first", r)
		}
		time.Sleep(2 * time.Second) // the rest comes summed up, one interval later
		r = got()
		sum := 0
		for _, d := range r {
			sum += d.Count
		}
		if len(r) > 2 || sum != 1000 || r[len(r)-1].Reason != ReasonQueueFull {
			t.Errorf("after the interval the handler got %v, want at most a second DropError, 1000 drops in all", r)
		}
		release()
		closeSink(t, s)
	})
}

func TestBlockUnblocksWhenRoomFrees(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := newFake(1)
		f.block = make(chan struct{})
		cfg := Config{BatchSizeLimit: 4, Period: time.Hour, DelayFirstEntry: true, QueueLimit: 5, ShedThreshold: 1, OverflowPolicy: Block, BlockTimeout: time.Hour}
		s := newTestSink(t, cfg, f)
		write(t, s, 0, 5)
		done := make(chan error)
		go func() { done <- s.Write(entry(5)) }()
		synctest.Wait()
		select {
		case err := <-done:
			t.Fatalf("Write returned %v while the queue was full", err)
		default:
		}
		close(f.block) // the batch is acknowledged: room for one more
		if err := <-done; err != nil {
			t.Errorf("blocked Write = %v, want nil", err)
		}
		closeSink(t, s)
		if got := len(f.delivered()); got != 6 {
			t.Errorf("delivered %d, want 6", got)
		}
	})
}

func TestLifecycle(t *testing.T) {
	t.Run("flush", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			f := newFake(2)
			s := newTestSink(t, Config{Period: time.Hour, DelayFirstEntry: true}, f)
			write(t, s, 0, 7)
			if err := s.Flush(context.Background()); err != nil {
				t.Fatalf("Flush = %v", err)
			}
			if got := len(f.delivered()); got != 7 {
				t.Errorf("delivered after Flush = %d, want 7", got)
			}
			if err := s.Flush(context.Background()); err != nil {
				t.Errorf("empty Flush = %v", err)
			}
			closeSink(t, s)
		})
	})
	t.Run("close twice", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			f := newFake(1)
			s := newTestSink(t, Config{}, f)
			write(t, s, 0, 3)
			closeSink(t, s)
			closeSink(t, s)
			if !f.closed {
				t.Error("transport not closed")
			}
		})
	})
	t.Run("write after close", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			var fb fallback
			s := newTestSink(t, Config{Fallback: &fb, ErrorHandler: func(error) {}}, newFake(1))
			closeSink(t, s)
			if err := s.Write(entry(1)); err != ErrClosed {
				t.Errorf("Write after Close = %v, want ErrClosed", err)
			}
			if err := s.Flush(context.Background()); err != ErrClosed {
				t.Errorf("Flush after Close = %v, want ErrClosed", err)
			}
			if st := s.Stats(); st.Dropped.Closed != 1 || st.FallbackDropped != 1 {
				t.Errorf("dropped closed = %d, fallback dropped %d, want 1 and 1", st.Dropped.Closed, st.FallbackDropped)
			}
			synctest.Wait()
			if got := fb.lines(); len(got) != 0 {
				t.Errorf("fallback = %v, want nothing: after Close, Write calls nothing", got)
			}
		})
	})
	t.Run("close deadline while unreachable", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			f := newFake(1)
			f.fail = func(fakeCall) (map[int]error, error) { return nil, errors.New("connection refused") }
			var fb fallback
			s := newTestSink(t, Config{BatchSizeLimit: 4, Fallback: &fb, ErrorHandler: func(error) {}}, f)
			write(t, s, 0, 10)
			ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
			defer cancel()
			start := time.Now()
			err := s.Close(ctx)
			if d := time.Since(start); d > 3*time.Second || d < 2*time.Second {
				t.Errorf("Close took %v, want a little less than its deadline, 3s", d)
			}
			var ue *UndeliveredError
			if !errors.As(err, &ue) || ue.Count != 10 || !errors.Is(err, context.DeadlineExceeded) {
				t.Fatalf("Close = %v, want 10 undelivered, deadline exceeded", err)
			}
			st := s.Stats()
			if st.Dropped.Closed != 10 || st.QueueDepth != 0 {
				t.Errorf("stats = %+v, want 10 dropped closed, depth 0", st)
			}
			if got := len(fb.lines()); got != 10 {
				t.Errorf("fallback got %d, want 10", got)
			}
		})
	})
	t.Run("close deadline with request in flight", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			f := newFake(1)
			f.block = make(chan struct{}) // never answers
			s := newTestSink(t, Config{BatchSizeLimit: 4, WriteTimeout: time.Hour}, f)
			write(t, s, 0, 10)
			ctx, cancel := context.WithTimeout(context.Background(), time.Second)
			defer cancel()
			err := s.Close(ctx)
			var ue *UndeliveredError
			if !errors.As(err, &ue) || ue.Count != 10 {
				t.Fatalf("Close = %v, want 10 undelivered", err)
			}
			if st := s.Stats(); st.Received != st.Delivered+st.Dropped.Total()+uint64(st.QueueDepth) {
				t.Errorf("stats do not add up: %+v", st)
			}
		})
	})
}

func TestTopicDeciderAndHeaders(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := newFake(1)
		cfg := Config{BatchSizeLimit: 100, Period: time.Hour, Topic: "app",
			TopicDecider: func(e Entry) string {
				if e.Level >= ErrorLevel {
					return "app-errors"
				}
				return ""
			},
			Headers:       []Header{{Key: "service", Value: []byte("billing")}},
			HeaderDecider: func(e Entry) []Header { return []Header{{Key: "level", Value: []byte(e.Level.String())}} },
		}
		s := newTestSink(t, cfg, f)
		s.Write(Entry{Level: InfoLevel, JSON: []byte(`{"a":1}`)})
		s.Write(Entry{Level: ErrorLevel, JSON: []byte(`{"a":2}`)})
		s.Write(Entry{Level: NoLevel, JSON: []byte(`{"a":3}`)})
		closeSink(t, s)
		got := map[string][]string{}
		for _, c := range f.snapshot() {
			for i, v := range c.Values {
				hs := c.Headers[i]
				got[c.Topic] = append(got[c.Topic], v+" "+hs[0].Key+"="+string(hs[0].Value)+" "+hs[1].Key+"="+string(hs[1].Value))
			}
		}
		want := map[string][]string{
			"app":        {`{"a":1} service=billing level=info`, `{"a":3} service=billing level=`},
			"app-errors": {`{"a":2} service=billing level=error`},
		}
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("got %v, want %v", got, want)
		}
	})
}

// TestEntryKeyAndHeaders checks that a key and headers carried by the
// entry (slogsink's, from a context) reach the record: copied at Write,
// after Config.Headers and before HeaderDecider's, and the key unless a
// KeyDecider overrides it.
func TestEntryKeyAndHeaders(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := newFake(1)
		var seen []string
		cfg := Config{BatchSizeLimit: 100, Period: time.Hour,
			Headers: []Header{{Key: "service", Value: []byte("billing")}},
			KeyDecider: func(e Entry) []byte {
				seen = append(seen, fmt.Sprintf("%s/%d", e.Key, len(e.Headers)))
				if e.Field("override") != "" {
					return []byte("decided")
				}
				return e.Key
			},
			HeaderDecider: func(e Entry) []Header { return []Header{{Key: "d", Value: []byte("x")}} },
		}
		s := newTestSink(t, cfg, f)
		key := []byte("trace-1")
		hs := []Header{{Key: "traceparent", Value: []byte("00-abc-01")}, {Key: "null", Value: nil}}
		s.Write(Entry{Level: InfoLevel, JSON: []byte(`{"a":1}`), Key: key, Headers: hs})
		key[0], hs[0].Value[0] = 'X', 'X' // the caller reuses its memory
		s.Write(Entry{Level: InfoLevel, JSON: []byte(`{"override":1}`), Key: []byte("k")})
		s.Write(Entry{Level: InfoLevel, JSON: []byte(`{"a":3}`)})
		closeSink(t, s)
		var got []string
		for _, c := range f.snapshot() {
			for i, v := range c.Values {
				line := v + " key=" + c.Keys[i]
				for _, h := range c.Headers[i] {
					line += fmt.Sprintf(" %s=%q", h.Key, h.Value)
					if h.Value == nil {
						line += "(nil)"
					}
				}
				got = append(got, line)
			}
		}
		want := []string{
			`{"a":1} key=trace-1 service="billing" traceparent="00-abc-01" null=""(nil) d="x"`,
			`{"override":1} key=decided service="billing" d="x"`,
			`{"a":3} key= service="billing" d="x"`,
		}
		if !slices.Equal(got, want) {
			t.Errorf("got\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
		}
		if want := []string{"trace-1/2", "k/0", "/0"}; !slices.Equal(seen, want) {
			t.Errorf("KeyDecider saw %q, want %q", seen, want)
		}
	})
}

func TestFormatter(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := newFake(1)
		cfg := Config{BatchSizeLimit: 100, Period: time.Hour, ErrorHandler: func(error) {},
			Formatter: FormatterFunc(func(dst []byte, e Entry) ([]byte, error) {
				if e.Field("bad") != "" {
					return dst, errors.New("cannot format")
				}
				dst = append(dst, e.Level.String()...)
				return append(append(dst, ' '), e.JSON...), nil
			})}
		s := newTestSink(t, cfg, f)
		s.Write(Entry{Level: WarnLevel, JSON: []byte(`{"a":1}` + "\n")})
		s.Write(Entry{Level: WarnLevel, JSON: []byte(`{"bad":1}`)})
		s.Write(Entry{Level: ErrorLevel, JSON: []byte(`{"a":2}`)})
		s.Close(context.Background())
		if got, want := f.delivered(), []string{`warn {"a":1}`, `error {"a":2}`}; !slices.Equal(got, want) {
			t.Errorf("delivered %q, want %q", got, want)
		}
		if st := s.Stats(); st.Dropped.NotRetriable != 1 {
			t.Errorf("formatter failure not counted: %+v", st.Dropped)
		}
	})
}

func TestPanickingCallbackCostsOnlyItsEntry(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := newFake(1)
		var errs []error
		cfg := Config{BatchSizeLimit: 100, Period: time.Hour, ErrorHandler: func(err error) { errs = append(errs, err) },
			TopicDecider: func(e Entry) string {
				if e.Field("boom") != "" {
					panic("boom")
				}
				return ""
			}}
		s := newTestSink(t, cfg, f)
		s.Write(Entry{JSON: []byte(`{"a":1}`)})
		s.Write(Entry{JSON: []byte(`{"boom":1}`)})
		s.Write(Entry{JSON: []byte(`{"a":2}`)})
		s.Close(context.Background())
		if got := f.delivered(); !slices.Equal(got, []string{`{"a":1}`, `{"a":2}`}) {
			t.Errorf("delivered %q", got)
		}
		var fe *FormatError
		if len(errs) != 1 || !errors.As(errs[0], &fe) {
			t.Errorf("errors = %v, want one FormatError for the panic", errs)
		}
	})
}

func TestWriteCopiesAndRejectsTooLarge(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := newFake(1)
		var fb fallback
		s := newTestSink(t, Config{MaxEntryBytes: 16, Fallback: &fb, ErrorHandler: func(error) {}, BatchSizeLimit: 100, Period: time.Hour}, f)
		buf := []byte(`{"a":"xxxx"}` + "\n")
		if err := s.Write(Entry{JSON: buf}); err != nil {
			t.Fatal(err)
		}
		copy(buf, `{"b":"yyyy"}`) // the logger reuses its buffer
		if err := s.Write(Entry{JSON: []byte(`{"a":"this is too long"}`)}); err != ErrTooLarge {
			t.Errorf("Write(too large) = %v, want ErrTooLarge", err)
		}
		s.Close(context.Background())
		if got := f.delivered(); !slices.Equal(got, []string{`{"a":"xxxx"}`}) {
			t.Errorf("delivered %q, want the entry as written", got)
		}
		if got := fb.lines(); !slices.Equal(got, []string{`{"a":"this is too long"}`}) {
			t.Errorf("fallback %q", got)
		}
	})
}

// TestDecidedRecordWithinMaxEntryBytes: MaxEntryBytes bounds the record
// the callbacks make as Write bounds the entry (value, key and headers):
// one whose decided key or headers take it over is dropped alone, counted
// as TooLarge and given to the Fallback.
func TestDecidedRecordWithinMaxEntryBytes(t *testing.T) {
	for _, tt := range []struct {
		name string
		cfg  Config
	}{
		{"KeyDecider", Config{KeyDecider: func(e Entry) []byte {
			if e.Message == "big" {
				return make([]byte, 20)
			}
			return nil
		}}},
		{"HeaderDecider", Config{HeaderDecider: func(e Entry) []Header {
			if e.Message == "big" {
				return []Header{{Key: "h", Value: make([]byte, 20)}}
			}
			return nil
		}}},
		{"Formatter", Config{Formatter: FormatterFunc(func(dst []byte, e Entry) ([]byte, error) {
			if e.Message == "big" {
				return append(dst, `{"padded":"xxxxxxxxxxxxxxxxxxxxxx"}`...), nil
			}
			return append(dst, e.JSON...), nil
		})}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				f := newFake(1)
				var fb fallback
				cfg := tt.cfg
				cfg.MaxEntryBytes, cfg.Fallback, cfg.ErrorHandler = 30, &fb, func(error) {}
				cfg.BatchSizeLimit, cfg.Period = 100, time.Hour
				s := newTestSink(t, cfg, f)
				for _, m := range []string{"a", "big", "b"} {
					if err := s.Write(Entry{Level: InfoLevel, Message: m, JSON: []byte(`{"m":"` + m + `"}`)}); err != nil {
						t.Fatalf("Write(%s) = %v", m, err)
					}
				}
				s.Close(context.Background())
				if got, want := f.delivered(), []string{`{"m":"a"}`, `{"m":"b"}`}; !slices.Equal(got, want) {
					t.Errorf("delivered %q, want %q", got, want)
				}
				if st := s.Stats(); st.Dropped.TooLarge != 1 || st.Dropped.Total() != 1 {
					t.Errorf("dropped %+v, want 1 TooLarge", st.Dropped)
				}
				if got := fb.lines(); !slices.Equal(got, []string{`{"m":"big"}`}) {
					t.Errorf("fallback got %q, want the big entry", got)
				}
			})
		})
	}
}

func TestMetadataFailures(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := newFake(2)
		calls := 0
		f.metaErr = func(topic string) error {
			if topic == "denied" {
				return kafka.TopicAuthorizationFailed
			}
			if calls++; calls < 4 {
				return errors.New("dial tcp: connection refused")
			}
			return nil
		}
		cfg := Config{BatchSizeLimit: 100, Period: time.Hour, ErrorHandler: func(error) {},
			TopicDecider: func(e Entry) string { return e.Field("topic") }}
		s := newTestSink(t, cfg, f)
		s.Write(Entry{JSON: []byte(`{"topic":"denied"}`)})
		s.Write(Entry{JSON: []byte(`{"topic":"ok"}`)})
		s.Close(context.Background())
		if st := s.Stats(); st.Dropped.NotRetriable != 1 || st.Delivered != 1 {
			t.Errorf("stats = %+v, want the denied entry dropped, the other delivered", st)
		}
		if got := f.delivered(); !slices.Equal(got, []string{`{"topic":"ok"}`}) {
			t.Errorf("delivered %q", got)
		}
	})
}

// fallback is a Fallback writer that records lines.
type fallback struct{ b []byte }

func (f *fallback) Write(p []byte) (int, error) { f.b = append(f.b, p...); return len(p), nil }

func (f *fallback) lines() []string {
	if len(f.b) == 0 {
		return nil
	}
	return strings.Split(strings.TrimSuffix(string(f.b), "\n"), "\n")
}

func sameSet(a, b []string) bool {
	a, b = slices.Clone(a), slices.Clone(b)
	slices.Sort(a)
	slices.Sort(b)
	return slices.Equal(a, b)
}

// TestFailedPartitionTakesUnkeyedRecordsAgain: a partition whose requests
// failed, and whose records without a key all moved to other partitions,
// has nothing left to retry with. Once its backoff is over, the sticky
// partitioner must give it batches again, or it stays out of the rotation
// for the sink's life although it works: a lasting imbalance.
func TestFailedPartitionTakesUnkeyedRecordsAgain(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := newFake(3)
		var broken atomic.Bool
		broken.Store(true)
		f.fail = func(c fakeCall) (map[int]error, error) {
			if c.Partition == 0 && broken.Load() {
				return nil, kafka.NotLeaderForPartition
			}
			return nil, nil
		}
		cfg := Config{BatchSizeLimit: 10, Period: 10 * time.Millisecond, MinBackoff: 100 * time.Millisecond,
			MaxBackoff: time.Second, ErrorHandler: func(error) {}}
		s := newTestSink(t, cfg, f)
		for i := range 20 { // batches while partition 0 fails
			write(t, s, i*10, i*10+10)
			time.Sleep(20 * time.Millisecond)
		}
		if err := s.Flush(context.Background()); err != nil {
			t.Fatalf("Flush = %v, want everything delivered to the other partitions", err)
		}
		broken.Store(false)
		time.Sleep(2 * time.Second) // past the longest backoff
		for i := range 30 {
			write(t, s, 1000+i*10, 1000+i*10+10)
			time.Sleep(20 * time.Millisecond)
		}
		closeSink(t, s)
		f.mu.Lock()
		defer f.mu.Unlock()
		var fixed int // records partition 0 took after it was fixed
		for _, c := range f.calls {
			if c.Partition == 0 && c.OK {
				fixed += len(c.Values)
			}
		}
		if fixed < 50 {
			t.Errorf("partition 0 took %d of the 300 records written after it works again, want about a third", fixed)
		}
	})
}

// TestMetadataRefreshBacksOff: once a topic's partitions are known, its
// metadata is re-read every metadataMaxAge; when that fails (brokers down:
// refused at once), the next attempt must wait a backoff, not follow at the
// next record routed.
func TestMetadataRefreshBacksOff(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := newFake(1)
		var calls atomic.Int32
		f.metaErr = func(string) error {
			if calls.Add(1) == 1 {
				return nil
			}
			return errors.New("connection refused")
		}
		s := newTestSink(t, Config{BatchSizeLimit: 10, Period: 10 * time.Millisecond, ErrorHandler: func(error) {}}, f)
		write(t, s, 0, 1)
		if err := s.Flush(context.Background()); err != nil {
			t.Fatal(err)
		}
		time.Sleep(metadataMaxAge + time.Second)
		for i := range 100 { // 1000 records over a second
			write(t, s, 10*i, 10*i+10)
			time.Sleep(10 * time.Millisecond)
		}
		closeSink(t, s)
		// Backoff from 100ms, doubling: about 4 attempts in the second.
		if n := calls.Load() - 1; n < 1 || n > 10 {
			t.Errorf("%d metadata requests failed in a second of routing, want a few, backed off", n)
		}
		if st := s.Stats(); st.Delivered != 1001 {
			t.Errorf("delivered %d, want all 1001 (the partitions known are used meanwhile)", st.Delivered)
		}
	})
}

// TestInvalidTopicNamesKeepNoState: names a TopicDecider makes from log
// content, which Kafka refuses, must not each keep a topic's state and a
// line of Stats.Topics for the sink's life.
func TestInvalidTopicNamesKeepNoState(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := newFake(1)
		cfg := Config{BatchSizeLimit: 100, ErrorHandler: func(error) {},
			TopicDecider: func(e Entry) string {
				if i := e.Field("i"); i != "0" {
					return "tenant " + i // a space: refused
				}
				return ""
			}}
		s := newTestSink(t, cfg, f)
		write(t, s, 0, 1000)
		if err := s.Flush(context.Background()); !errors.Is(err, ErrDropped) {
			t.Errorf("Flush = %v, want 999 dropped", err)
		}
		st := s.Stats()
		want := []TopicStats{{Topic: "logs", Delivered: 1}}
		if st.Dropped.NotRetriable != 999 || fmt.Sprint(st.Topics) != fmt.Sprint(want) {
			t.Errorf("not retriable %d, Topics %+v; want 999 and %+v", st.Dropped.NotRetriable, st.Topics, want)
		}
		s.Close(context.Background())
	})
}
