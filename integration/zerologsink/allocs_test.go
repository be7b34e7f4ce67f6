package zerologsink_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/kafkasink/kafkasink/core"
	"github.com/kafkasink/kafkasink/integration/internal/testutil"
	"github.com/kafkasink/kafkasink/zerologsink"
)

// TestAllocs pins the cost of logging through the Writer at no allocation
// per entry, on every path: zerolog's WriteLevel, plain Write with the
// level parsed, and entries the sink refuses.
func TestAllocs(t *testing.T) {
	// Nothing is delivered (the batcher sleeps for an hour), so the only
	// allocations are the Writer's and the sink's Write's.
	newWriter := func(t *testing.T, cfg core.Config) *zerologsink.Writer {
		cfg.Brokers = []string{testutil.Unreachable(t)}
		cfg.Period = time.Hour
		cfg.DelayFirstEntry = true
		cfg.ErrorHandler = func(error) {}
		w, err := zerologsink.New(zerologsink.Config{Sink: cfg})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() {
			ctx, cancel := context.WithCancel(context.Background())
			cancel()
			w.Sink().Close(ctx)
		})
		return w
	}
	entry := []byte(`{"level":"warn","time":"2024-01-02T03:04:05Z","service":"api","message":"hello"}` + "\n")

	t.Run("zerolog", func(t *testing.T) {
		w := newWriter(t, core.Config{})
		log := zerolog.New(w).With().Timestamp().Str("service", "api").Logger()
		testutil.WantAllocs(t, 0, func() {
			log.Info().Str("user", "u1").Int("status", 200).Dur("took", time.Millisecond).Bool("ok", true).Msg("request")
		})
	})
	t.Run("WriteLevel", func(t *testing.T) {
		w := newWriter(t, core.Config{})
		testutil.WantAllocs(t, 0, func() { w.WriteLevel(zerolog.WarnLevel, entry) })
	})
	t.Run("Write", func(t *testing.T) {
		w := newWriter(t, core.Config{})
		testutil.WantAllocs(t, 0, func() { w.Write(entry) })
	})
	t.Run("Write custom level", func(t *testing.T) {
		w := newWriter(t, core.Config{})
		testutil.WantAllocs(t, 0, func() { w.WriteLevel(zerolog.Level(20), entry) })
	})
	t.Run("queue full", func(t *testing.T) {
		w := newWriter(t, core.Config{QueueLimit: 2, BatchSizeLimit: 1, ShedThreshold: 1})
		w.Write(entry)
		w.Write(entry)
		// core.Sink.Write allocates to report the drop; the Writer adds
		// nothing to it.
		var n int
		allocs := testing.AllocsPerRun(100, func() { n, _ = w.Write(entry) })
		if n != len(entry) {
			t.Errorf("Write: got n %d, want %d", n, len(entry))
		}
		t.Logf("%v allocs per dropped entry (core)", allocs)
	})
}

// TestRefusals checks the documented rule for entries the sink refuses:
// Write and WriteLevel report success to zerolog, and the sink counts and
// reports the drop.
func TestRefusals(t *testing.T) {
	entry := []byte(`{"level":"info"}` + "\n")
	// Write reads the level of entry: info.
	severe := []zerolog.Level{zerolog.ErrorLevel, zerolog.PanicLevel} // no flush for a refused Panic entry
	for _, tt := range []struct {
		name   string
		cfg    core.Config
		setup  func(w *zerologsink.Writer)
		levels []zerolog.Level // for WriteLevel, after one Write
		want   func(core.Stats) uint64
		// reported: the drops reach the ErrorHandler (from the sink's own
		// goroutine, after the log call). Not after Close: a Write on a
		// closed sink counts its entry and calls nothing.
		reported bool
	}{
		{"queue full", core.Config{QueueLimit: 2, BatchSizeLimit: 1, ShedThreshold: 1}, func(w *zerologsink.Writer) { w.Write(entry); w.Write(entry) },
			severe, func(s core.Stats) uint64 { return s.Dropped.QueueFull }, true},
		{"shed", core.Config{QueueLimit: 10, BatchSizeLimit: 1, ShedThreshold: 0.1}, func(w *zerologsink.Writer) { w.Write(entry) },
			[]zerolog.Level{zerolog.InfoLevel, zerolog.NoLevel}, func(s core.Stats) uint64 { return s.Dropped.Shed }, true},
		{"too large", core.Config{MaxEntryBytes: 4}, func(*zerologsink.Writer) {},
			severe, func(s core.Stats) uint64 { return s.Dropped.TooLarge }, true},
		{"closed", core.Config{}, func(w *zerologsink.Writer) {
			ctx, cancel := context.WithCancel(context.Background())
			cancel()
			w.Sink().Close(ctx)
		}, severe, func(s core.Stats) uint64 { return s.Dropped.Closed }, false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			cfg := tt.cfg
			cfg.Brokers = []string{testutil.Unreachable(t)}
			cfg.Period = time.Hour
			cfg.DelayFirstEntry = true
			var (
				mu       sync.Mutex
				reported []error
			)
			cfg.ErrorHandler = func(err error) { mu.Lock(); reported = append(reported, err); mu.Unlock() }
			w, err := zerologsink.New(zerologsink.Config{Sink: cfg})
			if err != nil {
				t.Fatal(err)
			}
			defer func() {
				ctx, cancel := context.WithCancel(context.Background())
				cancel()
				w.Sink().Close(ctx)
			}()
			tt.setup(w)
			before := tt.want(w.Sink().Stats())
			if n, err := w.Write(entry); n != len(entry) || err != nil {
				t.Errorf("Write: got %d, %v; want %d, nil", n, err, len(entry))
			}
			for _, l := range tt.levels {
				if n, err := w.WriteLevel(l, entry); n != len(entry) || err != nil {
					t.Errorf("WriteLevel(%v): got %d, %v; want %d, nil", l, n, err, len(entry))
				}
			}
			if got := tt.want(w.Sink().Stats()) - before; got != 3 {
				t.Errorf("drops counted: got %d, want 3", got)
			}
			dropReported := func() bool {
				mu.Lock()
				defer mu.Unlock()
				var de *core.DropError
				return slices.ContainsFunc(reported, func(err error) bool { return errors.As(err, &de) })
			}
			if !tt.reported {
				// Close has returned: nothing of the sink runs any more.
				if dropReported() {
					mu.Lock()
					t.Errorf("sink reports after Close: got %v, want none", reported)
					mu.Unlock()
				}
				return
			}
			testutil.WaitFor(t, readTimeout, dropReported, func() string {
				mu.Lock()
				defer mu.Unlock()
				return fmt.Sprintf("a DropError reported; got %v", reported)
			})
		})
	}
}
