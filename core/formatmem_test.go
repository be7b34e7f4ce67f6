package core

import (
	"bytes"
	"fmt"
	"strings"
	"testing"
)

// formatRoomSetup is a queue and a batcher that does not run, over cfg,
// with the queue filled with copies of entries of about size bytes until
// Write refuses.
func formatRoomSetup(t *testing.T, cfg Config, size int) (*queue, *batcher) {
	t.Helper()
	r, err := cfg.resolve()
	if err != nil {
		t.Fatal(err)
	}
	var c counters
	q := newQueue(r, &c, nil)
	b := newBatcher(r, newFake(1), q, &c, nil)
	t.Cleanup(b.ticker.Stop)
	pad := strings.Repeat("x", size-20)
	for i := 0; ; i++ {
		e := Entry{Level: InfoLevel, JSON: fmt.Appendf(nil, `{"i":%d,"p":"%s"}`, i, pad)}
		if _, ok := q.admit(&e, e.JSON, entrySize(&e, e.JSON)); !ok {
			break
		}
	}
	return q, b
}

// TestFormatRoom: with callbacks that make values, Writes leave a chunk of
// QueueByteLimit to the batcher's formatted values, so that a queue full of
// copies never stops it from formatting the next entry (that would stall
// delivery: nothing else frees memory); when MaxEntryBytes leaves less
// than a chunk to leave, the batcher takes its chunk over the limit rather
// than stall, but only when it holds no formatted value. Once it holds
// some, it waits for them to go instead.
func TestFormatRoom(t *testing.T) {
	upper := FormatterFunc(func(dst []byte, e Entry) ([]byte, error) { return append(dst, bytes.ToUpper(e.JSON)...), nil })
	for _, tt := range []struct {
		name      string
		maxEntry  int
		size      int  // of the entries: over a quarter of a chunk, each gets one of its own
		wantOver  bool // the chunk goes over QueueByteLimit
		formatter Formatter
	}{
		{name: "a chunk left", maxEntry: 2000, size: 1000, formatter: upper},
		{name: "a chunk left, large entries", maxEntry: 4000, size: 3000, formatter: upper},
		{name: "less than a chunk left", maxEntry: 62 << 10, size: 3000, wantOver: true, formatter: upper},
	} {
		t.Run(tt.name, func(t *testing.T) {
			const limit = 64 << 10
			q, b := formatRoomSetup(t, Config{QueueByteLimit: limit, MaxEntryBytes: tt.maxEntry, MaxBatchBytes: 1 << 20,
				ShedThreshold: 1, Formatter: tt.formatter, ErrorHandler: func(error) {}}, tt.size)
			before := int(q.heldBytes.Load())
			if before > q.admitBytes {
				t.Fatalf("copies take %d bytes, want at most admitBytes %d", before, q.admitBytes)
			}
			if !b.formatRoom() {
				t.Fatalf("formatRoom with a queue full of copies and no formatted value = false, want true (else delivery stalls)")
			}
			after := int(q.heldBytes.Load())
			if got, want := after-before, q.arena.size; got != want {
				t.Errorf("formatRoom took %d bytes, want a chunk, %d", got, want)
			}
			if over := after > limit; over != tt.wantOver {
				t.Errorf("held %d bytes of QueueByteLimit %d: over is %v, want %v", after, limit, over, tt.wantOver)
			}
			if got := int(q.fmtBytes.Load()); got != q.arena.size {
				t.Errorf("fmtBytes %d, want %d", got, q.arena.size)
			}
			// A record's value fills the chunk: the next entry needs another,
			// which does not fit; the batcher holds a formatted value, so it
			// waits.
			b.ext.used = len(b.ext.mem)
			b.ext.refs.Add(1)
			if b.formatRoom() {
				t.Errorf("formatRoom with the memory full and a formatted value held = true, want false")
			}
			// The value's entry is delivered: its chunk is given back, and the
			// batcher may take a new one.
			b.q.arena.release(b.ext.id, 1)
			if !b.formatRoom() {
				t.Errorf("formatRoom once the formatted values are gone = false, want true")
			}
			if got := int(q.fmtBytes.Load()); got != q.arena.size {
				t.Errorf("fmtBytes %d after the old chunk went, want %d", got, q.arena.size)
			}
			b.releaseExt()
			if got := int(q.heldBytes.Load()); got != before {
				t.Errorf("held %d bytes after releasing the batcher's chunk, want the copies' %d", got, before)
			}
		})
	}
}

// TestFormatReserve: the room Writes leave to formatted values.
func TestFormatReserve(t *testing.T) {
	for _, tt := range []struct {
		name string
		cfg  Config
		want int
	}{
		{"no callbacks", Config{QueueByteLimit: 64 << 10, MaxEntryBytes: 2000}, 0},
		{"a TopicDecider makes no value", Config{QueueByteLimit: 64 << 10, MaxEntryBytes: 2000, TopicDecider: func(Entry) string { return "" }}, 0},
		{"a Formatter", Config{QueueByteLimit: 64 << 10, MaxEntryBytes: 2000, Formatter: SerilogJSON{}}, 4 << 10},
		{"a KeyDecider", Config{QueueByteLimit: 64 << 20, MaxEntryBytes: 2000, KeyDecider: func(Entry) []byte { return nil }}, 128 << 10},
		{"a HeaderDecider, MaxEntryBytes near the limit", Config{QueueByteLimit: 64 << 10, MaxEntryBytes: 63 << 10, MaxBatchBytes: 1 << 20, HeaderDecider: func(Entry) []Header { return nil }}, 1 << 10},
	} {
		t.Run(tt.name, func(t *testing.T) {
			r, err := tt.cfg.resolve()
			if err != nil {
				t.Fatal(err)
			}
			if got := formatReserve(r, newArena(r.QueueByteLimit)); got != tt.want {
				t.Errorf("formatReserve = %d, want %d", got, tt.want)
			}
		})
	}
}
