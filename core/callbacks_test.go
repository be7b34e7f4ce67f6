package core

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/kafkasink/kafkasink/internal/goid"
	"github.com/segmentio/kafka-go"
)

// The tests of the rule in doc.go: the sink never calls user code while it
// holds a lock, nor ErrorHandler or Fallback on a logging goroutine, and
// nothing a callback does can crash the process, deadlock, block a log
// call, or keep Close past its deadline.

// writers remembers which goroutines call Write.
type writers struct{ ids sync.Map }

func (w *writers) write(s *Sink, e Entry) error {
	w.ids.Store(goid.ID(), true)
	return s.Write(e)
}

func (w *writers) isWriter() bool {
	_, ok := w.ids.Load(goid.ID())
	return ok
}

func TestCallbacksNeverOnTheLoggingGoroutine(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var w writers
		var onWriter atomic.Int64
		var calls atomic.Int64
		check := func() {
			calls.Add(1)
			if w.isWriter() {
				onWriter.Add(1)
			}
		}
		f := newFake(1)
		f.fail = func(fakeCall) (map[int]error, error) { return nil, errors.New("broker down") }
		cfg := Config{BatchSizeLimit: 2, QueueLimit: 4, ShedThreshold: 1, MaxEntryBytes: 100, RetryTimeLimit: time.Second,
			ErrorHandler: func(error) { check() },
			Fallback:     writerFunc(func(p []byte) (int, error) { check(); return len(p), nil }),
		}
		s := newTestSink(t, cfg, f)
		for i := range 50 {
			w.write(s, entry(i))                                    // queue full after 4
			w.write(s, Entry{JSON: bytes.Repeat([]byte("x"), 200)}) // too large
		}
		time.Sleep(2 * time.Second) // retries exhausted: batcher-side drops
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		s.Close(ctx)
		w.write(s, entry(99)) // after Close: counted, nothing called
		synctest.Wait()
		if calls.Load() == 0 {
			t.Fatal("no callback was called: the test proves nothing")
		}
		if n := onWriter.Load(); n > 0 {
			t.Errorf("%d of %d ErrorHandler and Fallback calls ran on a logging goroutine", n, calls.Load())
		}
		st := s.Stats()
		if st.Received != st.Delivered+st.Dropped.Total() || st.QueueDepth != 0 {
			t.Errorf("stats do not add up: %+v", st)
		}
	})
}

type writerFunc func([]byte) (int, error)

func (f writerFunc) Write(p []byte) (int, error) { return f(p) }

// TestCallbacksOutsideLocks runs callbacks that take the sink's locks
// themselves (Stats, Write, Flush) under DropOldest with a small
// QueueByteLimit, where the old code evicted and reported under its lock.
func TestCallbacksOutsideLocks(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var s *Sink
		ready := make(chan struct{})
		var logged atomic.Int64
		reentrant := func(log bool) {
			<-ready
			_ = s.Stats()
			// Not every time: a callback that logs each time it is called
			// while the queue is full feeds itself (each entry it logs
			// evicts one more), which keeps the sink busy, if harmlessly.
			if log && logged.Add(1) <= 20 {
				_ = s.Write(Entry{Level: ErrorLevel, JSON: []byte(`{"from":"callback"}`)})
			}
		}
		f := newFake(1)
		f.block = make(chan struct{}) // nothing is delivered until the end
		cfg := Config{BatchSizeLimit: 10, Period: time.Millisecond, OverflowPolicy: DropOldest, QueueByteLimit: 64 << 10, ShedThreshold: 1,
			MaxEntryBytes: 4000, MaxBatchBytes: 4000, WriteTimeout: time.Hour,
			ErrorHandler: func(error) { reentrant(true) },
			Fallback:     writerFunc(func(p []byte) (int, error) { reentrant(true); return len(p), nil }),
			TopicDecider: func(Entry) string { reentrant(true); return "" },
			KeyDecider:   func(Entry) []byte { _ = s.Stats(); return nil },
		}
		s = newTestSink(t, cfg, f)
		close(ready)
		big := bytes.Repeat([]byte("y"), 3000)
		for i := range 200 {
			if err := s.Write(Entry{Level: InfoLevel, JSON: append(strconv.AppendInt([]byte(`{"i":`), int64(i), 10), big...)}); err != nil && !errors.Is(err, ErrQueueFull) {
				t.Fatalf("Write = %v", err)
			}
		}
		synctest.Wait() // a deadlock would leave every goroutine durably blocked: synctest panics
		close(f.block)
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		s.Close(ctx)
		st := s.Stats()
		if st.Dropped.QueueFull == 0 {
			t.Errorf("no entry was evicted: the test proves nothing (%+v)", st)
		}
		if st.Received != st.Delivered+st.Dropped.Total() || st.QueueDepth != 0 {
			t.Errorf("stats do not add up: %+v", st)
		}
	})
}

// TestBlockedCallbacks gives the sink an ErrorHandler and a Fallback that
// never return until the test ends: log calls must not wait, and Close must
// return by its deadline saying what it left behind.
func TestBlockedCallbacks(t *testing.T) {
	for _, which := range []string{"ErrorHandler", "Fallback", "TopicDecider"} {
		t.Run(which, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				release := make(chan struct{})
				var entered sync.Once
				inside := make(chan struct{})
				block := func() {
					entered.Do(func() { close(inside) })
					<-release
				}
				f := newFake(1)
				f.fail = func(fakeCall) (map[int]error, error) { return nil, errors.New("broker down") }
				cfg := Config{BatchSizeLimit: 5, QueueLimit: 20, ShedThreshold: 1, MinBackoff: time.Millisecond, MaxBackoff: time.Millisecond}
				var fbLines atomic.Int64
				switch which {
				case "ErrorHandler":
					cfg.ErrorHandler = func(error) { block() }
				case "Fallback":
					cfg.ErrorHandler = func(error) {}
					cfg.Fallback = writerFunc(func(p []byte) (int, error) { block(); fbLines.Add(1); return len(p), nil })
				case "TopicDecider":
					cfg.ErrorHandler = func(error) {}
					cfg.TopicDecider = func(e Entry) string {
						if e.Field("i") == "3" {
							block()
						}
						return ""
					}
				}
				s := newTestSink(t, cfg, f)
				start := time.Now()
				for i := range 1000 {
					s.Write(entry(i)) // most of them: queue full
				}
				<-inside
				for i := range 1000 {
					s.Write(entry(i))
				}
				if d := time.Since(start); d != 0 {
					t.Errorf("2000 Writes took %v with a blocked %s, want no wait at all", d, which)
				}
				_ = s.Stats() // no lock is held across the callback

				ctx, cancel := context.WithTimeout(context.Background(), time.Second)
				defer cancel()
				err := s.Close(ctx)
				if d := time.Since(start); d > time.Second {
					t.Errorf("Close returned after %v, past its 1s deadline", d)
				}
				var ab *AbandonedError
				if !errors.Is(err, ErrCallbackBlocked) || !errors.As(err, &ab) || ab.Callback != which {
					t.Errorf("Close = %v, want an AbandonedError naming %s", err, which)
				}
				if err := s.Write(entry(5000)); err != ErrClosed {
					t.Errorf("Write after Close = %v, want ErrClosed", err)
				}
				close(release) // the stuck goroutine finishes and stops
				synctest.Wait()
				st := s.Stats()
				if st.Received != st.Delivered+st.Dropped.Total() || st.QueueDepth != 0 {
					t.Errorf("stats do not add up once the callback returned: %+v", st)
				}
				if which == "Fallback" {
					if got := uint64(fbLines.Load()) + st.FallbackDropped; got != st.Dropped.Total() {
						t.Errorf("Fallback got %d entries and %d were counted as FallbackDropped, want %d dropped in all",
							fbLines.Load(), st.FallbackDropped, st.Dropped.Total())
					}
				}
			})
		})
	}
}

// TestHandlerLogsIntoItsOwnSink is the recursion that crashed with a stack
// overflow: an ErrorHandler that writes every error into the sink it
// serves, before, during and after Close.
func TestHandlerLogsIntoItsOwnSink(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var s *Sink
		var calls atomic.Int64
		ready := make(chan struct{})
		f := newFake(1)
		f.fail = func(fakeCall) (map[int]error, error) { return nil, errors.New("broker down") }
		cfg := Config{BatchSizeLimit: 5, QueueLimit: 50, RetryTimeLimit: 500 * time.Millisecond,
			ErrorHandler: func(err error) {
				<-ready
				calls.Add(1)
				s.Write(Entry{Level: ErrorLevel, JSON: []byte(`{"msg":"` + strconv.Quote(err.Error())[1:] + `}`)})
			}}
		s = newTestSink(t, cfg, f)
		close(ready)
		for i := range 500 {
			s.Write(entry(i))
		}
		time.Sleep(3 * time.Second)
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		s.Close(ctx)
		for i := range 500 {
			s.Write(entry(i)) // after Close: counted only
		}
		before := calls.Load()
		time.Sleep(5 * time.Second)
		if after := calls.Load(); after != before {
			t.Errorf("the ErrorHandler was called %d times after Close returned, want none", after-before)
		}
		// Aggregated and rate-limited: a handful of calls a second, not one per drop.
		if n := calls.Load(); n == 0 || n > 200 {
			t.Errorf("ErrorHandler called %d times in 4s, want a bounded few", n)
		}
		st := s.Stats()
		if st.Received != st.Delivered+st.Dropped.Total() || st.QueueDepth != 0 {
			t.Errorf("stats do not add up: %+v", st)
		}
	})
}

func TestPanickingCallbacksNamed(t *testing.T) {
	for _, name := range []string{"TopicDecider", "KeyDecider", "HeaderDecider", "Formatter"} {
		t.Run(name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				var mu sync.Mutex
				var got []error
				cfg := Config{BatchSizeLimit: 10, ErrorHandler: func(err error) { mu.Lock(); got = append(got, err); mu.Unlock() }}
				boom := func(e Entry) bool { return e.Field("i") == "1" }
				switch name {
				case "TopicDecider":
					cfg.TopicDecider = func(e Entry) string {
						if boom(e) {
							panic("topic")
						}
						return ""
					}
				case "KeyDecider":
					cfg.KeyDecider = func(e Entry) []byte {
						if boom(e) {
							panic("key")
						}
						return nil
					}
				case "HeaderDecider":
					cfg.HeaderDecider = func(e Entry) []Header {
						if boom(e) {
							panic("header")
						}
						return nil
					}
				case "Formatter":
					cfg.Formatter = FormatterFunc(func(dst []byte, e Entry) ([]byte, error) {
						if boom(e) {
							panic("format")
						}
						return append(dst, e.JSON...), nil
					})
				}
				f := newFake(1)
				s := newTestSink(t, cfg, f)
				write(t, s, 0, 3)
				err := s.Flush(context.Background())
				if !errors.Is(err, ErrDropped) {
					t.Errorf("Flush = %v, want the panicking entry dropped", err)
				}
				s.Close(context.Background())
				if got := f.delivered(); len(got) != 2 {
					t.Errorf("delivered %q, want the two others", got)
				}
				// Past the TopicDecider, the entry has a topic: its drop is
				// the topic's too, so the topics add up to the whole.
				want := []TopicStats{{Topic: "logs", Delivered: 2, Dropped: 1}}
				if name == "TopicDecider" {
					want[0].Dropped = 0
				}
				if st := s.Stats(); fmt.Sprint(st.Topics) != fmt.Sprint(want) {
					t.Errorf("Topics %+v, want %+v", st.Topics, want)
				}
				mu.Lock()
				defer mu.Unlock()
				var fe *FormatError
				for _, err := range got {
					if errors.As(err, &fe) {
						break
					}
				}
				if fe == nil || fe.Callback != name || !strings.Contains(fe.Error(), name) {
					t.Errorf("reports %v: want a FormatError naming %s", got, name)
				}
			})
		})
	}
}

// TestFlushCountsEarlierDrops checks that Flush's error counts the entries
// accepted before it that were dropped before it was called, not only those
// dropped while it waited.
func TestFlushCountsEarlierDrops(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := newFake(1)
		f.fail = func(c fakeCall) (map[int]error, error) {
			if strings.Contains(c.Values[0], `"bad"`) {
				return nil, kafka.InvalidRecord
			}
			return nil, nil
		}
		s := newTestSink(t, Config{BatchSizeLimit: 1, ErrorHandler: func(error) {}}, f)
		s.Write(Entry{JSON: []byte(`{"bad":1}`)})
		s.Write(Entry{JSON: []byte(`{"bad":2}`)})
		synctest.Wait() // both dropped, not retriable
		if st := s.Stats(); st.Dropped.NotRetriable != 2 {
			t.Fatalf("stats %+v, want 2 dropped first", st)
		}
		write(t, s, 0, 3)
		var ue *UndeliveredError
		if err := s.Flush(context.Background()); !errors.As(err, &ue) || ue.Count != 2 || !errors.Is(err, ErrDropped) {
			t.Errorf("Flush = %v, want the 2 dropped entries counted", err)
		}
		if err := s.Close(context.Background()); !errors.As(err, &ue) || ue.Count != 2 {
			t.Errorf("Close = %v, want the 2 dropped entries counted", err)
		}
	})
}
