package core_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kafkasink/kafkasink/core"
	"github.com/kafkasink/kafkasink/integration/kafkatest"
)

// countingFallback counts the lines Fallback receives.
type countingFallback struct {
	mu    sync.Mutex
	lines []string
}

func (f *countingFallback) Write(p []byte) (int, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, l := range strings.Split(strings.TrimSuffix(string(p), "\n"), "\n") {
		f.lines = append(f.lines, l)
	}
	return len(p), nil
}

func (f *countingFallback) count() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.lines)
}

// TestBrokerRejectsTooLarge writes small entries and a few larger
// than the topic's max.message.bytes (but under MaxEntryBytes) to a topic
// whose batches are also too large as a whole: Kafka rejects the whole
// request with MESSAGE_TOO_LARGE, the sink must find the record that is
// too large, drop it alone (Dropped.TooLarge, Fallback) and deliver every
// other, in order, with the accounting exact.
func TestBrokerRejectsTooLarge(t *testing.T) {
	for _, spool := range []bool{false, true} {
		t.Run(fmt.Sprintf("spool=%v", spool), func(t *testing.T) {
			c := kafkatest.Start(t)
			const topic = "small"
			if err := c.Kfake().CreateTopic(topic, 1, map[string]string{"max.message.bytes": "4000"}); err != nil {
				t.Fatalf("CreateTopic = %v", err)
			}
			fb := &countingFallback{}
			cfg := core.Config{
				Brokers:        c.Addrs(),
				Topic:          topic,
				BatchSizeLimit: 100,
				Period:         20 * time.Millisecond,
				MinBackoff:     10 * time.Millisecond,
				MaxBackoff:     100 * time.Millisecond,
				MaxEntryBytes:  100000,
				Fallback:       fb,
				ErrorHandler:   func(error) {},
			}
			if spool {
				cfg.SpoolDir = t.TempDir()
			}
			s, err := core.New(cfg)
			if err != nil {
				t.Fatalf("New = %v", err)
			}
			const n = 300
			big := map[int]bool{17: true, 150: true, 151: true, 299: true}
			for i := 0; i < n; i++ {
				pad := 150
				if big[i] {
					pad = 6000
				}
				e := core.Entry{Time: time.Now(), Level: core.ErrorLevel,
					JSON: fmt.Appendf(nil, `{"id":%d,"pad":%q}`+"\n", i, strings.Repeat("x", pad))}
				if err := s.Write(e); err != nil {
					t.Fatalf("Write(%d) = %v", i, err)
				}
			}
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			ferr := s.Flush(ctx)
			if err := s.Close(ctx); err != nil {
				t.Logf("Close = %v", err)
			}
			st := s.Stats()
			t.Logf("Flush = %v; stats: received %d delivered %d dropped %+v depth %d", ferr, st.Received, st.Delivered, st.Dropped, st.QueueDepth)
			if st.Dropped.TooLarge != uint64(len(big)) {
				t.Errorf("Dropped.TooLarge = %d, want %d", st.Dropped.TooLarge, len(big))
			}
			if st.Delivered != n-uint64(len(big)) {
				t.Errorf("Delivered = %d, want %d", st.Delivered, n-len(big))
			}
			if got, want := st.Received+st.Replayed, st.Delivered+st.Dropped.Total()+uint64(st.QueueDepth); got != want {
				t.Errorf("Received+Replayed = %d, Delivered+Dropped+QueueDepth = %d", got, want)
			}
			if got := fb.count(); got != len(big) {
				t.Errorf("Fallback got %d lines, want %d", got, len(big))
			}
			recs := c.ReadN(t, topic, n-len(big), 10*time.Second)
			want := 0
			for _, r := range recs {
				for big[want] {
					want++
				}
				if !strings.HasPrefix(string(r.Value), fmt.Sprintf(`{"id":%d,`, want)) {
					t.Fatalf("record %v, want id %d next", r, want)
				}
				want++
			}
		})
	}
}
