package zerologsink_test

import (
	"bytes"
	"context"
	"sync"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/kafkasink/kafkasink/core"
	"github.com/kafkasink/kafkasink/zerologsink"
)

// FuzzWrite writes arbitrary bytes. The sink's queue is full, so every
// entry is refused at once and written to Fallback (by the sink's reporter
// goroutine), which shows what the sink was given: it must be the input less
// one trailing newline, whatever the input, and Write must report success.
func FuzzWrite(f *testing.F) {
	for _, s := range []string{
		`{"level":"info","message":"m"}` + "\n",
		"plain text",
		"\n",
		"\r\n",
		"a\nb\n\n",
		`{"level":"panic"`,
		"\xff\x00{",
	} {
		f.Add([]byte(s), int8(1))
	}
	fallback := new(fallbackLines)
	addr, err := freeAddr()
	if err != nil {
		f.Fatal(err)
	}
	w, err := zerologsink.New(zerologsink.Config{Sink: core.Config{
		Brokers:         []string{addr},
		Period:          time.Hour,
		DelayFirstEntry: true,
		QueueLimit:      2,
		ShedThreshold:   1,
		Fallback:        fallback,
		ErrorHandler:    func(error) {},
	}})
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() {
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		w.Sink().Close(ctx)
	})
	w.Write([]byte("{}")) // fills the queue
	w.Write([]byte("{}"))
	f.Fuzz(func(t *testing.T, p []byte, level int8) {
		var n int
		var err error
		if level%2 == 0 {
			n, err = w.Write(p)
		} else {
			n, err = w.WriteLevel(zerolog.Level(level), p)
		}
		if n != len(p) || err != nil {
			t.Fatalf("Write(%q): got %d, %v; want %d, nil", p, n, err, len(p))
		}
		want := p
		if len(want) > 0 && want[len(want)-1] == '\n' {
			want = want[:len(want)-1]
			if len(want) > 0 && want[len(want)-1] == '\r' {
				want = want[:len(want)-1]
			}
		}
		if len(p) == 0 {
			// An empty write is no entry: the next one must be next.
			return
		}
		if got := fallback.next(t); !bytes.Equal(got, append(bytes.Clone(want), '\n')) {
			t.Fatalf("Write(%q): the sink got %q, want %q", p, got, want)
		}
	})
}

// fallbackLines is a Fallback that keeps each Write, for the test to take
// in order.
type fallbackLines struct {
	mu     sync.Mutex
	writes [][]byte
}

func (f *fallbackLines) Write(p []byte) (int, error) {
	f.mu.Lock()
	f.writes = append(f.writes, bytes.Clone(p))
	f.mu.Unlock()
	return len(p), nil
}

// next waits for the next Write to the Fallback and returns it.
func (f *fallbackLines) next(t *testing.T) []byte {
	t.Helper()
	for deadline := time.Now().Add(time.Minute); time.Now().Before(deadline); time.Sleep(100 * time.Microsecond) {
		f.mu.Lock()
		if len(f.writes) > 0 {
			p := f.writes[0]
			f.writes = f.writes[1:]
			f.mu.Unlock()
			return p
		}
		f.mu.Unlock()
	}
	t.Fatal("nothing reached the Fallback in a minute")
	return nil
}
