package hostiletest

import (
	"errors"
	"strings"
	"time"

	"github.com/kafkasink/kafkasink/core"
)

// scenario is one way to break the sink's callbacks.
type scenario struct {
	name        string
	explanation string // the rule it checks, logged with every failure

	setup    func(cfg *core.Config)  // changes the suite's configuration; nil: none
	handler  func(r *run, err error) // what the ErrorHandler does once recorded; nil: nothing
	fallback func(r *run, p []byte)  // what the Fallback does once recorded; nil: nothing
	play     func(r *run)            // the scenario; finish follows
	pad      int                     // bytes of padding per entry; 0: 100

	// noFallbackIdentity skips the Fallback's accounting: a Fallback that
	// panics has received nothing in a sense the sink could count.
	noFallbackIdentity bool
}

// outage is the configuration of the scenarios that drop entries on the
// log call itself: a queue of 100 entries that an outage fills, in
// batches of 10 (New wants batches smaller than the queue's shedding
// point).
func outage(cfg *core.Config) {
	cfg.QueueLimit = 100
	cfg.BatchSizeLimit = 10
}

// evictUnderPressure is the configuration in which DropOldest evicts held
// entries because memory, not the entry count, runs short: entries of
// about 1.1 KiB, a 64 KiB QueueByteLimit, no load shedding (it would
// refuse the new entries before memory runs short), and a batcher that
// takes at most 20 entries out of the queue, so that there is something
// old to evict.
func evictUnderPressure(cfg *core.Config) {
	cfg.OverflowPolicy = core.DropOldest
	cfg.QueueByteLimit = 64 << 10
	cfg.MaxEntryBytes = 8 << 10
	cfg.ShedThreshold = 1
	cfg.BatchSizeLimit = 10
	cfg.MaxInFlight = 1
	cfg.SyncTimeout = 5 * time.Second
}

// playEvictUnderPressure fills the queue from four goroutines at full
// speed while the broker holds every produce request, so that DropOldest
// evicts to make room, then lets the broker answer, flushes and closes.
func playEvictUnderPressure(r *run) {
	r.stickBrokers()
	r.logN(4, 1000)
	r.waitFor("the ErrorHandler to be called", func() bool { return r.handlerCalls.Load() > 0 })
	if st := r.sink.Stats(); st.Dropped.QueueFull == 0 {
		r.t.Errorf("no entry dropped as QueueFull while the broker was stuck: the scenario did not bite (%+v)", st)
	}
	r.unstickBrokers()
	r.flushAllowingDrops()
	if err := r.close(); err != nil && !errors.Is(err, core.ErrDropped) {
		r.t.Errorf("Close = %v, want nil or an UndeliveredError for the entries DropOldest dropped", err)
	}
}

// playOutage logs 500 entries from two goroutines with the brokers down,
// waits until cond holds, and closes the sink during the outage.
func playOutage(r *run, what string, cond func() bool) error {
	r.stopBrokers()
	r.logN(2, 500)
	r.waitFor(what, cond)
	return r.close()
}

func (r *run) handlerCalled() bool  { return r.handlerCalls.Load() > 0 }
func (r *run) fallbackCalled() bool { return r.fallbackCalls.Load() > 0 }

// wantCallbackBlocked checks that Close said it gave up on the named
// callback.
func (r *run) wantCallbackBlocked(err error, callback string) {
	r.t.Helper()
	if !errors.Is(err, core.ErrCallbackBlocked) || !strings.Contains(err.Error(), callback) {
		r.t.Errorf("Close = %v, want an error that satisfies errors.Is(err, core.ErrCallbackBlocked) and names the %s it abandoned", err, callback)
	}
}

var scenarios = []scenario{
	{
		name: "ErrorHandler logs into its logger, brokers down",
		explanation: "An ErrorHandler that logs every error through the logger the sink serves must not recurse, " +
			"deadlock or block a log call: not during the outage, not while Close drops what the outage kept, " +
			"not after Close (a log call after Close counts its entry and calls nothing).",
		setup:   func(cfg *core.Config) { cfg.QueueLimit = 200 },
		handler: (*run).logFromCallback,
		play: func(r *run) {
			r.logN(2, 100) // below the shedding point (160): all delivered
			r.mustFlush()
			r.stopBrokers()
			r.logN(2, 600) // fills the queue, then drops
			r.waitFor("the ErrorHandler to be called", r.handlerCalled)
			r.wantUndelivered(r.close())
			r.logN(2, 100) // after Close
		},
	},
	{
		name: "ErrorHandler logs into its logger, DropOldest, small QueueByteLimit",
		explanation: "When DropOldest evicts held entries because QueueByteLimit is reached, the ErrorHandler hears of " +
			"it off the sink's lock and off the log call: a handler that logs the report into the same logger must " +
			"not deadlock every logging goroutine and the batcher.",
		setup:   evictUnderPressure,
		handler: (*run).logFromCallback,
		play:    playEvictUnderPressure,
		pad:     1000,
	},
	{
		name: "ErrorHandler logs into its logger, after Close",
		explanation: "After Close, a log call counts its entry as Dropped.Closed and returns: it calls neither the " +
			"ErrorHandler nor the Fallback (FallbackDropped counts the entry), so a handler that logs cannot recurse.",
		handler: (*run).logFromCallback,
		play: func(r *run) {
			r.logN(2, 200)
			if err := r.close(); err != nil {
				r.t.Errorf("Close = %v, want nil: the brokers are up", err)
			}
			for id := range r.ids.Load() {
				r.mustArrive = append(r.mustArrive, id)
			}
			before := r.counts()
			const n = 500
			r.logN(2, n)
			after := r.counts()
			if got := after.stats.Dropped.Closed - before.stats.Dropped.Closed; got != n {
				r.t.Errorf("%d log calls after Close added %d to Dropped.Closed, want %d", n, got, n)
			}
			if got := after.handler - before.handler; got != 0 {
				r.t.Errorf("%d log calls after Close called the ErrorHandler %d times, want 0", n, got)
			}
			if got := after.fallback - before.fallback; got != 0 {
				r.t.Errorf("%d log calls after Close called the Fallback %d times, want 0", n, got)
			}
			if got := after.stats.FallbackDropped - before.stats.FallbackDropped; got != n {
				r.t.Errorf("%d log calls after Close added %d to Stats.FallbackDropped, want %d: their entries never reach the Fallback", n, got, n)
			}
		},
	},
	{
		name: "ErrorHandler calls Stats",
		explanation: "An ErrorHandler may call sink.Stats(): the sink never calls it while holding the lock Stats " +
			"takes, not even when DropOldest evicts under memory pressure.",
		setup:   evictUnderPressure,
		handler: func(r *run, _ error) { _ = r.sink.Stats() },
		play:    playEvictUnderPressure,
		pad:     1000,
	},
	{
		name: "ErrorHandler blocks forever",
		explanation: "An ErrorHandler that never returns blocks no log call, and Close returns by its deadline with " +
			"an error that satisfies errors.Is(err, core.ErrCallbackBlocked) and names the ErrorHandler; the stuck " +
			"call keeps its goroutine until it returns.",
		setup:   outage,
		handler: func(r *run, _ error) { <-r.release },
		play: func(r *run) {
			err := playOutage(r, "the ErrorHandler to be called", r.handlerCalled)
			r.wantUndelivered(err)
			r.wantCallbackBlocked(err, "ErrorHandler")
		},
	},
	{
		name: "Fallback blocks forever",
		explanation: "A Fallback that never returns blocks no log call; the entries it cannot take are counted in " +
			"Stats.FallbackDropped; Close returns by its deadline with an error that satisfies " +
			"errors.Is(err, core.ErrCallbackBlocked) and names the Fallback.",
		setup:    outage,
		fallback: func(r *run, _ []byte) { <-r.release },
		play: func(r *run) {
			err := playOutage(r, "the Fallback to be called", r.fallbackCalled)
			r.wantUndelivered(err)
			r.wantCallbackBlocked(err, "Fallback")
		},
	},
	{
		name: "slow Fallback, 1s a write",
		explanation: "A Fallback that takes a second per write does not slow the log calls down: they return while " +
			"it has received only a few of the entries dropped; Close returns by its deadline and says it abandoned " +
			"the rest (errors.Is(err, core.ErrCallbackBlocked)), counted in Stats.FallbackDropped.",
		setup: func(cfg *core.Config) {
			outage(cfg)
			cfg.SyncTimeout = 2 * time.Second
		},
		fallback: func(r *run, _ []byte) { r.sleep(time.Second) },
		play: func(r *run) {
			r.stopBrokers()
			r.logN(2, 500)
			st := r.sink.Stats()
			if got, _, _ := r.fb.entries(); uint64(got) >= st.Dropped.Total() {
				r.t.Errorf("when the last log call returned, the Fallback had received %d of the %d entries dropped: the log calls waited for a Fallback that takes a second a write",
					got, st.Dropped.Total())
			}
			r.waitFor("the Fallback to be called", r.fallbackCalled)
			err := r.close()
			r.wantUndelivered(err)
			r.wantCallbackBlocked(err, "Fallback")
		},
	},
	{
		name: "slow ErrorHandler, 100ms a call",
		explanation: "An ErrorHandler that takes 100ms per call runs on the sink's own goroutine, never on a log " +
			"call, and Close still returns by its deadline.",
		setup: func(cfg *core.Config) {
			outage(cfg)
			cfg.SyncTimeout = 2 * time.Second
		},
		handler: func(r *run, _ error) { r.sleep(100 * time.Millisecond) },
		play: func(r *run) {
			r.wantUndelivered(playOutage(r, "the ErrorHandler to be called", r.handlerCalled))
		},
	},
	{
		name: "ErrorHandler and Fallback panic",
		explanation: "A panicking ErrorHandler or Fallback costs a report or a line, not the process: no crash, " +
			"no log call sees the panic, and the counters still add up.",
		setup:    outage,
		handler:  func(*run, error) { panic("hostile ErrorHandler") },
		fallback: func(*run, []byte) { panic("hostile Fallback") },
		play: func(r *run) {
			r.wantUndelivered(playOutage(r, "both callbacks to be called", func() bool { return r.handlerCalled() && r.fallbackCalled() }))
		},
		noFallbackIdentity: true,
	},
}
