package testutil

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/kafkasink/kafkasink/core"
)

// CloseOwned closes s as the owner of a sink that adapters borrow does,
// with s's SyncTimeout as the deadline, failing t if Close fails.
func CloseOwned(t testing.TB, s *core.Sink) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), s.Config().SyncTimeout)
	defer cancel()
	if err := s.Close(ctx); err != nil {
		t.Fatalf("the owner's Close: got %v, want nil", err)
	}
}

// CheckBorrowedCloseWaits checks the Close of an adapter that borrows a
// sink which cannot deliver: Close waits up to the sink's SyncTimeout,
// then reports the one entry logged through the adapter as undelivered,
// with context.DeadlineExceeded, and leaves the sink open, the entry still
// queued.
//
// The sink is built from cfg with Brokers set to an address where nothing
// listens and SyncTimeout to 50ms, and closed when the test ends. borrow
// attaches the adapter (named adapter in the failures: "Core", "Writer")
// to the sink, logs one entry through it and returns the adapter's Close.
func CheckBorrowedCloseWaits(t *testing.T, adapter string, cfg core.Config, borrow func(s *core.Sink) (closeAdapter func() error)) {
	t.Helper()
	cfg.Brokers = []string{Unreachable(t)}
	cfg.SyncTimeout = 50 * time.Millisecond
	s, err := core.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithCancel(context.Background())
		cancel() // nothing can be delivered
		_ = s.Close(ctx)
	})
	closeAdapter := borrow(s)
	err = closeAdapter()
	var ue *core.UndeliveredError
	if !errors.As(err, &ue) || ue.Count != 1 || !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Close: got %v, want an UndeliveredError of 1 entry and context.DeadlineExceeded", err)
	}
	if err := s.Write(core.Entry{JSON: []byte(`{}`)}); err != nil {
		t.Errorf("the sink's Write after a borrowed %s's Close: got %v, want nil (still open)", adapter, err)
	}
	if st := s.Stats(); st.Dropped.Closed != 0 || st.QueueDepth != 2 {
		t.Errorf("got Dropped.Closed %d, QueueDepth %d; want 0, 2 (the sink keeps both)", st.Dropped.Closed, st.QueueDepth)
	}
}
