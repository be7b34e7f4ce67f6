package core

import (
	"context"
	"errors"
	"testing"
	"testing/synctest"
	"time"
)

// TestCloseCountsDropsAfterDeliveryStops: Close's UndeliveredError counts
// every entry accepted before Close that was not delivered, including one
// the batcher drops after delivery stopped and before the abort (here for
// an invalid topic a slow TopicDecider returns): Close keeps counting
// until it has dropped what is left.
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
// deadline whatever the brokers do, also when another Close is running: a
// second Close, while the first (context.Background(), during an outage)
// waits for delivery, returns its own context's error at its deadline;
// once the first returns, later calls return what it returned.
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
	case err := <-second:
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("the second Close, while the first waits for delivery: got %v, want its own context's error", err)
		}
	case <-time.After(10 * time.Second): // far past its 200ms
		t.Errorf("the second Close, with a 200ms deadline, had not returned after 10s: it waits for the first")
		defer func() { <-second }()
	}
	close(f.block) // let the first finish
	err := <-first
	if err != nil {
		t.Errorf("the first Close, once the broker answers: got %v, want nil", err)
	}
	if err := s.Close(context.Background()); err != nil {
		t.Errorf("a Close after the first returned: got %v, want what the first returned (nil)", err)
	}
}
