package core_test

import (
	"errors"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kfake"

	"github.com/kafkasink/kafkasink/core"
	"github.com/kafkasink/kafkasink/integration/internal/hostiletest"
	"github.com/kafkasink/kafkasink/integration/internal/testutil"
	"github.com/kafkasink/kafkasink/integration/kafkatest"
)

// A TopicDecider, KeyDecider, HeaderDecider or Formatter that panics costs
// its entry alone: the entry is dropped as NotRetriable and given to the
// Fallback, the panic is reported as a *core.FormatError that names the
// callback (its Config field), and every other entry is delivered.
func TestPanickingCallbackIsNamed(t *testing.T) {
	const n, every = 200, 10 // entries 3, 13, 23, … make the callback panic
	bad := func(e core.Entry) bool {
		id, _ := strconv.Atoi(e.Field("id"))
		return id%every == 3
	}
	for _, tt := range []struct {
		callback string
		set      func(cfg *core.Config)
	}{
		{"TopicDecider", func(cfg *core.Config) {
			cfg.TopicDecider = func(e core.Entry) string {
				if bad(e) {
					panic("boom")
				}
				return ""
			}
		}},
		{"KeyDecider", func(cfg *core.Config) {
			cfg.KeyDecider = func(e core.Entry) []byte {
				if bad(e) {
					panic("boom")
				}
				return nil
			}
		}},
		{"HeaderDecider", func(cfg *core.Config) {
			cfg.HeaderDecider = func(e core.Entry) []core.Header {
				if bad(e) {
					panic("boom")
				}
				return nil
			}
		}},
		{"Formatter", func(cfg *core.Config) {
			cfg.Formatter = core.FormatterFunc(func(dst []byte, e core.Entry) ([]byte, error) {
				if bad(e) {
					panic("boom")
				}
				return append(dst, e.JSON...), nil
			})
		}},
	} {
		t.Run(tt.callback, func(t *testing.T) {
			c := kafkatest.Start(t, kfake.NumBrokers(1))
			var (
				mu      sync.Mutex
				fmtErrs []string
				fb      testutil.LockedBuffer
			)
			cfg := core.Config{Brokers: c.Addrs(), BatchSizeLimit: 50, Period: 20 * time.Millisecond, Fallback: &fb,
				ErrorHandler: func(err error) {
					var fe *core.FormatError
					if errors.As(err, &fe) {
						mu.Lock()
						fmtErrs = append(fmtErrs, err.Error())
						mu.Unlock()
					}
				}}
			tt.set(&cfg)
			s := mustNew(t, cfg)
			hostiletest.Guard(t, hostiletest.HangAfter, nil, func() {
				for i := range n {
					if err := s.Write(logLine(i)); err != nil {
						t.Errorf("Write(%d) = %v", i, err)
					}
				}
				if err, st := closeSink(t, s, 30*time.Second); err != nil && !errors.Is(err, core.ErrDropped) {
					t.Errorf("Close = %v, want nil or an UndeliveredError for the dropped entries (stats %+v)", err, st)
				}
			})

			st := s.Stats()
			const wantDropped = n / every
			if st.Dropped.NotRetriable != wantDropped || st.Dropped.Total() != wantDropped || st.Delivered != n-wantDropped {
				t.Errorf("delivered %d, dropped %+v; want %d delivered and the %d entries the %s panicked on dropped as NotRetriable",
					st.Delivered, st.Dropped, n-wantDropped, wantDropped, tt.callback)
			}
			mu.Lock()
			if len(fmtErrs) == 0 {
				t.Errorf("no *core.FormatError reported for a panicking %s", tt.callback)
			}
			var unnamed []string
			for _, msg := range fmtErrs {
				if !strings.Contains(msg, tt.callback) {
					unnamed = append(unnamed, msg)
				}
			}
			if len(unnamed) > 0 {
				t.Errorf("%d of %d FormatErrors do not name the %s that panicked, such as %q", len(unnamed), len(fmtErrs), tt.callback, unnamed[0])
			}
			mu.Unlock()

			// Exactly the entries the callback panicked on are missing from
			// Kafka and in the Fallback.
			ids := map[int]int{}
			for _, r := range c.ReadAll(t, kafkatest.DefaultTopic) {
				id, _ := strconv.Atoi(core.Entry{JSON: r.Value}.Field("id"))
				ids[id]++
			}
			inFallback := map[int]bool{}
			for _, line := range fb.Lines() {
				id, _ := strconv.Atoi(core.Entry{JSON: []byte(line)}.Field("id"))
				inFallback[id] = true
			}
			for i := range n {
				if want := i%every != 3; (ids[i] > 0) != want || inFallback[i] == want {
					t.Errorf("entry %d: read back %d times, in the Fallback %v; want it %s", i, ids[i], inFallback[i],
						map[bool]string{true: "delivered and not in the Fallback", false: "only in the Fallback"}[want])
				}
			}
		})
	}
}
