package core

import (
	"context"
	"errors"
	"testing"
	"testing/synctest"
	"time"
)

// TestManyHeadersSurviveTheSpool: an entry with more headers than a uint16
// counts (65536) comes back from the spool, replayed by the next sink, with
// all of them: the count is recounted from the bytes on disk.
func TestManyHeadersSurviveTheSpool(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		dir := t.TempDir()
		cfg := Config{SpoolDir: dir, BatchSizeLimit: 10, Period: 10 * time.Millisecond, ErrorHandler: func(error) {}}
		hdrs := make([]Header, 1<<16)
		for i := range hdrs {
			hdrs[i] = Header{Key: "k", Value: []byte{byte(i)}}
		}
		down, _ := downFake(1)
		s := newTestSink(t, cfg, down)
		if err := s.Write(Entry{Level: InfoLevel, JSON: []byte(`{"many":1}`), Headers: hdrs}); err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		if err := s.Close(ctx); !errors.Is(err, ErrLeftInSpool) {
			t.Fatalf("Close = %v, want ErrLeftInSpool", err)
		}

		f := newFake(1)
		s2 := newTestSink(t, cfg, f)
		ctx2, cancel2 := context.WithTimeout(context.Background(), time.Minute)
		defer cancel2()
		if err := s2.Flush(ctx2); err != nil {
			t.Fatalf("Flush = %v (dropped %+v), want the replayed entry delivered", err, s2.Stats().Dropped)
		}
		closeSink(t, s2)
		var got [][]Header
		for _, c := range f.snapshot() {
			if c.OK {
				got = append(got, c.Headers...)
			}
		}
		if len(got) != 1 {
			t.Fatalf("delivered %d records, want 1", len(got))
		}
		if len(got[0]) != len(hdrs) {
			t.Fatalf("the entry came back with %d headers, want %d", len(got[0]), len(hdrs))
		}
		for i, h := range got[0] {
			if h.Key != "k" || len(h.Value) != 1 || h.Value[0] != byte(i) {
				t.Fatalf("header %d = %q=%q, want k=%q", i, h.Key, h.Value, []byte{byte(i)})
			}
		}
	})
}
