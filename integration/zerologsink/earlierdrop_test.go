package zerologsink_test

import (
	"testing"

	"github.com/rs/zerolog"

	"github.com/kafkasink/kafkasink/core"
	"github.com/kafkasink/kafkasink/integration/kafkatest"
)

// TestPanicFlushAfterEarlierDrop checks that the flush before a Panic entry
// panics does not fail because of an entry the sink dropped, counted and
// reported before: the Panic entry and those before it were delivered, so
// zerolog has no "could not write event" to print.
func TestPanicFlushAfterEarlierDrop(t *testing.T) {
	zerologErrs := captureZerologErrors(t)
	c := startCluster(t)
	const topic = "panic-earlier-drop"
	c.CreateTopic(t, topic, 1)
	cfg := config(t, c)
	cfg.Topic = topic
	cfg.KeyDecider = func(e core.Entry) []byte {
		if e.Field("message") == "poison" {
			panic("a decider that fails for this entry")
		}
		return nil
	}
	w := newWriter(t, cfg)
	log := zerolog.New(w)

	log.Info().Msg("poison")
	if err := w.Flush(t.Context()); err == nil {
		t.Fatalf("Flush after the poisoned entry: got nil, want an error counting the entry dropped")
	}
	if got := w.Sink().Stats().Dropped.NotRetriable; got != 1 {
		t.Fatalf("got Dropped.NotRetriable %d, want 1", got)
	}

	log.Info().Msg("before")
	func() {
		defer func() { _ = recover() }()
		log.Panic().Msg("panic")
	}()
	equalStrings(t, "records in Kafka", kafkatest.Values(c.ReadAll(t, topic)),
		[]string{`{"level":"info","message":"before"}`, `{"level":"panic","message":"panic"}`})
	if errs := zerologErrs(); len(errs) != 0 {
		t.Errorf("zerolog write errors after a Panic entry that was delivered: got %v, want none", errs)
	}
}
