package zerologsink_test

import (
	"context"
	"errors"
	"io"
	"testing"

	"github.com/rs/zerolog"

	"github.com/kafkasink/kafkasink/core"
	"github.com/kafkasink/kafkasink/integration/internal/testutil"
	"github.com/kafkasink/kafkasink/integration/kafkatest"
	"github.com/kafkasink/kafkasink/zerologsink"
)

// TestOwnership checks who closes what: a Writer from New owns its sink and
// its Close closes it; a Writer from NewWriter borrows one, and its Close
// (which Logger.Fatal calls) and Flush deliver what is queued and leave
// the sink open, accepting and delivering entries written afterwards,
// through it or another logger.
func TestOwnership(t *testing.T) {
	c := startCluster(t)

	t.Run("New owns", func(t *testing.T) {
		c.CreateTopic(t, "owned", 1)
		cfg := config(t, c)
		cfg.Topic = "owned"
		w := newWriter(t, cfg)
		log := zerolog.New(w)
		log.Info().Msg("before close")
		if err := w.Close(); err != nil {
			t.Fatalf("Close: got %v, want nil", err)
		}
		equalStrings(t, "topic owned", kafkatest.Values(c.ReadAll(t, "owned")), []string{`{"level":"info","message":"before close"}`})
		if err := w.Sink().Write(core.Entry{JSON: []byte(`{"message":"direct"}`)}); !errors.Is(err, core.ErrClosed) {
			t.Errorf("the sink's Write after Close: got %v, want ErrClosed (the Writer closed the sink it owns)", err)
		}
		log.Info().Msg("after close")
		if st := w.Sink().Stats(); st.Delivered != 1 || st.Dropped.Closed != 2 {
			t.Errorf("got Delivered %d, Dropped.Closed %d; want 1, 2", st.Delivered, st.Dropped.Closed)
		}
	})

	t.Run("NewWriter borrows", func(t *testing.T) {
		c.CreateTopic(t, "borrowed", 1)
		cfg := config(t, c)
		cfg.Topic = "borrowed"
		s, err := core.New(cfg)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = s.Close(context.Background()) })
		w := zerologsink.NewWriter(s)
		log := zerolog.New(w)
		other := zerolog.New(zerologsink.NewWriter(s)) // a second logger on the same sink

		exits := 0
		old := zerolog.FatalExitFunc
		zerolog.FatalExitFunc = func() { exits++ }
		t.Cleanup(func() { zerolog.FatalExitFunc = old })

		log.Info().Msg("one")
		log.Fatal().Msg("fatal") // Logger.Fatal closes the Writer, then exits
		if exits != 1 {
			t.Fatalf("FatalExitFunc: got %d calls, want 1", exits)
		}
		equalStrings(t, "after Fatal", kafkatest.Values(c.ReadAll(t, "borrowed")), []string{
			`{"level":"info","message":"one"}`,
			`{"level":"fatal","message":"fatal"}`,
		})
		log.Info().Msg("two") // the borrowed Writer still writes
		other.Info().Msg("three")
		if err := w.Close(); err != nil {
			t.Fatalf("Close: got %v, want nil", err)
		}
		equalStrings(t, "after Close", kafkatest.Values(c.ReadAll(t, "borrowed")), []string{
			`{"level":"info","message":"one"}`,
			`{"level":"fatal","message":"fatal"}`,
			`{"level":"info","message":"two"}`,
			`{"level":"info","message":"three"}`,
		})
		if st := s.Stats(); st.Dropped.Total() != 0 || st.Delivered != 4 {
			t.Errorf("got Delivered %d, Dropped %+v; want 4 and none", st.Delivered, st.Dropped)
		}

		// The owner closes the sink; the borrowed Writer then says nothing.
		testutil.CloseOwned(t, s)
		if err := w.Close(); err != nil {
			t.Errorf("Close of a borrowed Writer after the owner closed the sink: got %v, want nil", err)
		}
	})

	t.Run("NewWriter Close waits up to SyncTimeout", func(t *testing.T) {
		testutil.CheckBorrowedCloseWaits(t, "Writer", core.Config{ErrorHandler: func(error) {}, Fallback: io.Discard}, func(s *core.Sink) func() error {
			w := zerologsink.NewWriter(s)
			log := zerolog.New(w)
			log.Info().Msg("never delivered")
			return w.Close
		})
	})
}
