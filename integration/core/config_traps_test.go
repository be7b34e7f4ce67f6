package core_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kfake"

	"github.com/kafkasink/kafkasink/core"
	"github.com/kafkasink/kafkasink/integration/internal/hostiletest"
	"github.com/kafkasink/kafkasink/integration/internal/testutil"
	"github.com/kafkasink/kafkasink/integration/kafkatest"
)

// Brokers split from a comma-separated list with spaces
// (strings.Split("a:9092, b:9092", ",")) pass New, which trims them for
// validation; the sink must dial what it validated. The first broker here
// is down, so only the second, " host:port", can deliver.
func TestBrokersWithSpaces(t *testing.T) {
	c := kafkatest.Start(t, kfake.NumBrokers(1))
	dead := testutil.Unreachable(t)
	brokers := strings.Split(dead+", "+c.Addrs()[0], ",")
	var errs errList
	s := mustNew(t, core.Config{Brokers: brokers, BatchSizeLimit: 10, Period: 10 * time.Millisecond,
		DialTimeout: time.Second, MinBackoff: 20 * time.Millisecond, MaxBackoff: 200 * time.Millisecond, ErrorHandler: errs.add})
	const n = 20
	hostiletest.Guard(t, hostiletest.HangAfter, nil, func() {
		for i := range n {
			if err := s.Write(logLine(i)); err != nil {
				t.Errorf("Write(%d) = %v", i, err)
			}
		}
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		if err := s.Flush(ctx); err != nil {
			t.Fatalf("Brokers %q: Flush = %v, want nil; errors reported: %q", brokers, err, errs.first(3))
		}
	})
	if got := len(c.ReadAll(t, kafkatest.DefaultTopic)); got != n {
		t.Errorf("read back %d records, want %d", got, n)
	}
}

// A batch goes out as soon as it is full or the queue nears a limit: here
// BatchSizeLimit (500) is more than QueueByteLimit (256 KiB) holds of ~1 KB
// entries, and Period an hour, so only a queue that nears its byte limit
// can send anything. The writer never overfills the queue: before each
// Write it waits until the queue holds less than 60 % of the load-shedding
// point (ShedThreshold 0.8 of QueueByteLimit, in entry bytes: 125 entries),
// so every entry must be delivered and none dropped. Memory is counted by
// 16 KiB chunks (15 of these entries each), partly used at both ends and
// freed only once all their entries are delivered: 125 entries may hold
// 11 chunks, 69 % of QueueByteLimit, 2 chunks below the shedding point;
// and above the 40 % (7 chunks) at which a partial batch goes out. (With a batch
// sent only when BatchSizeLimit entries are queued, they sit there until
// Period: the writer waits for ever.)
func TestBatchGoesOutBeforeTheQueueIsFull(t *testing.T) {
	c := kafkatest.Start(t, kfake.NumBrokers(1))
	const (
		n          = 2000
		entryBytes = 1000
		queueBytes = 256 << 10
		batchSize  = 500
	)
	var errs errList
	s := mustNew(t, core.Config{Brokers: c.Addrs(), BatchSizeLimit: batchSize, Period: time.Hour,
		QueueByteLimit: queueBytes, MaxEntryBytes: 4096, ErrorHandler: errs.add})
	share := 0.6 * 0.8
	high := int(share * queueBytes / entryBytes) // 125 entries, 48% of QueueByteLimit
	hostiletest.Guard(t, hostiletest.HangAfter, nil, func() {
		for i := range n {
			testutil.WaitFor(t, 30*time.Second, func() bool { return s.Stats().QueueDepth < high }, func() string {
				return fmt.Sprintf("room for entry %d: the queue holds %d entries of %d bytes (BatchSizeLimit %d, QueueByteLimit %d), stats %+v; "+
					"a batch must go out before the queue nears its limit", i, s.Stats().QueueDepth, entryBytes, batchSize, queueBytes, s.Stats())
			})
			if err := s.Write(fixedEntry(i, entryBytes)); err != nil {
				t.Fatalf("Write(%d) = %v with %d entries queued, want nil", i, err, s.Stats().QueueDepth)
			}
		}
		flush(t, s, 30*time.Second)
	})
	st := s.Stats()
	if st.Delivered != n || st.Dropped.Total() != 0 {
		t.Errorf("delivered %d, dropped %+v; want all %d delivered (errors: %q)", st.Delivered, st.Dropped, n, errs.first(3))
	}
	ids := map[string]bool{}
	for _, r := range c.ReadAll(t, kafkatest.DefaultTopic) {
		ids[core.Entry{JSON: r.Value}.Field("id")] = true
	}
	if len(ids) != n {
		t.Errorf("read back %d distinct entries, want %d", len(ids), n)
	}
}

// fixedEntry is an info entry of exactly size bytes of JSON (less its
// newline), {"id":"000042","pad":"…"}.
func fixedEntry(id, size int) core.Entry {
	b := fmt.Appendf(nil, `{"id":"%06d","pad":"`, id)
	for len(b) < size-2 {
		b = append(b, byte('a'+(id+len(b))%26))
	}
	b = append(b, "\"}\n"...)
	return core.Entry{Level: core.InfoLevel, JSON: b}
}

// errList is an ErrorHandler that keeps the errors' messages.
type errList struct {
	mu   sync.Mutex
	msgs []string
}

func (l *errList) add(err error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.msgs = append(l.msgs, err.Error())
}

func (l *errList) first(n int) []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.msgs[:min(n, len(l.msgs))]
}
