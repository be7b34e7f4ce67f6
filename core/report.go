package core

import (
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/kafkasink/kafkasink/internal/goid"
)

// DropError reports entries the sink dropped, to Config.ErrorHandler.
type DropError struct {
	Reason DropReason // why
	Count  int        // how many entries
	Err    error      // the cause, if any
}

// Error says how many entries were dropped, why, and the cause if any.
func (e *DropError) Error() string {
	if e.Err == nil {
		return fmt.Sprintf("kafkasink: dropped %d entries: %v", e.Count, e.Reason)
	}
	return fmt.Sprintf("kafkasink: dropped %d entries: %v: %v", e.Count, e.Reason, e.Err)
}

// Unwrap returns Err, the cause.
func (e *DropError) Unwrap() error { return e.Err }

// ProduceError reports a failed produce request to Config.ErrorHandler.
// The records are retried unless a DropError follows.
type ProduceError struct {
	Topic     string
	Partition int32 // -1 for a metadata request
	Records   int   // how many records the request carried
	Err       error
}

// Error names the request that failed (topic, partition, records) and
// the cause.
func (e *ProduceError) Error() string {
	if e.Partition < 0 {
		return fmt.Sprintf("kafkasink: metadata for topic %q: %v", e.Topic, e.Err)
	}
	return fmt.Sprintf("kafkasink: produce %d records to %s[%d]: %v", e.Records, e.Topic, e.Partition, e.Err)
}

// Unwrap returns Err, kafka-go's error.
func (e *ProduceError) Unwrap() error { return e.Err }

// FallbackError reports failed writes to Config.Fallback. Count is how
// many entries failed since the last FallbackError (they are counted in
// Stats.FallbackDropped); Err is the first error among them.
type FallbackError struct {
	Count int
	Err   error
}

// Error says how many entries the Fallback failed to take, and the first
// error.
func (e *FallbackError) Error() string {
	if e.Count > 1 {
		return fmt.Sprintf("kafkasink: fallback write failed for %d entries: %v", e.Count, e.Err)
	}
	return "kafkasink: fallback write: " + e.Err.Error()
}

// Unwrap returns Err, the first error of the Fallback's Write.
func (e *FallbackError) Unwrap() error { return e.Err }

// SuppressedError tells Config.ErrorHandler that Count errors were not
// passed to it, because it could not keep up: more than a few hundred were
// waiting for it at once.
type SuppressedError struct{ Count int }

// Error says how many errors were not reported.
func (e *SuppressedError) Error() string {
	return fmt.Sprintf("kafkasink: %d errors not reported: the ErrorHandler could not keep up", e.Count)
}

// reporter is the sink's goroutine for user code with side effects: it
// passes background errors and drops to the ErrorHandler (or prints them
// to stderr) and writes dropped entries to the Fallback. Everyone else
// only notes what happened, into bounded buffers, and wakes it: so a slow,
// blocked or re-entrant callback can never stall a log call, the batcher,
// or a lock holder, and Close can leave it behind.
//
// Drops that come as fast as the application logs (queue full, shed, and
// Write's other refusals) are summed up and reported at most once per
// reportInterval and reason. Other errors are passed one by one, up to
// maxPendingReports waiting; the rest are counted and summed up in a
// [SuppressedError]. Without an ErrorHandler, the reporter prints at most
// one line per reportInterval to stderr and sums up what it held back.
type reporter struct {
	handler func(error) // nil: lines on stderr
	fbw     io.Writer   // the Fallback; nil if none
	c       *counters
	stderr  io.Writer

	bulk  [numReasons]atomic.Int64 // drops summed up, not yet collected
	poked atomic.Bool              // wake holds a token or the reporter is about to look
	wake  chan struct{}

	mu         sync.Mutex
	errs       []error // waiting for the ErrorHandler
	suppressed int     // errors that did not fit in errs
	fb         []byte  // entries waiting for the Fallback, back to back
	fbEnds     []int   // where each ends in fb
	fbSpare    []byte  // the other buffer, while the goroutine is not writing it
	endsSpare  []int
	fbLimit    int  // the most bytes fb may hold (unless it holds one entry)
	stopped    bool // the goroutine is gone or going: count, do not queue

	unwritten atomic.Int64           // entries queued for the Fallback and not yet written
	inCall    atomic.Pointer[string] // the name of the callback running now; nil if none
	gid       atomic.Uint64          // the reporter goroutine's id, for Close called from a callback

	stop chan struct{} // Close: deliver what is left, then stop
	quit chan struct{} // Close gave up: stop after the current call
	done chan struct{}

	// The goroutine's own state.
	held       [numReasons]int       // summed-up drops waiting for their interval
	heldLast   [numReasons]time.Time // when drops of each reason were last reported
	lastLine   time.Time             // the last stderr line
	lineDrops  [numReasons]int
	lineErrs   int
	fbFailed   int // Fallback failures not reported yet
	fbFirstErr error
	fbLastRep  time.Time
	panics     int
}

const (
	reportInterval    = time.Second
	maxPendingReports = 256
	// The Fallback's two buffers are each an eighth of QueueByteLimit,
	// within these.
	minFallbackBuffer = 64 << 10
	maxFallbackBuffer = 4 << 20
)

func newReporter(cfg *resolved, c *counters) *reporter {
	r := &reporter{
		handler: cfg.ErrorHandler,
		fbw:     cfg.Fallback,
		c:       c,
		stderr:  os.Stderr,
		wake:    make(chan struct{}, 1),
		fbLimit: min(maxFallbackBuffer, max(minFallbackBuffer, cfg.QueueByteLimit/8)),
		stop:    make(chan struct{}),
		quit:    make(chan struct{}),
		done:    make(chan struct{}),
	}
	return r
}

// poke wakes the goroutine unless it is already due to look.
func (r *reporter) poke() {
	if !r.poked.Load() && r.poked.CompareAndSwap(false, true) {
		select {
		case r.wake <- struct{}{}:
		default:
		}
	}
}

// noteBulkDrop notes n drops that are summed up.
func (r *reporter) noteBulkDrop(reason DropReason, n int) {
	r.bulk[reason].Add(int64(n))
	r.poke()
}

// noteDrop notes n drops for the ErrorHandler, with their cause.
func (r *reporter) noteDrop(reason DropReason, n int, cause error) {
	r.c.setDrop(reason, n, cause)
	r.queue(&DropError{Reason: reason, Count: n, Err: cause})
}

// report notes a background error for the ErrorHandler.
func (r *reporter) report(err error) {
	r.c.setErr(err)
	r.queue(err)
}

func (r *reporter) queue(err error) {
	r.mu.Lock()
	switch {
	case r.stopped:
	case len(r.errs) < maxPendingReports:
		r.errs = append(r.errs, err)
	default:
		r.suppressed++
	}
	r.mu.Unlock()
	r.poke()
}

// fallback copies the JSON of n dropped entries, data(i) each, for the
// Fallback. What does not fit is counted in Stats.FallbackDropped.
func (r *reporter) fallback(n int, data func(i int) []byte) {
	if r.fbw == nil {
		return
	}
	lost := 0
	r.mu.Lock()
	for i := range n {
		d := data(i)
		if r.stopped || len(r.fb)+len(d)+1 > r.fbLimit && len(r.fb) > 0 {
			lost++
			continue
		}
		if r.fb == nil {
			r.fb = make([]byte, 0, max(r.fbLimit, len(d)+1))
		}
		r.fb = append(append(r.fb, d...), '\n')
		r.fbEnds = append(r.fbEnds, len(r.fb))
	}
	// Under mu: the reporter claims an entry from unwritten as soon as it
	// can see it in the buffer.
	queued := n - lost
	r.unwritten.Add(int64(queued))
	r.mu.Unlock()
	if lost > 0 {
		r.c.fallbackDropped.Add(uint64(lost))
	}
	if queued > 0 {
		r.poke()
	}
}

// countOnly accounts for drops that nobody will hear of: Write after Close
// calls nothing, but the entry never reaches the Fallback either.
func (r *reporter) countOnly(n int) {
	if r.fbw != nil {
		r.c.fallbackDropped.Add(uint64(n))
	}
}

// run is the reporter's goroutine.
func (r *reporter) run() {
	r.gid.Store(goid.ID())
	defer close(r.done)
	timer := time.NewTimer(time.Hour)
	timer.Stop()
	defer timer.Stop()
	for {
		select {
		case <-r.wake:
		case <-timer.C:
		case <-r.stop:
			r.finish()
			return
		}
		if next := r.deliver(false); !next.IsZero() {
			timer.Reset(time.Until(next))
		}
	}
}

// finish delivers everything, held-back summaries included, then stops
// taking notes and delivers what came in meanwhile.
func (r *reporter) finish() {
	r.deliver(true)
	r.mu.Lock()
	r.stopped = true
	r.mu.Unlock()
	r.deliver(true)
}

// deliver hands over what is waiting, until nothing is. With all, it also
// hands over the summed-up drops and the stderr summary held back for
// their interval; otherwise it returns when the next of those is due (zero
// if none).
func (r *reporter) deliver(all bool) (next time.Time) {
	var errs []error
	for {
		r.poked.Store(false)
		r.mu.Lock()
		errs, r.errs = r.errs, errs[:0]
		var fb []byte
		var ends []int
		if len(r.fbEnds) > 0 { // swap buffers: writers fill the spare meanwhile
			fb, ends = r.fb, r.fbEnds
			r.fb, r.fbEnds, r.fbSpare, r.endsSpare = r.fbSpare, r.endsSpare, nil, nil
		}
		suppressed := r.suppressed
		r.suppressed = 0
		r.mu.Unlock()
		collected := false
		for reason := range r.bulk {
			if n := r.bulk[reason].Swap(0); n > 0 {
				r.held[reason] += int(n)
				r.c.setDrop(DropReason(reason), int(n), nil)
				collected = true
			}
		}
		if len(errs) == 0 && len(ends) == 0 && suppressed == 0 && !collected {
			break
		}
		for i, err := range errs {
			if r.quitting() {
				break
			}
			r.emit(err)
			errs[i] = nil
		}
		if suppressed > 0 {
			r.emit(&SuppressedError{Count: suppressed})
		}
		if len(ends) > 0 {
			r.writeFallback(fb, ends)
			r.mu.Lock()
			if cap(fb) <= r.fbLimit { // else it held one large entry: let it go
				r.fbSpare, r.endsSpare = fb[:0], ends[:0]
			}
			r.mu.Unlock()
		}
		if r.quitting() {
			r.discard()
			return time.Time{}
		}
	}
	return r.deliverHeld(all)
}

// deliverHeld reports the summed-up drops whose interval has passed (all
// of them, with all), and what the stderr printer held back. It returns
// when the next is due.
func (r *reporter) deliverHeld(all bool) (next time.Time) {
	now := time.Now()
	due := func(at time.Time) bool {
		if all || now.Sub(at) >= reportInterval {
			return true
		}
		if t := at.Add(reportInterval); next.IsZero() || t.Before(next) {
			next = t
		}
		return false
	}
	for reason, n := range r.held {
		if n > 0 && due(r.heldLast[reason]) {
			r.held[reason] = 0
			r.heldLast[reason] = now
			r.emit(&DropError{Reason: DropReason(reason), Count: n})
		}
	}
	if r.fbFailed > 0 && due(r.fbLastRep) {
		err := &FallbackError{Count: r.fbFailed, Err: r.fbFirstErr}
		r.fbFailed, r.fbFirstErr, r.fbLastRep = 0, nil, now
		r.emit(err)
	}
	if r.handler == nil && r.heldLine() && due(r.lastLine) {
		r.printLine("")
	}
	return next
}

// emit passes err to the ErrorHandler, or prints it.
func (r *reporter) emit(err error) {
	if r.handler == nil {
		r.printErr(err)
		return
	}
	r.call(&nameErrorHandler, func() { r.handler(err) })
}

// The names of the reporter's callbacks, for Close's AbandonedError.
var (
	nameErrorHandler = "ErrorHandler"
	nameFallback     = "Fallback"
	nameStderr       = "stderr"
)

// call runs user code fn, named *name, recovering a panic.
func (r *reporter) call(name *string, fn func()) (panicked any) {
	r.inCall.Store(name)
	defer func() {
		r.inCall.Store(nil)
		if v := recover(); v != nil {
			panicked = v
			r.panics++
			if r.panics <= 3 { // a handler that always panics must not flood stderr
				fmt.Fprintf(r.stderr, "kafkasink: %s panicked: %v\n", *name, v)
			}
		}
	}()
	fn()
	return nil
}

// writeFallback writes the entries of fb, each ending with a newline, one
// Write each. Each entry is claimed from unwritten before it is written:
// once Close has given up on the reporter and taken what is unwritten (to
// count it as FallbackDropped), there is nothing left to claim, and every
// entry is counted once, written or dropped.
func (r *reporter) writeFallback(fb []byte, ends []int) {
	start := 0
	for _, end := range ends {
		if r.quitting() {
			return // what is left is counted by Close or discard
		}
		if r.unwritten.Add(-1) < 0 {
			r.unwritten.Add(1) // not ours: Close counted it
			return
		}
		line := fb[start:end:end]
		start = end
		var err error
		if v := r.call(&nameFallback, func() { _, err = r.fbw.Write(line) }); v != nil {
			err = fmt.Errorf("panic: %v", v)
		}
		if err != nil {
			r.c.fallbackDropped.Add(1)
			if r.fbFailed == 0 {
				r.fbFirstErr = err
			}
			r.fbFailed++
		}
	}
}

func (r *reporter) quitting() bool {
	select {
	case <-r.quit:
		return true
	default:
		return false
	}
}

// discard drops what is waiting once Close has given up on the reporter.
func (r *reporter) discard() {
	r.mu.Lock()
	r.stopped = true
	r.errs, r.fb, r.fbEnds = nil, nil, nil
	r.mu.Unlock()
	if n := r.unwritten.Swap(0); n > 0 {
		r.c.fallbackDropped.Add(uint64(n))
	}
}

// printErr prints err to stderr, at most one line per reportInterval; it
// sums up what it holds back and prints that with the next line.
func (r *reporter) printErr(err error) {
	if time.Since(r.lastLine) >= reportInterval {
		r.printLine(err.Error())
		return
	}
	if d, ok := err.(*DropError); ok && d.Err == nil {
		r.lineDrops[d.Reason] += d.Count
	} else {
		r.lineErrs++
	}
}

func (r *reporter) heldLine() bool {
	if r.lineErrs > 0 {
		return true
	}
	for _, n := range r.lineDrops {
		if n > 0 {
			return true
		}
	}
	return false
}

// printLine prints msg (if any) and what was held back since the last
// line.
func (r *reporter) printLine(msg string) {
	var held []string
	for reason, n := range r.lineDrops {
		if n > 0 {
			held = append(held, fmt.Sprintf("dropped %d entries: %v", n, DropReason(reason)))
			r.lineDrops[reason] = 0
		}
	}
	if r.lineErrs > 0 {
		held = append(held, fmt.Sprintf("%d more errors", r.lineErrs))
		r.lineErrs = 0
	}
	line := msg
	switch {
	case line == "":
		line = "kafkasink: " + strings.Join(held, ", ")
	case len(held) > 0:
		line += " (since the last report: " + strings.Join(held, ", ") + ")"
	}
	r.lastLine = time.Now()
	r.inCall.Store(&nameStderr) // a pipe nobody reads blocks too
	fmt.Fprintln(r.stderr, line)
	r.inCall.Store(nil)
}

// close stops the reporter once it has written and reported everything
// handed to it so far, or at quit: then what it has not written to the
// Fallback is counted as FallbackDropped, and it stops after the call it
// is in. It waits for that until hard, and until late if the reporter is
// between two callbacks, doing its own work. It returns
// nil if the reporter caught up by quit; otherwise an *AbandonedError
// naming the callback that held it up, and whether Close left it behind.
func (r *reporter) close(quit, hard, late <-chan struct{}) error {
	close(r.stop)
	select {
	case <-r.done:
		return nil
	case <-quit:
	}
	close(r.quit)
	// Count what it will not write now, so that Stats adds up when Close
	// returns; the reporter finds nothing left to claim.
	left := max(0, r.unwritten.Swap(0))
	r.c.fallbackDropped.Add(uint64(left))
	name := "ErrorHandler"
	if p := r.inCall.Load(); p != nil {
		name = *p
	} else if left > 0 {
		name = "Fallback"
	}
	ab := &AbandonedError{Callback: name, FallbackEntries: int(left)}
	if waitStopped(r.done, hard, late, func() bool { return r.inCall.Load() == nil }) {
		if left == 0 {
			return nil // it was reporting its last errors: nothing lost
		}
		return ab
	}
	if p := r.inCall.Load(); p != nil {
		ab.Callback = *p
	}
	ab.LeftRunning = true
	return ab
}
