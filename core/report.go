package core

import (
	"fmt"
	"os"
	"sync"
	"time"
)

// DropError reports entries the sink dropped, to Config.ErrorHandler.
type DropError struct {
	Reason DropReason // why
	Count  int        // how many entries
	Err    error      // the cause, if any
}

func (e *DropError) Error() string {
	if e.Err == nil {
		return fmt.Sprintf("kafkasink: dropped %d entries: %v", e.Count, e.Reason)
	}
	return fmt.Sprintf("kafkasink: dropped %d entries: %v: %v", e.Count, e.Reason, e.Err)
}

func (e *DropError) Unwrap() error { return e.Err }

// ProduceError reports a failed produce request to Config.ErrorHandler.
// The records are retried unless a DropError follows.
type ProduceError struct {
	Topic     string
	Partition int32 // -1 for a metadata request
	Records   int   // how many records the request carried
	Err       error
}

func (e *ProduceError) Error() string {
	if e.Partition < 0 {
		return fmt.Sprintf("kafkasink: metadata for topic %q: %v", e.Topic, e.Err)
	}
	return fmt.Sprintf("kafkasink: produce %d records to %s[%d]: %v", e.Records, e.Topic, e.Partition, e.Err)
}

func (e *ProduceError) Unwrap() error { return e.Err }

// FallbackError reports a failed write to Config.Fallback.
type FallbackError struct{ Err error }

func (e *FallbackError) Error() string { return "kafkasink: fallback write: " + e.Err.Error() }
func (e *FallbackError) Unwrap() error { return e.Err }

// reporter passes background errors to the ErrorHandler. Without one, it
// prints to stderr at most one line per reportInterval and sums up what it
// held back in the next line (or, if none comes, one interval later), so
// that an outage can neither flood stderr nor slow the sink down. A drop
// that is held back costs no allocation.
type reporter struct {
	handler func(error)
	c       *counters

	mu         sync.Mutex
	last       time.Time
	suppressed int
	drops      [numReasons]int // held back since the last line
	timer      *time.Timer     // prints what is held back

	handlerLast [numReasons]time.Time // when drops of each reason last went to the ErrorHandler
}

const reportInterval = time.Second

func newReporter(h func(error), c *counters) *reporter {
	return &reporter{handler: h, c: c}
}

func (r *reporter) report(err error) {
	r.c.setErr(err)
	if r.handler != nil {
		r.handler(err)
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	now := time.Now()
	if now.Sub(r.last) < reportInterval {
		r.suppressed++
		r.scheduleLocked(now)
		return
	}
	r.printLocked(err.Error(), now)
}

func (r *reporter) drop(reason DropReason, n int, cause error) {
	if r.handler != nil {
		if reason == ReasonQueueFull || reason == ReasonShed {
			r.dropToHandler(reason, n)
			return
		}
		err := &DropError{Reason: reason, Count: n, Err: cause}
		r.c.setErr(err)
		r.handler(err)
		return
	}
	r.c.setDrop(reason, n, cause)
	r.mu.Lock()
	defer r.mu.Unlock()
	now := time.Now()
	if now.Sub(r.last) < reportInterval {
		r.drops[reason] += n
		r.scheduleLocked(now)
		return
	}
	r.printLocked((&DropError{Reason: reason, Count: n, Err: cause}).Error(), now)
}

// dropToHandler reports the drops of Write (queue full, shed), which come
// one entry at a time and as fast as the application logs, to the
// ErrorHandler at most once per reportInterval and reason, summed up.
func (r *reporter) dropToHandler(reason DropReason, n int) {
	r.c.setDrop(reason, n, nil)
	r.mu.Lock()
	now := time.Now()
	if now.Sub(r.handlerLast[reason]) < reportInterval {
		r.drops[reason] += n
		r.scheduleLocked(now)
		r.mu.Unlock()
		return
	}
	n += r.drops[reason]
	r.drops[reason] = 0
	r.handlerLast[reason] = now
	r.mu.Unlock()
	r.handler(&DropError{Reason: reason, Count: n})
}

// scheduleLocked makes sure what is held back gets printed once the
// interval has passed, even if nothing else happens.
func (r *reporter) scheduleLocked(now time.Time) {
	if r.timer == nil {
		r.timer = time.AfterFunc(reportInterval, r.printHeldBack)
	}
}

func (r *reporter) printHeldBack() {
	if r.handler != nil {
		r.handOverHeldBack()
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.timer = nil
	if s := r.heldBackLocked(); s != "" {
		r.last = time.Now()
		fmt.Fprintln(os.Stderr, "kafkasink: "+s)
	}
}

// printLocked prints msg and what was held back since the last line.
func (r *reporter) printLocked(msg string, now time.Time) {
	line := msg
	if s := r.heldBackLocked(); s != "" {
		line += " (since the last report: " + s + ")"
	}
	r.last = now
	fmt.Fprintln(os.Stderr, line)
}

func (r *reporter) heldBackLocked() string {
	s := ""
	for reason, n := range r.drops {
		if n > 0 {
			if s != "" {
				s += ", "
			}
			s += fmt.Sprintf("dropped %d entries: %v", n, DropReason(reason))
			r.drops[reason] = 0
		}
	}
	if r.suppressed > 0 {
		if s != "" {
			s += ", "
		}
		s += fmt.Sprintf("%d more errors", r.suppressed)
		r.suppressed = 0
	}
	return s
}

// handOverHeldBack passes the drops held back to the ErrorHandler.
func (r *reporter) handOverHeldBack() {
	r.mu.Lock()
	if r.timer != nil {
		r.timer.Stop()
		r.timer = nil
	}
	var held []*DropError
	now := time.Now()
	for reason, n := range r.drops {
		if n > 0 {
			held = append(held, &DropError{Reason: DropReason(reason), Count: n})
			r.drops[reason] = 0
			r.handlerLast[reason] = now
		}
	}
	r.mu.Unlock()
	for _, err := range held {
		r.handler(err)
	}
}

// flush reports what is held back, if anything. Close calls it.
func (r *reporter) flush() {
	if r.handler != nil {
		r.handOverHeldBack()
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.timer != nil {
		r.timer.Stop()
		r.timer = nil
	}
	if s := r.heldBackLocked(); s != "" {
		r.last = time.Now()
		fmt.Fprintln(os.Stderr, "kafkasink: "+s)
	}
}
