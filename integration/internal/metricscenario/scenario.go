package metricscenario

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/kafkasink/kafkasink/core"
	"github.com/kafkasink/kafkasink/integration/internal/testutil"
	"github.com/kafkasink/kafkasink/integration/kafkatest"
)

// Scenario sizes: the queue holds QueueLimit entries; past 80 % of it
// (the default ShedThreshold) info entries are shed.
const (
	QueueLimit = 20
	BadTopic   = "denied" // the broker refuses to describe it: not retriable
	infoN      = 30       // more than the queue takes below the shedding point
	errorN     = 10       // more than the room left up to QueueLimit
)

// Scenario is a sink against a real (in-process) broker, run into drops of
// several reasons; see [Start].
type Scenario struct {
	// Sink is the sink under test. Its Config names a TopicDecider that
	// reads the "t" field; its ErrorHandler discards.
	Sink *core.Sink
	// Written counts the Write calls made so far.
	Written int

	c *kafkatest.Cluster

	release func() // lets the held produce requests through; idempotent

	queueFull int // Writes that returned ErrQueueFull (shed or queue full)
	tooLarge  int // Writes that returned ErrTooLarge
}

// Start starts a one-broker cluster whose produce requests hang until
// [Scenario.Finish] (the first of them then fails once, retriably), and a
// sink with a queue of QueueLimit entries, MaxEntryBytes of 1 KiB and a
// TopicDecider that reads the "t" field. Then it writes, while nothing can
// be delivered: two entries for BadTopic (dropped as not retriable, in
// BadTopic's own drops: the name is valid, the broker denies it), one
// entry too large, info entries until they are shed, error entries until
// the queue is full. It returns once BadTopic's entries are dropped; the
// queue is then full, every request in flight held by the broker.
func Start(t *testing.T) *Scenario {
	t.Helper()
	c, release := startHeld(t)

	sink, err := core.New(core.Config{
		Brokers:       c.Addrs(),
		QueueLimit:    QueueLimit,
		MaxEntryBytes: 1024,
		Period:        10 * time.Millisecond, // the entries after the first do not wait 5s
		WriteTimeout:  time.Minute,           // held requests must not time out
		MinBackoff:    10 * time.Millisecond,
		TopicDecider:  func(e core.Entry) string { return e.Field("t") },
		ErrorHandler:  func(error) {},
	})
	if err != nil {
		t.Fatal(err)
	}
	s := &Scenario{c: c, Sink: sink, release: release}
	t.Cleanup(func() {
		s.release()
		sink.Close(context.Background())
	})

	for i := range 2 {
		s.write(t, core.InfoLevel, fmt.Sprintf(`{"msg":"to a denied topic","i":%d,"t":%q}`, i, BadTopic))
	}
	testutil.WaitFor(t, 30*time.Second, func() bool { return sink.Stats().Dropped.NotRetriable == 2 },
		func() string { return "the denied topic's entries dropped" })
	s.write(t, core.InfoLevel, `{"msg":"too large","pad":"`+strings.Repeat("x", 2048)+`"}`)
	for i := range infoN {
		s.write(t, core.InfoLevel, fmt.Sprintf(`{"msg":"info","i":%d}`, i))
	}
	for i := range errorN {
		s.write(t, core.ErrorLevel, fmt.Sprintf(`{"msg":"error","i":%d}`, i))
	}
	st := sink.Stats()
	if st.QueueDepth != QueueLimit || st.Dropped.Shed == 0 || st.Dropped.QueueFull == 0 || st.Dropped.TooLarge != 1 {
		t.Fatalf("after the writes: queue depth %d, drops %+v; want %d held, some shed, some queue full, 1 too large",
			st.QueueDepth, st.Dropped, QueueLimit)
	}
	if got, want := uint64(s.queueFull), st.Dropped.Shed+st.Dropped.QueueFull; got != want {
		t.Fatalf("%d Writes returned ErrQueueFull, Stats count %d shed or queue full", got, want)
	}
	return s
}

// startHeld starts a one-broker cluster whose produce requests hang until
// release is called (any number of times); then the first of them fails
// once, retriably. BadTopic cannot be described.
func startHeld(t *testing.T) (c *kafkatest.Cluster, release func()) {
	t.Helper()
	c = kafkatest.Start(t, kfake.NumBrokers(1))
	k := c.Kfake()
	hold := make(chan struct{})
	k.ControlKey(int16(kmsg.Produce), func(kmsg.Request) (kmsg.Response, error, bool) {
		k.KeepControl()
		k.SleepControl(func() { <-hold })
		return nil, nil, false // then answer it as usual
	})
	// After the hold, one produce request fails with a retriable error
	// (answered before anything is appended): its records are retried.
	k.Fault(kfake.Fault{Keys: []kmsg.Key{kmsg.Produce}, Err: kerr.NotEnoughReplicas, Count: 1})
	// BadTopic may not be described: its entries are not retriable.
	k.Fault(kfake.Fault{Keys: []kmsg.Key{kmsg.Metadata}, Topic: BadTopic, Err: kerr.TopicAuthorizationFailed, Count: -1})
	return c, sync.OnceFunc(func() { close(hold) })
}

func (s *Scenario) write(t *testing.T, level core.Level, json string) {
	t.Helper()
	s.Written++
	err := s.Sink.Write(core.Entry{Time: time.Now(), Level: level, JSON: []byte(json)})
	switch {
	case err == nil:
	case errors.Is(err, core.ErrQueueFull):
		s.queueFull++
	case errors.Is(err, core.ErrTooLarge):
		s.tooLarge++
	default:
		t.Fatalf("Write: got %v, want nil, ErrQueueFull or ErrTooLarge", err)
	}
}

// Finish releases the broker, flushes and closes the sink, writes once
// after Close (dropped as closed), and checks what a consumer reads back
// against Stats, which it returns.
func (s *Scenario) Finish(t *testing.T) core.Stats {
	t.Helper()
	s.release()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := s.Sink.Flush(ctx); errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Flush: %v", err)
	}
	// Close counts the entries accepted and not delivered: the invalid
	// topic's two.
	var ue *core.UndeliveredError
	if err := s.Sink.Close(ctx); !errors.As(err, &ue) || ue.Count != 2 || !errors.Is(err, core.ErrDropped) {
		t.Fatalf("Close: got %v, want 2 entries dropped", err)
	}
	s.Written++
	if err := s.Sink.Write(core.Entry{Level: core.InfoLevel, JSON: []byte(`{"msg":"after close"}`)}); !errors.Is(err, core.ErrClosed) {
		t.Fatalf("Write after Close: got %v, want ErrClosed", err)
	}
	st := s.Sink.Stats()
	if st.Received != uint64(s.Written) || st.Dropped.Closed != 1 || st.Retries == 0 {
		t.Fatalf("Stats: received %d, closed %d, retries %d; want %d, 1 and some", st.Received, st.Dropped.Closed, st.Retries, s.Written)
	}
	if got := st.Delivered + st.Dropped.Total() + uint64(st.QueueDepth); got != st.Received {
		t.Fatalf("delivered + dropped + queued = %d, received %d", got, st.Received)
	}
	recs := s.c.ReadN(t, kafkatest.DefaultTopic, int(st.Delivered), 10*time.Second)
	if uint64(len(recs)) != st.Delivered {
		t.Fatalf("read back %d records, Stats say %d delivered", len(recs), st.Delivered)
	}
	return st
}
