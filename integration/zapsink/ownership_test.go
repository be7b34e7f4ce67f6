package zapsink_test

import (
	"context"
	"errors"
	"slices"
	"testing"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"

	"github.com/kafkasink/kafkasink/core"
	"github.com/kafkasink/kafkasink/integration/internal/testutil"
	"github.com/kafkasink/kafkasink/integration/kafkatest"
	"github.com/kafkasink/kafkasink/zapsink"
)

// TestOwnership checks who closes what: a Core from New owns its sink and
// its Close closes it; a Core from NewCore borrows one, and its Close and
// Sync deliver what is queued and leave the sink open, accepting and
// delivering entries logged afterwards, through it or another logger.
func TestOwnership(t *testing.T) {
	c := kafkatest.Start(t)

	t.Run("New owns", func(t *testing.T) {
		c.CreateTopic(t, "owned", 1)
		cfg := testutil.Quiet(t, c)
		cfg.Topic = "owned"
		kc := newCore(t, zapsink.Config{Sink: cfg})
		logger := zap.New(kc)
		logger.Info("before close")
		if err := kc.With([]zapcore.Field{zap.Int("child", 1)}).(*zapsink.Core).Close(); err != nil { // a derived Core closes the sink too
			t.Fatalf("Close: got %v, want nil", err)
		}
		if got, want := testutil.Messages(t, c.ReadAll(t, "owned")), []string{"before close"}; !slices.Equal(got, want) {
			t.Errorf("after Close: got messages %q in Kafka, want %q", got, want)
		}
		if err := kc.Sink().Write(core.Entry{JSON: []byte(`{"msg":"direct"}`)}); !errors.Is(err, core.ErrClosed) {
			t.Errorf("the sink's Write after Close: got %v, want ErrClosed (the Core closed the sink it owns)", err)
		}
		logger.Info("after close")
		if st := kc.Sink().Stats(); st.Delivered != 1 || st.Dropped.Closed != 2 {
			t.Errorf("got Delivered %d, Dropped.Closed %d; want 1, 2", st.Delivered, st.Dropped.Closed)
		}
	})

	t.Run("NewCore borrows", func(t *testing.T) {
		c.CreateTopic(t, "borrowed", 1)
		cfg := testutil.Quiet(t, c)
		cfg.Topic = "borrowed"
		s, err := core.New(cfg)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = s.Close(context.Background()) })
		enc := zapcore.NewJSONEncoder(zap.NewProductionEncoderConfig())
		kc := zapsink.NewCore(s, enc, zapcore.InfoLevel)
		other := zap.New(zapsink.NewCore(s, enc.Clone(), zapcore.InfoLevel)) // a second logger on the same sink
		logger := zap.New(kc)

		logger.Info("one")
		if err := kc.Close(); err != nil {
			t.Fatalf("Close: got %v, want nil", err)
		}
		if got, want := testutil.Messages(t, c.ReadAll(t, "borrowed")), []string{"one"}; !slices.Equal(got, want) {
			t.Fatalf("after Close: got messages %q in Kafka, want %q (Close flushes)", got, want)
		}
		logger.Info("two") // the borrowed Core still writes
		other.Info("three")
		if err := logger.Sync(); err != nil {
			t.Fatalf("Sync: got %v, want nil", err)
		}
		if err := kc.Close(); err != nil {
			t.Fatalf("second Close: got %v, want nil", err)
		}
		if got, want := testutil.Messages(t, c.ReadAll(t, "borrowed")), []string{"one", "two", "three"}; !slices.Equal(got, want) {
			t.Fatalf("after Sync: got messages %q in Kafka, want %q", got, want)
		}
		if st := s.Stats(); st.Dropped.Total() != 0 || st.Delivered != 3 {
			t.Errorf("got Delivered %d, Dropped %+v; want 3 and none", st.Delivered, st.Dropped)
		}

		// The owner closes the sink; the borrowed Core then says nothing.
		testutil.CloseOwned(t, s)
		if err := kc.Close(); err != nil {
			t.Errorf("Close of a borrowed Core after the owner closed the sink: got %v, want nil", err)
		}
		if err := logger.Sync(); err != nil {
			t.Errorf("Sync after the owner closed the sink: got %v, want nil", err)
		}
	})

	t.Run("NewCore Close waits up to SyncTimeout", func(t *testing.T) {
		testutil.CheckBorrowedCloseWaits(t, "Core", core.Config{ErrorHandler: testutil.ErrorLog(t)}, func(s *core.Sink) func() error {
			kc := zapsink.NewCore(s, zapcore.NewJSONEncoder(zap.NewProductionEncoderConfig()), zapcore.InfoLevel)
			zap.New(kc).Info("never delivered")
			return kc.Close
		})
	})

	t.Run("NewCore nil sink", func(t *testing.T) {
		defer func() {
			if recover() == nil {
				t.Error("NewCore(nil, …): got no panic, want one")
			}
		}()
		zapsink.NewCore(nil, zapcore.NewJSONEncoder(zap.NewProductionEncoderConfig()), zapcore.InfoLevel)
	})
}
