package core

import (
	"context"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"
)

// TestLaterCloseReturnsTheFirstsResult: once the first Close has returned,
// later calls return what it returned, whatever their context: one with a
// context already cancelled must not return context.Canceled.
func TestLaterCloseReturnsTheFirstsResult(t *testing.T) {
	s := newTestSink(t, Config{BatchSizeLimit: 10, Period: time.Hour, ErrorHandler: func(error) {}}, newFake(1))
	write(t, s, 0, 5)
	if err := s.Close(context.Background()); err != nil {
		t.Fatalf("first Close = %v, want nil", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	wrong := 0
	for range 100 {
		if err := s.Close(ctx); err != nil {
			wrong++
		}
	}
	if wrong > 0 {
		t.Errorf("%d of 100 later Close calls (cancelled context) got an error, want nil, what the first returned", wrong)
	}
}

// TestCloseFromErrorHandlerDoesNotDeadlock: an ErrorHandler that calls
// Close(context.Background()) (on an error while everything is healthy)
// must not deadlock: Close waits for the reporter, which is the goroutine
// running the handler, waiting for Close.
func TestCloseFromErrorHandlerDoesNotDeadlock(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var s *Sink
		ctx, cancel := context.WithCancel(context.Background()) // never cancelled unless it hangs
		defer cancel()
		ret := make(chan error, 1)
		var once atomic.Bool
		cfg := Config{BatchSizeLimit: 1, Period: time.Hour, MaxEntryBytes: 100, ErrorHandler: func(error) {
			if once.CompareAndSwap(false, true) {
				ret <- s.Close(ctx)
			}
		}}
		s = newTestSink(t, cfg, newFake(1))
		s.Write(Entry{Level: InfoLevel, JSON: make([]byte, 200)}) // too large: a DropError for the handler
		time.Sleep(time.Hour)
		select {
		case <-ret:
		default:
			t.Errorf("Close with a context never cancelled, called from the ErrorHandler, had not returned after 1h: it waits for its own goroutine")
			cancel() // end the deadlock so the test can stop
			<-ret
		}
		<-s.rep.done
	})
}
