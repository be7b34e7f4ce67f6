package core

import (
	"context"
	"encoding/json"
	"errors"
	"expvar"
	"fmt"
	"testing"
	"testing/synctest"
	"time"

	"github.com/segmentio/kafka-go"
)

func TestLatencyQuantile(t *testing.T) {
	var l Latency
	if got := l.Quantile(0.5); got != 0 {
		t.Errorf("empty: got %v, want 0", got)
	}
	// 10 entries within 1ms, 10 between 5ms and 10ms.
	l.Counts[latencyBucket(500*time.Microsecond)] = 10
	l.Counts[latencyBucket(7*time.Millisecond)] = 10
	l.Count = 20
	for _, tt := range []struct {
		q    float64
		want time.Duration
	}{
		{0, 0},
		{0.25, 500 * time.Microsecond}, // half-way through the first bucket
		{0.5, time.Millisecond},
		{0.75, 7500 * time.Microsecond}, // half-way through (5ms, 10ms]
		{1, 10 * time.Millisecond},
	} {
		if got := l.Quantile(tt.q); got != tt.want {
			t.Errorf("Quantile(%v): got %v, want %v", tt.q, got, tt.want)
		}
	}
	l = Latency{Count: 1}
	l.Counts[len(LatencyBounds)] = 1
	if got, want := l.Quantile(0.99), LatencyBounds[len(LatencyBounds)-1]; got != want {
		t.Errorf("unbounded bucket: got %v, want the last bound %v", got, want)
	}
	for _, tt := range []struct {
		d    time.Duration
		want int
	}{{0, 0}, {time.Millisecond, 0}, {time.Millisecond + 1, 1}, {time.Hour, len(LatencyBounds)}} {
		if got := latencyBucket(tt.d); got != tt.want {
			t.Errorf("latencyBucket(%v): got %d, want %d", tt.d, got, tt.want)
		}
	}
}

// TestStatsMetrics checks the operators' numbers against what happened:
// latency from the entries' time to their acknowledgement, per-topic
// counts, requests in flight and the age of the oldest entry held.
func TestStatsMetrics(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := newFake(2)
		f.block = make(chan struct{})
		f.fail = func(c fakeCall) (map[int]error, error) {
			if c.Topic == "bad" {
				return nil, kafka.InvalidRecord
			}
			return nil, nil
		}
		cfg := Config{BatchSizeLimit: 10, Period: time.Hour, DelayFirstEntry: true, WriteTimeout: time.Hour, ErrorHandler: func(error) {},
			TopicDecider: func(e Entry) string { return e.Field("topic") }}
		s := newTestSink(t, cfg, f)
		start := time.Now()
		for i := range 20 {
			topic := "a"
			if i%4 == 3 {
				topic = "bad"
			}
			s.Write(Entry{Time: start, Level: InfoLevel, JSON: fmt.Appendf(nil, `{"i":%d,"topic":%q}`, i, topic)})
		}
		time.Sleep(3 * time.Second) // the requests hang: entries wait
		synctest.Wait()
		st := s.Stats()
		if st.InFlight == 0 {
			t.Errorf("InFlight: got 0 while requests hang")
		}
		if st.OldestAge < 3*time.Second || st.OldestAge > 4*time.Second {
			t.Errorf("OldestAge: got %v, want the 3s the entries have waited", st.OldestAge)
		}
		close(f.block)
		if err := s.Flush(context.Background()); !errors.Is(err, ErrDropped) {
			t.Errorf("Flush = %v, want the bad topic's entries dropped", err)
		}
		st = s.Stats()
		if st.InFlight != 0 || st.OldestAge != 0 {
			t.Errorf("after Flush: InFlight %d, OldestAge %v, want 0 and 0", st.InFlight, st.OldestAge)
		}
		if st.Latency.Count != 15 || st.Latency.Counts[latencyBucket(3*time.Second)] != 15 {
			t.Errorf("latency %+v: want 15 entries, all in the bucket of 3s", st.Latency)
		}
		if got := st.Latency.Sum; got != 15*3*time.Second {
			t.Errorf("latency sum: got %v, want 45s", got)
		}
		want := []TopicStats{{Topic: "a", Delivered: 15}, {Topic: "bad", Dropped: 5}}
		if fmt.Sprint(st.Topics) != fmt.Sprint(want) {
			t.Errorf("Topics: got %+v, want %+v", st.Topics, want)
		}
		s.Close(context.Background())
	})
}

func TestPublishExpvar(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s := newTestSink(t, Config{BatchSizeLimit: 1}, newFake(1))
		name := fmt.Sprintf("kafkasink-test-%p", s)
		if err := PublishExpvar(name, s); err != nil {
			t.Fatal(err)
		}
		if err := PublishExpvar(name, s); err == nil {
			t.Error("publishing the same name twice: got nil, want an error")
		}
		write(t, s, 0, 3)
		s.Flush(context.Background())
		var got struct {
			Delivered uint64                 `json:"delivered"`
			Latency   struct{ Count uint64 } `json:"latency"`
			Topics    []TopicStats           `json:"topics"`
		}
		if err := json.Unmarshal([]byte(expvar.Get(name).String()), &got); err != nil {
			t.Fatal(err)
		}
		if got.Delivered != 3 || got.Latency.Count != 3 || len(got.Topics) != 1 || got.Topics[0].Delivered != 3 {
			t.Errorf("expvar: got %+v, want 3 delivered, on topic logs", got)
		}
		s.Close(context.Background())
	})
}
