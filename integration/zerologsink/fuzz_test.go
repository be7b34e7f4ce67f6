package zerologsink_test

import (
	"bytes"
	"context"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/kafkasink/kafkasink/core"
	"github.com/kafkasink/kafkasink/zerologsink"
)

// FuzzWrite writes arbitrary bytes. The sink's queue holds one entry, so
// every other entry is refused at once and written to Fallback, which
// shows what the sink was given: it must be the input less one trailing
// newline, whatever the input, and Write must report success.
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
	fallback := new(bytes.Buffer)
	addr, err := freeAddr()
	if err != nil {
		f.Fatal(err)
	}
	w, err := zerologsink.Open(core.Config{
		Brokers:         []string{addr},
		Period:          time.Hour,
		DelayFirstEntry: true,
		QueueLimit:      1,
		Fallback:        fallback,
		ErrorHandler:    func(error) {},
	})
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() {
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		w.Sink().Close(ctx)
	})
	w.Write([]byte("{}")) // fills the queue
	f.Fuzz(func(t *testing.T, p []byte, level int8) {
		fallback.Reset()
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
			if fallback.Len() != 0 {
				t.Fatalf("empty Write: got %q in Fallback, want nothing", fallback.Bytes())
			}
			return
		}
		if got := fallback.Bytes(); !bytes.Equal(got, append(bytes.Clone(want), '\n')) {
			t.Fatalf("Write(%q): the sink got %q, want %q", p, got, want)
		}
	})
}
