package zerologsink_test

import (
	"bytes"
	"context"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/kafkasink/kafkasink/core"
	"github.com/kafkasink/kafkasink/integration/internal/testutil"
	"github.com/kafkasink/kafkasink/zerologsink"
)

// FuzzWrite writes arbitrary bytes. The sink's queue is full, so every
// entry is refused at once and written to Fallback (by the sink's own
// goroutine, after the log call), which shows what the sink was given: it
// must be the input less one trailing newline, whatever the input, and
// Write must report success. An empty Write gives the sink nothing: a
// marker entry written after it must be the next thing in Fallback.
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
	fallback := new(testutil.LockedBuffer)
	addr := testutil.Unreachable(f)
	w, err := zerologsink.New(zerologsink.Config{Sink: core.Config{
		Brokers:         []string{addr},
		Period:          time.Hour,
		DelayFirstEntry: true,
		QueueLimit:      2,
		BatchSizeLimit:  1, // below QueueLimit, as New requires
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
	marker := []byte(`{"marker":true}`)
	// next waits until Fallback holds n bytes and returns them, emptied.
	next := func(t *testing.T, n int) []byte {
		t.Helper()
		deadline := time.Now().Add(readTimeout)
		for fallback.Len() < n {
			if time.Now().After(deadline) {
				t.Fatalf("Fallback holds %q after %v, want %d bytes", fallback.String(), readTimeout, n)
			}
			time.Sleep(time.Millisecond)
		}
		return fallback.Take()
	}
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
			w.Write(marker)
			if got := next(t, len(marker)+1); !bytes.Equal(got, append(bytes.Clone(marker), '\n')) {
				t.Fatalf("empty Write, then a marker: got %q in Fallback, want the marker alone", got)
			}
			return
		}
		if got := next(t, len(want)+1); !bytes.Equal(got, append(bytes.Clone(want), '\n')) {
			t.Fatalf("Write(%q): the sink got %q, want %q", p, got, want)
		}
	})
}
