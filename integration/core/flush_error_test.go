package core_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kfake"

	"github.com/kafkasink/kafkasink/core"
	"github.com/kafkasink/kafkasink/integration/internal/hostiletest"
	"github.com/kafkasink/kafkasink/integration/internal/testutil"
	"github.com/kafkasink/kafkasink/integration/kafkatest"
)

// The error of Flush and Close counts every entry accepted before the call
// that was dropped since New, not only the drops that happened while it
// waited: entries dropped before the call are reported by the next Flush,
// and by Close. Entries Write refused were never accepted: Write said so.
func TestFlushReportsEarlierDrops(t *testing.T) {
	c := kafkatest.Start(t, kfake.NumBrokers(1))
	const n, every = 100, 10 // every tenth entry goes to an invalid topic
	s := mustNew(t, core.Config{
		Brokers: c.Addrs(), BatchSizeLimit: 10, Period: 10 * time.Millisecond, MaxEntryBytes: 4096,
		TopicDecider: func(e core.Entry) string {
			if e.Level >= core.ErrorLevel { // logLine: every tenth
				return "not a topic!"
			}
			return ""
		},
		ErrorHandler: func(error) {},
	})
	hostiletest.Guard(t, hostiletest.HangAfter, nil, func() {
		for i := range n {
			if err := s.Write(logLine(i)); err != nil {
				t.Errorf("Write(%d) = %v", i, err)
			}
		}
		big := core.Entry{Level: core.InfoLevel, JSON: make([]byte, 8192)}
		if err := s.Write(big); !errors.Is(err, core.ErrTooLarge) {
			t.Errorf("Write of %d bytes = %v, want ErrTooLarge", len(big.JSON), err)
		}
		// Every accepted entry is delivered or dropped before Flush is called.
		testutil.WaitFor(t, 30*time.Second, func() bool { st := s.Stats(); return st.Delivered+st.Dropped.NotRetriable == n },
			func() string { return fmt.Sprintf("stats %+v", s.Stats()) })

		want := fmt.Sprintf("an *core.UndeliveredError with Count %d and Err ErrDropped: the entries dropped before the call", n/every)
		check := func(what string, err error) {
			t.Helper()
			var ue *core.UndeliveredError
			if !errors.As(err, &ue) || ue.Count != n/every || !errors.Is(err, core.ErrDropped) {
				t.Errorf("%s = %v, want %s", what, err, want)
			}
		}
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		check("Flush", s.Flush(ctx))
		check("a second Flush", s.Flush(ctx))
		check("Close", s.Close(ctx))
	})
	if got := len(c.ReadAll(t, kafkatest.DefaultTopic)); got != n-n/every {
		t.Errorf("read back %d records, want %d", got, n-n/every)
	}
}
