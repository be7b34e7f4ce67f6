package core

import (
	"context"
	"sync"
	"testing"
	"testing/synctest"
	"time"
)

// stampTransport is the fake transport that notes when each produce
// request starts.
type stampTransport struct {
	*fakeTransport
	mu     sync.Mutex
	starts []time.Time
}

func (s *stampTransport) produce(ctx context.Context, topic string, partition int32, bp *[]byte) (map[int]error, error) {
	s.mu.Lock()
	s.starts = append(s.starts, time.Now())
	s.mu.Unlock()
	return s.fakeTransport.produce(ctx, topic, partition, bp)
}

// TestNoRequestAfterCloseGivesUp: once Close has given up on delivery
// (close(b.abort), a tenth of the time before its deadline), the batcher
// must start no more requests: what it still holds is dropped as Closed
// and handed to the Fallback. routeAll checks for the abort, but the loop
// goes on to dispatch before it sees b.abort, so a record routed then is
// sent to Kafka after Close gave up, and may be counted as dropped and
// written to the Fallback though Kafka has it (or, with the batcher left
// in a callback at the deadline, sent after Close returned).
func TestNoRequestAfterCloseGivesUp(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		st := &stampTransport{fakeTransport: newFake(1)}
		cfg := Config{
			BatchSizeLimit: 10, Period: time.Hour, ErrorHandler: func(error) {},
			TopicDecider: func(e Entry) string {
				if e.Message == "slow" {
					time.Sleep(950 * time.Millisecond) // past 900ms, when Close gives up
				}
				return ""
			},
		}
		s := newTestSink(t, cfg, st)
		write(t, s, 0, 1) // the topic's metadata is known
		synctest.Wait()
		if err := s.Write(Entry{Level: InfoLevel, Message: "slow", JSON: []byte(`{"slow":1}`)}); err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		gaveUp := time.Now().Add(900 * time.Millisecond)
		s.Close(ctx)
		st.mu.Lock()
		defer st.mu.Unlock()
		for i, at := range st.starts {
			if at.After(gaveUp) {
				t.Errorf("request %d started %v after Close gave up on delivery", i, at.Sub(gaveUp))
			}
		}
	})
}
