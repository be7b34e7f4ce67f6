package hostiletest

import (
	"bytes"
	"encoding/json"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/kafkasink/kafkasink/core"
	"github.com/kafkasink/kafkasink/integration/sinktest"
	"github.com/kafkasink/kafkasink/internal/goid"
)

// errorHandler is Config.ErrorHandler: it records the call and where it
// runs, probes the sink's lock, then does what the scenario's handler does.
func (r *run) errorHandler(err error) {
	r.inCallback.Add(1)
	defer r.inCallback.Add(-1)
	r.handlerCalls.Add(1)
	if r.callers.has(goid.ID()) {
		r.handlerOnCaller.Add(1)
	}
	r.noteErr(err)
	if r.handlerProbes.Add(1) <= maxProbes {
		r.probe()
	}
	if h := r.sc.handler; h != nil {
		h(r, err)
	}
}

// fallback is Config.Fallback.
type fallback struct{ r *run }

// Write records the call, where it runs and the lines it completes, probes
// the sink's lock, then does what the scenario's fallback does.
func (f fallback) Write(p []byte) (int, error) {
	r := f.r
	r.inCallback.Add(1)
	defer r.inCallback.Add(-1)
	r.fallbackCalls.Add(1)
	if r.callers.has(goid.ID()) {
		r.fallbackOnCaller.Add(1)
	}
	if r.fallbackProbes.Add(1) <= maxProbes {
		r.probe()
	}
	r.fb.write(p) // received, whatever the scenario's fallback does next
	if fb := r.sc.fallback; fb != nil {
		fb(r, p)
	}
	return len(p), nil
}

// topicDecider is Config.TopicDecider: it records where it runs and keeps
// every entry on Config.Topic.
func (r *run) topicDecider(core.Entry) string {
	id := goid.ID()
	r.deciderCalls.Add(1)
	r.deciders.add(id)
	if r.callers.has(id) {
		r.deciderOnCaller.Add(1)
	}
	return ""
}

// probe calls Stats on another goroutine and waits for its answer, up to
// probeWithin. Stats takes the sink's lock: if the sink holds it around
// the callback that probes, no answer comes.
func (r *run) probe() {
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = r.sink.Stats()
	}()
	select {
	case <-done:
	case <-time.After(probeWithin):
		r.lockHeld.Add(1)
	}
}

// logFromCallback logs err into the logger the sink serves, from the
// callback's goroutine, which is then inside a log call: a callback the
// sink ran inline from that call would be seen on a caller goroutine.
func (r *run) logFromCallback(err error) {
	defer r.callers.enter()()
	id := r.cbIDs.Add(1) - 1
	r.log.Log(core.ErrorLevel, "sink error", sinktest.Int(CallbackIDKey, id), sinktest.String("error", err.Error()))
	r.cbLogged.Add(1)
}

const maxErrSamples = 8

func (r *run) noteErr(err error) {
	msg := err.Error()
	r.errMu.Lock()
	defer r.errMu.Unlock()
	if len(r.errSeen) < maxErrSamples && !slices.Contains(r.errSeen, msg) {
		r.errSeen = append(r.errSeen, msg)
	}
}

// key identifies an entry of a scenario: the test's (cb false) or a
// callback's (cb true), by its id.
type key struct {
	cb bool
	id int64
}

// parseKey reads the key of an entry from its JSON.
func parseKey(b []byte) (key, bool) {
	var v struct {
		ID *int64 `json:"hostile_id"`
		CB *int64 `json:"hostile_cb"`
	}
	if json.Unmarshal(b, &v) != nil {
		return key{}, false
	}
	switch {
	case v.ID != nil && v.CB == nil:
		return key{id: *v.ID}, true
	case v.CB != nil && v.ID == nil:
		return key{cb: true, id: *v.CB}, true
	}
	return key{}, false
}

// lines splits what the Fallback gets into lines, whatever the calls look
// like, and counts the entries by key.
type lines struct {
	mu      sync.Mutex
	partial []byte
	byKey   map[key]int
	n       int // lines
	bad     int // lines that are not an entry of the scenario
}

func (l *lines) write(p []byte) {
	l.mu.Lock()
	defer l.mu.Unlock()
	for len(p) > 0 {
		i := bytes.IndexByte(p, '\n')
		if i < 0 {
			l.partial = append(l.partial, p...)
			return
		}
		l.line(append(l.partial, p[:i]...))
		l.partial = l.partial[:0]
		p = p[i+1:]
	}
}

func (l *lines) line(b []byte) {
	l.n++
	k, ok := parseKey(b)
	if !ok {
		l.bad++
		return
	}
	if l.byKey == nil {
		l.byKey = make(map[key]int)
	}
	l.byKey[k]++
}

// entries returns how many entries the Fallback received: its lines, and a
// last line without its newline if a write was cut short (Close gave up on
// a blocked Fallback between an entry and its newline); bad counts lines
// that are not entries.
func (l *lines) entries() (n, bad int, cut bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	n, bad = l.n, l.bad
	if len(l.partial) > 0 {
		n++
		if _, ok := parseKey(l.partial); !ok {
			bad++
		}
		cut = true
	}
	return n, bad, cut
}

// count returns how often the entry k reached the Fallback.
func (l *lines) count(k key) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	n := l.byKey[k]
	if len(l.partial) > 0 {
		if pk, ok := parseKey(l.partial); ok && pk == k {
			n++
		}
	}
	return n
}

// sampler watches the queue's bytes and the live heap in the background.
type sampler struct {
	stop, done chan struct{}
	baseHeap   uint64
	maxHeap    uint64
	maxQueue   atomic.Int64
}

func startSampler(s *core.Sink) *sampler {
	smp := &sampler{stop: make(chan struct{}), done: make(chan struct{}), baseHeap: liveHeap()}
	smp.maxHeap = smp.baseHeap
	go func() {
		defer close(smp.done)
		tick := time.NewTicker(10 * time.Millisecond)
		defer tick.Stop()
		for i := 0; ; i++ {
			if q := s.Stats().QueueBytes; q > smp.maxQueue.Load() {
				smp.maxQueue.Store(q)
			}
			if i%10 == 0 {
				smp.maxHeap = max(smp.maxHeap, liveHeap())
			}
			select {
			case <-smp.stop:
				return
			case <-tick.C:
			}
		}
	}()
	return smp
}

// finish stops the sampler; its fields are then safe to read.
func (smp *sampler) finish() *sampler {
	select {
	case <-smp.stop:
	default:
		close(smp.stop)
	}
	<-smp.done
	return smp
}

// liveHeap is the heap in use after a collection.
func liveHeap() uint64 {
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return ms.HeapAlloc
}
