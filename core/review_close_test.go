package core

import (
	"context"
	"errors"
	"testing"
	"testing/synctest"
	"time"
)

// TestCloseCountsDropsAfterDeliveryStops: Close's UndeliveredError counts
// every entry accepted before Close that was not delivered. Close takes
// its count from the wait that ends shortly before the deadline
// (pending, dropped) plus what abortAll drops (aborted); an entry the
// batcher drops in between, here for an invalid topic a slow TopicDecider
// returns, is in neither: it is counted in Stats but not in Close's error.
func TestCloseCountsDropsAfterDeliveryStops(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f, _ := newFakeWithoutMetadata(1)
		cfg := Config{
			BatchSizeLimit: 10, Period: time.Hour, DelayFirstEntry: true, ErrorHandler: func(error) {},
			TopicDecider: func(e Entry) string {
				if e.Message == "slow" {
					// Past the point where Close stops delivering (900ms),
					// before its hard deadline (1s).
					time.Sleep(950 * time.Millisecond)
					return "not a topic"
				}
				return ""
			},
		}
		s := newTestSink(t, cfg, f)
		for _, m := range []string{"slow", "next"} {
			if err := s.Write(Entry{Level: InfoLevel, Message: m, JSON: []byte(`{}`)}); err != nil {
				t.Fatal(err)
			}
		}
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		err := s.Close(ctx)
		var ue *UndeliveredError
		if !errors.As(err, &ue) {
			t.Fatalf("Close = %v, want an UndeliveredError", err)
		}
		st := s.Stats()
		if want := int(st.Received - st.Delivered); ue.Count != want {
			t.Errorf("Close counted %d undelivered, want %d: both entries were accepted before Close and neither was delivered (stats: dropped %+v)", ue.Count, want, st.Dropped)
		}
	})
}

// TestConcurrentCloseReturnsByItsDeadline: Close returns by its context's
// deadline whatever the brokers do. A second Close while the first is
// still running waits in sync.Once for the first, however long that takes
// (here Close(context.Background()) during an outage: until RetryTimeLimit
// drops the entry), whatever its own context says.
//
// It runs in real time: under synctest the second Close, blocked on the
// Once's mutex (not a durable block), freezes the bubble's clock.
func TestConcurrentCloseReturnsByItsDeadline(t *testing.T) {
	f := newFake(1)
	f.block = make(chan struct{}) // the broker does not answer
	cfg := Config{BatchSizeLimit: 10, Period: time.Hour, ErrorHandler: func(error) {}}
	s := newTestSink(t, cfg, f)
	write(t, s, 0, 1)
	first := make(chan error, 1)
	go func() { first <- s.Close(context.Background()) }()
	for s.q.nwaiters.Load() == 0 { // the first Close waits for delivery
		time.Sleep(time.Millisecond)
	}

	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	second := make(chan error, 1)
	go func() { second <- s.Close(ctx) }()
	select {
	case <-second:
	case <-time.After(10 * time.Second): // far past its 200ms
		t.Errorf("the second Close, with a 200ms deadline, had not returned after 10s: it waits for the first")
		close(f.block) // let the first, and so the second, finish
		<-second
	}
	<-first
}
