package core

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/kafkasink/kafkasink/internal/goid"
)

// Close flushes the sink, stops its goroutines and releases its
// connections, and returns by ctx's deadline whatever the brokers or the
// callbacks do.
//
// Close delivers until shortly before the deadline (a tenth of the time
// left, at most 100ms), then drops what is still undelivered (counted as
// Dropped.Closed) and hands it to the Fallback and the ErrorHandler, which
// have until shortly before the deadline (a quarter of the time kept) to
// catch up with everything dropped so far. It
// returns nil if every entry accepted before Close was delivered;
// otherwise an [*UndeliveredError] with the number of those that were not,
// those dropped earlier included (entries in flight when delivery stops
// count as undelivered, though Kafka may have them). If ctx is cancelled
// before its deadline, or has none, Close keeps 100ms after the
// cancellation for the same steps; with a context that is never cancelled,
// such as context.Background(), Close waits for as long as delivery (up to
// RetryTimeLimit) and the callbacks take.
//
// In durable mode (SpoolDir), Close first writes what is still in memory
// to the spool and syncs it; then, at the same point, instead of dropping
// what is undelivered, it leaves the entries that are on disk there, for
// the next sink opened on SpoolDir to deliver (not counted as dropped:
// they stay in Stats.QueueDepth), and drops only those the spool could
// not take (kept in memory only). Its error then also holds an
// UndeliveredError whose Err is [ErrLeftInSpool], with their number.
// Entries whose request was in flight at that point are left too, as
// their outcome is unknown: the next sink may send them again.
//
// If an ErrorHandler, Fallback, decider or Formatter call is still running
// at the deadline, Close does not wait for it: its error then also holds
// an [*AbandonedError] (errors.Is(err, ErrCallbackBlocked)) that says what
// was left behind, and the goroutine stuck in the callback keeps running
// until the callback returns. So does it when the Fallback or the
// ErrorHandler has not caught up with what was dropped by shortly before
// the deadline: what was not written to the Fallback is counted in
// Stats.FallbackDropped. Only the sink's own work, dropping and counting
// what is left, may take Close past its deadline, by at most 100ms, and
// only on a machine too loaded to do it in the time kept for it.
//
// A Close called while another runs waits for it, or for its own ctx to
// end (it then returns ctx.Err()); later calls return what the first
// returned. A Close called from a callback (an ErrorHandler, a decider…)
// cannot wait for the goroutine it runs on: it starts closing, returns
// [ErrCloseInCallback] at once, and the sink closes, with ctx's time, once
// the callback has returned. Write, after Close has been called, counts the entry as
// dropped and returns ErrClosed.
func (s *Sink) Close(ctx context.Context) error {
	inCallback := s.onOwnGoroutine()
	if s.closing.CompareAndSwap(false, true) {
		closeSink := func() {
			s.closeErr = s.close(ctx)
			close(s.closeDone)
		}
		if inCallback {
			// Waiting would wait for the very goroutine that called:
			// close in the background, once the callback has returned.
			go closeSink()
			return ErrCloseInCallback
		}
		closeSink()
		return s.closeErr
	}
	select {
	case <-s.closeDone:
		return s.closeErr
	default:
	}
	if inCallback {
		return ErrCloseInCallback
	}
	select {
	case <-s.closeDone:
		return s.closeErr
	case <-ctx.Done():
		return ctx.Err()
	}
}

// onOwnGoroutine reports whether the caller runs on the batcher's or the
// reporter's goroutine: inside a callback.
func (s *Sink) onOwnGoroutine() bool {
	g := goid.ID()
	return g == s.b.gid.Load() || g == s.rep.gid.Load()
}

// closeGrace bounds the time Close keeps, once its context is cancelled,
// for dropping and reporting what is left; before a deadline, the time it
// keeps back from delivery for that; and past the deadline, how long it
// waits for its own goroutines to finish their own work (dropping what
// they hold: quick, unless the machine is overloaded), so that nothing is
// lost uncounted.
const closeGrace = 100 * time.Millisecond

func (s *Sink) close(ctx context.Context) error {
	w := s.q.addWaiter(true)
	t := newCloseTimes(ctx)
	defer t.release()
	delivered := s.q.await(t.deliver, w)

	// The batcher drops what is left (or leaves it in the spool) and hands
	// it to the reporter, which writes and reports meanwhile; the reporter
	// has until quit to catch up, and until hard to stop.
	inSpool, abandoned := s.b.end(!delivered, t.hard.Done(), t.late.Done())
	pending, dropped := s.q.endWait(w)
	var errs []error
	if pending+dropped > 0 {
		err := ErrDropped
		if !delivered {
			err = ctx.Err()
			if err == nil {
				err = context.DeadlineExceeded
			}
		}
		// pending is what the spool keeps, or what the abandoned batcher
		// still holds and drops when its callback returns.
		if stays := min(inSpool, pending); stays > 0 {
			if n := pending + dropped - stays; n > 0 {
				errs = append(errs, &UndeliveredError{Count: n, Err: err})
			}
			errs = append(errs, &UndeliveredError{Count: stays, Err: ErrLeftInSpool})
		} else {
			errs = append(errs, &UndeliveredError{Count: pending + dropped, Err: err})
		}
	}
	if abandoned != nil {
		errs = append(errs, abandoned)
	}
	if s.spool != nil {
		if abandoned == nil {
			s.b.stopSync()
			if err := s.spool.close(); err != nil {
				errs = append(errs, &SpoolError{Op: "close", Err: err})
			}
			s.b.publishSpool() // the batcher has stopped: its figures are final
		} else {
			// The batcher, or its spool writer stuck in a write, still
			// uses the spool: close it (and release its lock) once they
			// stop. What they have written stays for the next sink.
			go func() {
				<-s.b.done
				s.b.stopSync()
				s.spool.close()
			}()
		}
		s.q.abandonWaiters()
	}
	s.q.releaseFills()
	if err := s.rep.close(t.quit.Done(), t.hard.Done(), t.late.Done()); err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

// closeTimes are the ends of Close's steps. Delivery runs until deliver
// ends; the batcher then drops what is left, and the reporter writes and
// reports, until quit; at hard, Close returns, leaving behind a goroutine
// still in a callback. With a deadline D and r = min(a tenth of the time
// left, closeGrace), deliver ends at D−r, quit at D−r/4, hard at D. Once
// ctx is cancelled, quit and hard end at the latest ¾·closeGrace and
// closeGrace later.
type closeTimes struct {
	deliver, quit, hard context.Context
	late                context.Context // closeGrace after hard: the end of the sink's own work

	mu        sync.Mutex
	cancels   []context.CancelFunc
	timers    []*time.Timer
	after     func() bool
	afterHard func() bool
}

func newCloseTimes(ctx context.Context) *closeTimes {
	t := &closeTimes{deliver: ctx}
	quit, hard := context.WithoutCancel(ctx), context.WithoutCancel(ctx)
	if d, ok := ctx.Deadline(); ok {
		r := min(time.Until(d)/10, closeGrace)
		t.deliver = t.keep(context.WithDeadline(ctx, d.Add(-r)))
		quit = t.keep(context.WithDeadline(quit, d.Add(-r/4)))
		hard = t.keep(context.WithDeadline(hard, d))
	}
	var endQuit, endHard context.CancelFunc
	t.quit, endQuit = context.WithCancel(quit)
	t.hard, endHard = context.WithCancel(hard)
	var endLate context.CancelFunc
	t.late, endLate = context.WithCancel(context.WithoutCancel(ctx))
	t.cancels = append(t.cancels, endQuit, endHard, endLate)
	t.timers = []*time.Timer{} // nil once released
	t.afterHard = context.AfterFunc(t.hard, func() {
		t.mu.Lock()
		defer t.mu.Unlock()
		if t.timers != nil {
			t.timers = append(t.timers, time.AfterFunc(closeGrace, endLate))
		}
	})
	t.after = context.AfterFunc(ctx, func() {
		t.mu.Lock()
		defer t.mu.Unlock()
		if t.timers != nil { // released
			t.timers = append(t.timers, time.AfterFunc(closeGrace*3/4, endQuit), time.AfterFunc(closeGrace, endHard))
		}
	})
	return t
}

func (t *closeTimes) keep(ctx context.Context, cancel context.CancelFunc) context.Context {
	t.cancels = append(t.cancels, cancel)
	return ctx
}

// release stops the timers and frees the contexts.
func (t *closeTimes) release() {
	t.after()
	t.afterHard()
	t.mu.Lock()
	for _, tm := range t.timers {
		tm.Stop()
	}
	t.timers = nil
	t.mu.Unlock()
	for _, c := range t.cancels {
		c()
	}
}
