package core

import (
	"context"
	"errors"
	"testing"
	"time"
)

// TestCloseWithTheSpoolWriterStuck: in durable mode, a spool write that
// does not come back (a stalled disk) holds up neither Close, which
// returns by its deadline saying what it left behind, nor the spool's
// lock for good: once the write returns, the spool is closed and a new
// sink opens the directory. It runs in real time: the stalled write is a
// real sleep.
func TestCloseWithTheSpoolWriterStuck(t *testing.T) {
	dir := t.TempDir()
	fs := &slowSegFS{}
	f := newFake(1)
	f.block = make(chan struct{}) // the broker does not answer
	cfg := Config{BatchSizeLimit: 10, Period: time.Hour, SpoolDir: dir, ErrorHandler: func(error) {}}
	s := newSpoolSink(t, cfg, f, fs, 0)
	fs.delay.Store(int64(2 * time.Second))
	write(t, s, 0, 100)

	const deadline = 300 * time.Millisecond
	ctx, cancel := context.WithTimeout(context.Background(), deadline)
	defer cancel()
	start := time.Now()
	err := s.Close(ctx)
	took := time.Since(start)
	close(f.block)
	if took > deadline+time.Second { // generous: the bound is deadline + closeGrace
		t.Errorf("Close(%v) with the spool writer stuck returned after %v", deadline, took)
	}
	if err == nil {
		t.Errorf("Close with the spool writer stuck and the broker silent: got nil, want an error saying what is undelivered")
	}
	fs.delay.Store(0)
	<-s.b.done

	var again *Sink
	for end := time.Now().Add(10 * time.Second); ; {
		var oerr error
		again, oerr = New(Config{Brokers: []string{"127.0.0.1:1"}, Topic: "t", SpoolDir: dir, ErrorHandler: func(error) {}})
		if oerr == nil {
			break
		}
		if !errors.Is(oerr, ErrSpoolLocked) || time.Now().After(end) {
			t.Fatalf("opening the spool again after the stuck write returned: %v", oerr)
		}
		time.Sleep(10 * time.Millisecond)
	}
	cctx, ccancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer ccancel()
	again.Close(cctx)
}
