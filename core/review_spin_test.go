package core

import (
	"context"
	"testing"
	"time"

	"github.com/segmentio/kafka-go"
)

// TestRetryDueAtMaxInFlightDoesNotSpin: a partition whose retry is due
// while MaxInFlight requests are in flight cannot be sent; the batcher must
// wait for an answer, not loop. armTimer arms the timer for the due (past)
// retryAt again each time it fires, so the batcher spins, taking the
// queue's gmu and every shard lock on each turn (pull → take → gather),
// until a request in flight answers: up to WriteTimeout, during an outage.
//
// The probe: every turn of the batcher's loop calls queue.take, which
// clears nearSent. The test sets it and counts how often it is cleared
// while nothing should wake the batcher (Period an hour, no Writes, the
// one request in flight held).
func TestRetryDueAtMaxInFlightDoesNotSpin(t *testing.T) {
	f := newFake(1)
	var firstA onceFlag
	failedA := make(chan struct{})
	f.fail = func(c fakeCall) (map[int]error, error) {
		if c.Topic == "a" && firstA.first() {
			close(failedA)
			return nil, kafka.RequestTimedOut // retriable
		}
		return nil, nil
	}
	tr := newHoldTransport(f, func(topic string, _ int32) bool { return topic == "b" })
	cfg := Config{
		BatchSizeLimit: 1, Period: time.Hour, DelayFirstEntry: true, MaxInFlight: 1,
		MinBackoff: 200 * time.Millisecond, MaxBackoff: 200 * time.Millisecond, WriteTimeout: time.Hour,
		TopicDecider: func(e Entry) string { return e.Message },
		ErrorHandler: func(error) {},
	}
	s := newTestSink(t, cfg, tr)
	if err := s.Write(Entry{Level: InfoLevel, Message: "a", JSON: []byte(`{"a":1}`)}); err != nil {
		t.Fatal(err)
	}
	<-failedA // a's request failed: its retry is due in about 200ms
	if err := s.Write(Entry{Level: InfoLevel, Message: "b", JSON: []byte(`{"b":1}`)}); err != nil {
		t.Fatal(err)
	}
	<-tr.entered // b's request is in flight and held: MaxInFlight is reached

	// From a's retry time on, nothing can be sent until b answers.
	turns := 0
	deadline := time.Now().Add(2 * time.Second)
	for turns < 1000 && time.Now().Before(deadline) {
		s.q.nearSent.Store(true)
		for s.q.nearSent.Load() && time.Now().Before(deadline) {
			time.Sleep(50 * time.Microsecond)
		}
		if !s.q.nearSent.Load() {
			turns++
		}
	}
	if turns >= 1000 {
		t.Errorf("the batcher went round its loop %d times (and kept going) while its one request in flight was held: it spins on a retry it cannot send", turns)
	}

	close(tr.release)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := s.Close(ctx); err != nil {
		t.Errorf("Close = %v", err)
	}
	if got := len(f.delivered()); got != 2 {
		t.Errorf("delivered %d, want 2", got)
	}
}
