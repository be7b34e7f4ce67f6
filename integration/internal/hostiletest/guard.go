package hostiletest

import (
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/kafkasink/kafkasink/internal/goid"
)

// HangAfter is how long [Guard] lets a scenario run before it calls it
// hung. Every scenario here takes a few seconds, even under -race on a
// loaded machine; a deadlock takes forever.
const HangAfter = 60 * time.Second

// hangGrace is how long Guard waits, after it called a scenario hung and
// ran its onHang, for the scenario to finish before it gives up on it.
const hangGrace = 10 * time.Second

// Guard runs body on a new goroutine and waits for it, so that a scenario
// that deadlocks fails by itself, with the stack of every goroutine, rather
// than by the test binary's -timeout. If body has not returned after d,
// Guard fails t, logs the stacks, calls onHang (if not nil) to release
// whatever the scenario may wait on (a blocked callback, a stuck broker),
// waits a little longer for body, and stops the test.
//
// body may call t.Fatal, t.FailNow or t.Skip: they end body's goroutine,
// and Guard returns. It must not start a subtest.
func Guard(t testing.TB, d time.Duration, onHang func(), body func()) {
	t.Helper()
	done := make(chan struct{})
	go func() {
		defer close(done)
		body()
	}()
	select {
	case <-done:
		return
	case <-time.After(d):
	}
	t.Errorf("HANG: the scenario has not finished after %v: a deadlock, or a call that blocks (a log call, Flush, Close, a callback). The stacks of every goroutine:\n%s", d, allStacks())
	if onHang != nil {
		onHang()
	}
	select {
	case <-done:
	case <-time.After(hangGrace):
		t.Errorf("the scenario was still running %v after it was released; giving up on it", hangGrace)
	}
	t.FailNow()
}

// allStacks returns the stack of every goroutine.
func allStacks() []byte {
	buf := make([]byte, 1<<20)
	for {
		n := runtime.Stack(buf, true)
		if n < len(buf) || len(buf) >= 64<<20 {
			return buf[:n]
		}
		buf = make([]byte, 2*len(buf))
	}
}

// goroutines is a set of goroutines by id, with a count of how many times
// each entered it, for calls that nest.
type goroutines struct {
	mu  sync.Mutex
	ids map[uint64]int
}

// enter adds the calling goroutine to the set and returns a function that
// takes it out again.
func (g *goroutines) enter() (leave func()) {
	id := goid.ID()
	g.mu.Lock()
	if g.ids == nil {
		g.ids = make(map[uint64]int)
	}
	g.ids[id]++
	g.mu.Unlock()
	return func() {
		g.mu.Lock()
		if g.ids[id]--; g.ids[id] == 0 {
			delete(g.ids, id)
		}
		g.mu.Unlock()
	}
}

// has reports whether goroutine id is in the set.
func (g *goroutines) has(id uint64) bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.ids[id] > 0
}

// distinct records the distinct goroutines something ran on.
type distinct struct {
	mu  sync.Mutex
	ids map[uint64]bool
}

func (d *distinct) add(id uint64) {
	d.mu.Lock()
	if d.ids == nil {
		d.ids = make(map[uint64]bool)
	}
	d.ids[id] = true
	d.mu.Unlock()
}

func (d *distinct) count() int {
	d.mu.Lock()
	defer d.mu.Unlock()
	return len(d.ids)
}

// cleanupWithin is how long a cleanup from [CloseOnCleanup] waits for
// close.
const cleanupWithin = 15 * time.Second

// CloseOnCleanup calls close when t ends, without letting a close that
// never returns (a sink whose Close hangs on a callback: the bug these
// scenarios catch) hang the test binary after [Guard] has failed the
// scenario: it waits up to 15s, then reports closeSink as stuck and leaves it;
// goleak then names what it left running.
func CloseOnCleanup(t testing.TB, closeSink func() error) {
	t.Cleanup(func() {
		done := make(chan struct{})
		go func() {
			defer close(done)
			_ = closeSink()
		}()
		select {
		case <-done:
		case <-time.After(cleanupWithin):
			t.Errorf("closing the sink when the test ended has not returned after %v; left running", cleanupWithin)
		}
	})
}
