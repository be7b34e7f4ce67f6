package hostiletest

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/kafkasink/kafkasink/core"
	"github.com/kafkasink/kafkasink/integration/kafkatest"
	"github.com/kafkasink/kafkasink/integration/sinktest"
)

// IDKey is the field that carries the unique id of each entry the test
// logs; CallbackIDKey the one of each entry a callback logs.
const (
	IDKey         = "hostile_id"
	CallbackIDKey = "hostile_cb"
)

// Harness describes the adapter under test.
type Harness struct {
	// New returns a logger, enabled for InfoLevel and above, writing JSON
	// into a new sink built from cfg, and that sink (for its Stats). The
	// logger's Close must close the sink, waiting up to cfg.SyncTimeout;
	// New should also close it when t ends. Required.
	New func(t *testing.T, cfg core.Config) (sinktest.Logger, *core.Sink)
}

// Run runs every scenario against h, each in a subtest of t. It skips
// under -short, as [kafkatest.Start] does.
func Run(t *testing.T, h Harness) {
	t.Helper()
	for _, sc := range scenarios {
		t.Run(sc.name, func(t *testing.T) { runScenario(t, h, sc) })
	}
}

// Bounds of the suite. None is a timing assertion in the usual sense:
// each is many times what a correct sink needs, and a fraction of what
// the failure it catches takes (forever).
const (
	// closeSlack is how long after its deadline Close may return.
	closeSlack = 10 * time.Second
	// settleWithin bounds the wait for the counters to add up once the
	// sink is closed and its callbacks released.
	settleWithin = 30 * time.Second
	// waitWithin bounds every other wait on a condition.
	waitWithin = 30 * time.Second
	// probeWithin is how long a callback waits for Stats, called on
	// another goroutine, to answer: it never does while the sink holds
	// its lock around the callback.
	probeWithin = 20 * time.Second
	// maxProbes is how many calls of each callback probe the lock.
	maxProbes = 2
	// handlerCallsPerSecond bounds the ErrorHandler calls per second of a
	// scenario: retried requests with a 20ms backoff, and drops summed up
	// once a second per reason, stay far below it; a feedback loop of
	// reports that each log an entry that is dropped and reported goes far
	// above.
	handlerCallsPerSecond = 1000
	// heapSlack is what the live heap may grow by during a scenario on top
	// of QueueByteLimit: the cluster's copy of the records, the clients,
	// the bookkeeping.
	heapSlack = 64 << 20
)

// run is one scenario against one adapter: the cluster, the sink, the
// callbacks' wrappers and what they saw.
type run struct {
	t     *testing.T
	sc    scenario
	c     *kafkatest.Cluster
	cfg   core.Config
	log   sinktest.Logger
	sink  *core.Sink
	start time.Time

	release     chan struct{} // closed by releaseCallbacks: blocked callbacks return
	releaseOnce sync.Once
	unstickOnce sync.Once
	stuck       chan struct{} // non-nil while the broker holds produce requests
	stopped     bool          // the scenario stopped the brokers

	callers  goroutines // inside a log call, Flush or Close
	deciders distinct   // goroutines the TopicDecider ran on

	ids        atomic.Int64 // the test's entries logged: ids 0 … ids-1
	cbIDs      atomic.Int64 // ids given to the callbacks' entries
	cbLogged   atomic.Int64 // the callbacks' log calls that returned
	mustArrive []int64      // ids flushed while the brokers were up (the body's goroutine only)

	inCallback                      atomic.Int64 // ErrorHandler and Fallback calls under way
	handlerCalls, handlerOnCaller   atomic.Int64
	fallbackCalls, fallbackOnCaller atomic.Int64
	deciderCalls, deciderOnCaller   atomic.Int64
	handlerProbes, fallbackProbes   atomic.Int64
	lockHeld                        atomic.Int64 // probes that got no answer
	slowestLog                      atomic.Int64 // nanoseconds

	errMu   sync.Mutex
	errSeen []string // the first distinct errors, for the log

	fb lines // what reached the Fallback

	smp *sampler
}

func runScenario(t *testing.T, h Harness, sc scenario) {
	c := kafkatest.Start(t, kfake.NumBrokers(1))
	t.Logf("rule: %s", sc.explanation)
	r := &run{t: t, sc: sc, c: c, release: make(chan struct{})}
	r.cfg = core.Config{
		Brokers:        c.Addrs(),
		Topic:          kafkatest.DefaultTopic,
		BatchSizeLimit: 100,
		Period:         20 * time.Millisecond,
		MinBackoff:     20 * time.Millisecond,
		MaxBackoff:     200 * time.Millisecond,
		DialTimeout:    time.Second,
		WriteTimeout:   2 * time.Second,
		QueueByteLimit: 1 << 20,
		MaxEntryBytes:  64 << 10,
		SyncTimeout:    time.Second, // Close's deadline
		ErrorHandler:   r.errorHandler,
		Fallback:       fallback{r},
		TopicDecider:   r.topicDecider,
	}
	if sc.setup != nil {
		sc.setup(&r.cfg)
	}
	runtime.GC()
	r.log, r.sink = h.New(t, r.cfg)
	r.smp = startSampler(r.sink)
	r.start = time.Now()
	t.Cleanup(r.releaseCallbacks) // last resort, if the scenario stopped early
	t.Cleanup(r.unstickBrokers)
	Guard(t, HangAfter, func() { r.releaseCallbacks(); r.unstickBrokers() }, func() {
		sc.play(r)
		r.finish()
	})
}

// fatalf fails the scenario and ends its goroutine. Only the scenario's
// own goroutine may call it, never a callback.
func (r *run) fatalf(format string, args ...any) {
	r.t.Helper()
	r.t.Errorf(format, args...)
	runtime.Goexit()
}

// logN logs n entries with new ids from the given number of goroutines,
// each a log call of a caller goroutine, and waits for them to return.
func (r *run) logN(goroutines, n int) {
	base := r.ids.Add(int64(n)) - int64(n)
	var wg sync.WaitGroup
	for g := range goroutines {
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer r.callers.enter()()
			for i := g; i < n; i += goroutines {
				id := base + int64(i)
				t0 := time.Now()
				r.log.Log(core.InfoLevel, "hostile entry", sinktest.Int(IDKey, id), sinktest.String("pad", pad(id, r.sc.pad)))
				if d := int64(time.Since(t0)); d > r.slowestLog.Load() {
					r.slowestLog.Store(d) // racy max, for the log only
				}
			}
		}()
	}
	wg.Wait()
}

// pad returns n bytes of padding that vary with id.
func pad(id int64, n int) string {
	if n == 0 {
		n = 100
	}
	b := make([]byte, n)
	for i := range b {
		b[i] = byte('a' + (id+int64(i))%26)
	}
	return string(b)
}

// flush flushes the sink as a caller, waiting up to waitWithin.
func (r *run) flush() error {
	defer r.callers.enter()()
	ctx, cancel := context.WithTimeout(context.Background(), waitWithin)
	defer cancel()
	return r.sink.Flush(ctx)
}

// mustFlush flushes everything logged so far, which must all be
// delivered: the brokers are up, and the scenario logged less than the
// queue holds.
func (r *run) mustFlush() {
	if err := r.flush(); err != nil {
		r.fatalf("Flush with the brokers up = %v, want nil (stats %+v)", err, r.sink.Stats())
	}
	if st := r.sink.Stats(); st.Dropped.Total() != 0 {
		r.fatalf("with the brokers up, %+v were dropped before Flush; want none (the scenario logs too much at once)", st.Dropped)
	}
	for id := range r.ids.Load() {
		r.mustArrive = append(r.mustArrive, id)
	}
}

// flushAllowingDrops flushes; entries dropped on the way are fine (the
// error counts them), entries still pending are not.
func (r *run) flushAllowingDrops() {
	if err := r.flush(); err != nil && !errors.Is(err, core.ErrDropped) {
		r.fatalf("Flush = %v, want nil or an UndeliveredError for dropped entries (stats %+v)", err, r.sink.Stats())
	}
}

// close closes the logger (and so the sink) as a caller, and checks that
// it returns by its deadline, cfg.SyncTimeout, give or take closeSlack. If
// it does not, close releases the callbacks and waits for it; Guard
// catches a Close that never returns.
func (r *run) close() error {
	done := make(chan error, 1)
	t0 := time.Now()
	go func() {
		defer r.callers.enter()()
		done <- r.log.Close()
	}()
	select {
	case err := <-done:
		r.t.Logf("Close (deadline %v) returned after %v: %v", r.cfg.SyncTimeout, time.Since(t0).Round(time.Millisecond), err)
		return err
	case <-time.After(r.cfg.SyncTimeout + closeSlack):
	}
	r.t.Errorf("Close with a deadline of %v has not returned %v after it: Close must return by its deadline whatever the callbacks do", r.cfg.SyncTimeout, closeSlack)
	r.releaseCallbacks()
	return <-done
}

// wantUndelivered checks that Close reported entries it could not deliver.
func (r *run) wantUndelivered(err error) {
	r.t.Helper()
	var ue *core.UndeliveredError
	if !errors.As(err, &ue) || ue.Count == 0 {
		r.t.Errorf("Close = %v, want an *core.UndeliveredError counting the entries the outage kept", err)
	}
}

// waitFor waits until cond holds, or fails the scenario after waitWithin.
func (r *run) waitFor(what string, cond func() bool) {
	r.t.Helper()
	deadline := time.Now().Add(waitWithin)
	for !cond() {
		if time.Now().After(deadline) {
			r.fatalf("still waiting for %s after %v (stats %+v)", what, waitWithin, r.sink.Stats())
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// stopBrokers stops the cluster: an outage until finish reads back.
func (r *run) stopBrokers() {
	r.c.Stop()
	r.stopped = true
}

// stickBrokers makes the broker hold every produce request until
// unstickBrokers: a stuck broker, whose requests stay in flight.
func (r *run) stickBrokers() {
	r.stuck = make(chan struct{})
	k, release := r.c.Kfake(), r.stuck
	k.ControlKey(int16(kmsg.Produce), func(kmsg.Request) (kmsg.Response, error, bool) {
		k.KeepControl()
		k.SleepControl(func() { <-release })
		return nil, nil, false
	})
}

func (r *run) unstickBrokers() {
	if r.stuck != nil {
		r.unstickOnce.Do(func() { close(r.stuck) })
	}
}

// releaseCallbacks lets every blocked callback return, and makes the slow
// ones fast.
func (r *run) releaseCallbacks() {
	r.releaseOnce.Do(func() { close(r.release) })
}

// sleep waits for d, or until the callbacks are released.
func (r *run) sleep(d time.Duration) {
	select {
	case <-time.After(d):
	case <-r.release:
	}
}

// counts is a snapshot of what the callbacks saw, to compare before and
// after a step.
type counts struct {
	stats                core.Stats
	handler, fallback    int64
	fallbackEntries, bad int
}

func (r *run) counts() counts {
	n, bad, _ := r.fb.entries()
	return counts{stats: r.sink.Stats(), handler: r.handlerCalls.Load(), fallback: r.fallbackCalls.Load(), fallbackEntries: n, bad: bad}
}

func (r *run) String() string {
	return fmt.Sprintf("ErrorHandler calls %d, Fallback calls %d, callbacks' entries logged %d", r.handlerCalls.Load(), r.fallbackCalls.Load(), r.cbLogged.Load())
}
