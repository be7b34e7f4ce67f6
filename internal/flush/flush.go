// Package flush is how the adapters flush the sink they write to: with
// the sink's SyncTimeout, a closed sink being no error.
package flush

import (
	"context"
	"errors"
	"time"

	"github.com/kafkasink/kafkasink/core"
)

// Sync flushes s, waiting up to timeout. It returns Flush's error (a
// [*core.UndeliveredError]: entries still pending at the timeout, or
// dropped since New), or nil if s is closed: its owner closed it, and
// counted what it could not deliver.
func Sync(s *core.Sink, timeout time.Duration) error {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	if err := s.Flush(ctx); !errors.Is(err, core.ErrClosed) {
		return err
	}
	return nil
}

// Pending is Sync, after an entry that must be out before the logger
// panics or exits (DPanic, Panic, Fatal): an error only for entries still
// pending at the timeout. The entries dropped since New, which Flush
// counts too, were counted and reported when they were dropped; returning
// them would make the logger print an error for every such entry after a
// single drop.
func Pending(s *core.Sink, timeout time.Duration) error {
	if err := Sync(s, timeout); !errors.Is(err, core.ErrDropped) {
		return err
	}
	return nil
}
