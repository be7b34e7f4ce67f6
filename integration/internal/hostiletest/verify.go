package hostiletest

import (
	"context"
	"time"

	"github.com/kafkasink/kafkasink/core"
)

// finish ends every scenario: it releases the callbacks and the broker,
// waits for the closed sink's counters to add up, reads the topic back and
// checks the accounting and the rules every scenario shares (see the
// package documentation).
func (r *run) finish() {
	t := r.t
	t.Helper()
	r.releaseCallbacks()
	r.unstickBrokers()
	elapsed := time.Since(r.start)

	// Once the sink is closed and its callbacks released, its last
	// goroutine finishes what it was doing (a callback Close gave up on
	// may still be running, and log an entry); then no callback runs, and
	// everything adds up, and stays so.
	logged := func() uint64 { return uint64(r.ids.Load() + r.cbLogged.Load()) }
	settled := func(st core.Stats) bool {
		fb, _, _ := r.fb.entries()
		return r.inCallback.Load() == 0 && r.cbIDs.Load() == r.cbLogged.Load() &&
			st.QueueDepth == 0 && st.Received == logged() && st.Received == st.Delivered+st.Dropped.Total() &&
			(r.sc.noFallbackIdentity || uint64(fb)+st.FallbackDropped == st.Dropped.Total())
	}
	st := r.sink.Stats()
	for deadline := time.Now().Add(settleWithin); time.Now().Before(deadline); st = r.sink.Stats() {
		if settled(st) {
			time.Sleep(20 * time.Millisecond)
			if again := r.sink.Stats(); settled(again) && again.Received == st.Received && again.Dropped == st.Dropped {
				break
			}
			continue
		}
		time.Sleep(5 * time.Millisecond)
	}
	smp := r.smp.finish()
	fbEntries, fbBad, fbCut := r.fb.entries()
	fbDropped := st.FallbackDropped
	t.Logf("closed: %+v; FallbackDropped %d; %v; Fallback entries %d; slowest log call %v",
		st, fbDropped, r, fbEntries, time.Duration(r.slowestLog.Load()))
	r.errMu.Lock()
	t.Logf("first errors reported: %q", r.errSeen)
	r.errMu.Unlock()

	if st.QueueDepth != 0 {
		t.Errorf("a closed sink holds %d entries, want 0", st.QueueDepth)
	}
	if st.Received != logged() {
		t.Errorf("Stats.Received = %d, want %d: the %d entries the test logged and the %d its callbacks logged",
			st.Received, logged(), r.ids.Load(), r.cbLogged.Load())
	}
	if got := st.Delivered + st.Dropped.Total(); got != st.Received {
		t.Errorf("Delivered %d + Dropped %d (%+v) = %d, want Received %d", st.Delivered, st.Dropped.Total(), st.Dropped, got, st.Received)
	}
	if !r.sc.noFallbackIdentity {
		if got := uint64(fbEntries) + fbDropped; got != st.Dropped.Total() {
			t.Errorf("entries the Fallback received %d + FallbackDropped %d = %d, want Dropped.Total() = %d: every drop goes to the Fallback or is counted as not given to it",
				fbEntries, fbDropped, got, st.Dropped.Total())
		}
		if fbBad > 0 {
			t.Errorf("the Fallback got %d lines that are not entries of the scenario", fbBad)
		}
	}
	if fbCut {
		t.Logf("the Fallback's last entry has no newline: a write was abandoned between an entry and its newline (one Write per entry would avoid it)")
	}

	r.checkGoroutines(elapsed)
	if q, limit := smp.maxQueue.Load(), int64(r.cfg.QueueByteLimit); q > limit {
		t.Errorf("Stats.QueueBytes reached %d, over QueueByteLimit %d", q, limit)
	}
	if grew := int64(smp.maxHeap) - int64(smp.baseHeap); grew > int64(r.cfg.QueueByteLimit)+heapSlack {
		t.Errorf("the live heap grew by %d MiB during the scenario, more than QueueByteLimit (%d KiB) + %d MiB: memory is not bounded",
			grew>>20, r.cfg.QueueByteLimit>>10, heapSlack>>20)
	}
	r.checkReadBack(st, fbDropped)
}

// checkGoroutines checks where the callbacks ran, whether they ran under
// the sink's lock, and how often the ErrorHandler was called.
func (r *run) checkGoroutines(elapsed time.Duration) {
	t := r.t
	if n := r.handlerOnCaller.Load(); n > 0 {
		t.Errorf("ErrorHandler ran %d times on a goroutine inside a log call, Flush or Close; want it called only from the sink's own goroutines", n)
	}
	if n := r.fallbackOnCaller.Load(); n > 0 {
		t.Errorf("Fallback ran %d times on a goroutine inside a log call, Flush or Close; want it called only from the sink's own goroutines", n)
	}
	if n := r.lockHeld.Load(); n > 0 {
		t.Errorf("%d times, Stats called on another goroutine during a callback got no answer within %v: the sink held its lock around the callback", n, probeWithin)
	}
	if n := r.deciderOnCaller.Load(); n > 0 {
		t.Errorf("TopicDecider ran %d times on a goroutine inside a log call, Flush or Close; want it on the batcher goroutine", n)
	}
	if n := r.deciders.count(); n > 1 {
		t.Errorf("TopicDecider ran on %d goroutines, want one: the batcher", n)
	}
	if r.deciderCalls.Load() == 0 {
		t.Logf("TopicDecider never ran: no entry left the queue")
	}
	bound := int64(handlerCallsPerSecond * (elapsed.Seconds() + 1))
	if n := r.handlerCalls.Load(); n > bound {
		t.Errorf("ErrorHandler called %d times in %v, more than %d: reports are not aggregated or rate-limited (a feedback loop?)", n, elapsed.Round(time.Millisecond), bound)
	}
}

// checkReadBack reads the topic back (restarting the brokers if the
// scenario stopped them) and checks that nothing was lost silently.
func (r *run) checkReadBack(st core.Stats, fbDropped uint64) {
	t := r.t
	if r.stopped {
		if err := r.c.Restart(); err != nil {
			r.fatalf("restarting the brokers to read back: %v", err)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), waitWithin)
	recs, err := r.c.Read(ctx, r.cfg.Topic)
	cancel()
	if err != nil {
		r.fatalf("reading %s back: %v", r.cfg.Topic, err)
	}
	read := make(map[key]int)
	for _, rec := range recs {
		k, ok := parseKey(rec.Value)
		if !ok || k.id < 0 || (!k.cb && k.id >= r.ids.Load()) || (k.cb && k.id >= r.cbIDs.Load()) {
			t.Errorf("record %v is not an entry of this scenario", rec)
			continue
		}
		read[k]++
	}

	var inKafka, dups, twice, droppedInKafka, unaccounted int
	check := func(k key) {
		n, fb := read[k], r.fb.count(k)
		if n > 0 {
			inKafka++
			dups += n - 1
		}
		if fb > 1 {
			twice++
		}
		switch {
		case n > 0 && fb > 0:
			droppedInKafka++ // dropped at Close while in flight, and Kafka had it
		case n == 0 && fb == 0:
			unaccounted++ // dropped, and not given to the Fallback
		}
	}
	for id := range r.ids.Load() {
		check(key{id: id})
	}
	for id := range r.cbIDs.Load() {
		check(key{cb: true, id: id})
	}
	t.Logf("read back %d records: %d distinct entries (%d of the callbacks' own), %d duplicates, %d both in Kafka and in the Fallback",
		len(recs), inKafka, countCB(read), dups, droppedInKafka)

	if uint64(inKafka) < st.Delivered {
		t.Errorf("%d distinct entries in Kafka, want at least Stats.Delivered = %d", inKafka, st.Delivered)
	}
	if twice > 0 {
		t.Errorf("%d entries reached the Fallback more than once", twice)
	}
	if !r.sc.noFallbackIdentity && uint64(unaccounted) > fbDropped {
		t.Errorf("%d entries are neither in Kafka nor in the Fallback, more than FallbackDropped = %d: entries lost silently", unaccounted, fbDropped)
	}
	missing := 0
	for _, id := range r.mustArrive {
		if read[key{id: id}] == 0 {
			missing++
		}
	}
	if missing > 0 {
		t.Errorf("%d of the %d entries flushed while the brokers were up are not in Kafka", missing, len(r.mustArrive))
	}
}

func countCB(read map[key]int) int {
	n := 0
	for k := range read {
		if k.cb {
			n++
		}
	}
	return n
}
