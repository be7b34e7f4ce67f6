package zapsink_test

import (
	"slices"
	"testing"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"

	"github.com/kafkasink/kafkasink/core"
	"github.com/kafkasink/kafkasink/integration/internal/testutil"
	"github.com/kafkasink/kafkasink/integration/kafkatest"
	"github.com/kafkasink/kafkasink/zapsink"
)

// TestFlushAfterEarlierDrop checks that the flush after a DPanic entry
// does not fail because of an entry the sink dropped, counted and reported
// long before: everything written before the DPanic entry, and the entry,
// was finalized, so Write has no error for zap to print to its
// ErrorOutput (which it would do for every DPanic from then on).
func TestFlushAfterEarlierDrop(t *testing.T) {
	c := kafkatest.Start(t)
	const topic = "earlier-drop"
	c.CreateTopic(t, topic, 1)
	cfg := testutil.Quiet(t, c)
	cfg.Topic = topic
	cfg.KeyDecider = func(e core.Entry) []byte {
		if e.Message == "poison" {
			panic("a decider that fails for this entry")
		}
		return nil
	}
	kc := newCore(t, zapsink.Config{Sink: cfg})
	errOut := &testutil.LockedBuffer{}
	logger := zap.New(kc, zap.ErrorOutput(zapcore.AddSync(errOut)))

	logger.Info("poison")
	if err := logger.Sync(); err == nil {
		t.Fatalf("Sync after the poisoned entry: got nil, want an error counting the entry dropped")
	}
	if got := kc.Sink().Stats().Dropped.NotRetriable; got != 1 {
		t.Fatalf("got Dropped.NotRetriable %d, want 1", got)
	}

	logger.Info("before")
	logger.DPanic("dpanic") // production: no panic, but flushed
	if got := testutil.Messages(t, c.ReadAll(t, topic)); !slices.Equal(got, []string{"before", "dpanic"}) {
		t.Fatalf("got messages %q in Kafka, want [before dpanic]", got)
	}
	if s := errOut.String(); s != "" {
		t.Errorf("zap's ErrorOutput after a DPanic entry that was delivered: got %q, want nothing", s)
	}
}
