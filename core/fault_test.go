package core_test

// The fault suite of issue 6: each test runs a steady stream of entries with
// unique ids from several goroutines against kfake while a fault plays out,
// closes the sink, reads everything back with franz-go and checks the
// accounting with faultRun.verify (fault_helpers_test.go): delivered +
// counted drops == accepted, nothing lost, every drop in Fallback once,
// duplicates counted and reported. TestFaultReport, last, prints the table.
//
// Run: go test -race -count=1 -run Fault -v ./core/

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/kafkasink/kafkasink/core"
	"github.com/kafkasink/kafkasink/internal/kafkatest"
)

// steady is the stream most scenarios use: 4 goroutines × 2500 entries in
// bursts of 10 with 5ms pauses: at most 8000 entries a second, so the stream
// lasts at least 1.25s and outlives the faults it runs through.
func steady() stream {
	return stream{goroutines: 4, perG: 2500, burst: 10, pause: 5 * time.Millisecond}
}

const steadyN = 10000

// 1. All brokers unreachable for a while, then back.
func TestFaultAllBrokersDown(t *testing.T) {
	t.Run("stop and restart the cluster", func(t *testing.T) {
		c := kafkatest.Start(t)
		r := newFaultRun(t, "1 all brokers stopped 700ms, restarted", steadyN)
		s := mustNew(t, r.config(c))
		smp := startSampler(20*time.Millisecond, false)
		wait := r.start(s, steady())

		r.waitWritten(steadyN/4, 30*time.Second)
		c.Stop()
		down := r.written.Load()
		time.Sleep(700 * time.Millisecond)
		if err := c.Restart(); err != nil {
			t.Fatal(err)
		}
		t.Logf("brokers down from entry %d to %d", down, r.written.Load())
		wait(ctxFor(t, 60*time.Second))
		flush(t, s, 30*time.Second)
		err, st := closeSink(t, s, 10*time.Second)
		if err != nil {
			t.Errorf("Close = %v", err)
		}
		counts, _ := r.readBack(c, kafkatest.DefaultTopic)
		row := r.verify(st, counts, smp.finish())
		zeroLoss(t, row, steadyN)
		if st.Retries == 0 || r.errs.produce.Load()+r.errs.meta.Load() == 0 {
			t.Errorf("no failed attempt during the outage (retries %d, %v): the fault did not bite", st.Retries, &r.errs)
		}
	})

	t.Run("every produce fails retriably", func(t *testing.T) {
		c := kafkatest.Start(t)
		r := newFaultRun(t, "1 every produce NOT_ENOUGH_REPLICAS 700ms", steadyN)
		s := mustNew(t, r.config(c))
		smp := startSampler(20*time.Millisecond, false)
		wait := r.start(s, steady())

		r.waitWritten(steadyN/4, 30*time.Second)
		h := c.Kfake().Fault(kfake.Fault{Keys: []kmsg.Key{kmsg.Produce}, Err: kerr.NotEnoughReplicas, Count: -1})
		time.Sleep(700 * time.Millisecond)
		h.Remove()
		wait(ctxFor(t, 60*time.Second))
		flush(t, s, 30*time.Second)
		err, st := closeSink(t, s, 10*time.Second)
		if err != nil {
			t.Errorf("Close = %v", err)
		}
		counts, _ := r.readBack(c, kafkatest.DefaultTopic)
		row := r.verify(st, counts, smp.finish())
		zeroLoss(t, row, steadyN)
		if h.Hits() == 0 {
			t.Error("the fault never fired")
		}
		// NOT_ENOUGH_REPLICAS is answered before the append, and no
		// connection dropped: a copy would mean the sink sent a record twice.
		if row.Duplicates != 0 {
			t.Errorf("%d duplicates, want none: the faulted requests appended nothing", row.Duplicates)
		}
	})

	t.Run("every produce times out after the append", func(t *testing.T) {
		c := kafkatest.Start(t)
		r := newFaultRun(t, "1 every produce REQUEST_TIMED_OUT (appended)", steadyN)
		s := mustNew(t, r.config(c))
		smp := startSampler(20*time.Millisecond, false)
		wait := r.start(s, steady())

		r.waitWritten(steadyN/4, 30*time.Second)
		// REQUEST_TIMED_OUT appends the records anyway, so every record of
		// a faulted request is in Kafka once more than it is delivered.
		var appended atomic.Int64
		h := c.Kfake().Fault(kfake.Fault{
			Keys: []kmsg.Key{kmsg.Produce}, Partitions: []int32{0, 1, 2}, Err: kerr.RequestTimedOut, Count: -1,
			When: func(req kmsg.Request) bool {
				// kafka-go sends one partition per request.
				for _, rt := range req.(*kmsg.ProduceRequest).Topics {
					for _, rp := range rt.Partitions {
						var b kmsg.RecordBatch
						if b.ReadFrom(rp.Records) == nil {
							appended.Add(int64(b.NumRecords))
						}
					}
				}
				return true
			},
		})
		time.Sleep(500 * time.Millisecond)
		h.Remove()
		wait(ctxFor(t, 60*time.Second))
		flush(t, s, 30*time.Second)
		err, st := closeSink(t, s, 10*time.Second)
		if err != nil {
			t.Errorf("Close = %v", err)
		}
		counts, _ := r.readBack(c, kafkatest.DefaultTopic)
		row := r.verify(st, counts, smp.finish())
		zeroLoss(t, row, steadyN)
		if h.Hits() == 0 {
			t.Fatal("the fault never fired")
		}
		if int64(row.Duplicates) != appended.Load() {
			t.Errorf("%d duplicates read back, want %d: the records of the %d faulted requests", row.Duplicates, appended.Load(), h.Hits())
		}
	})

	t.Run("outage longer than RetryTimeLimit", func(t *testing.T) {
		c := kafkatest.Start(t)
		r := newFaultRun(t, "1 brokers stopped 1.2s > RetryTimeLimit 300ms", steadyN)
		cfg := r.config(c)
		cfg.RetryTimeLimit = 300 * time.Millisecond
		s := mustNew(t, cfg)
		smp := startSampler(20*time.Millisecond, false)
		wait := r.start(s, steady())

		r.waitWritten(steadyN/4, 30*time.Second)
		c.Stop()
		time.Sleep(1200 * time.Millisecond)
		if err := c.Restart(); err != nil {
			t.Fatal(err)
		}
		wait(ctxFor(t, 60*time.Second))
		// Flush reports the entries that expired: not nil.
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		ferr := s.Flush(ctx)
		cancel()
		var ue *core.UndeliveredError
		if ferr != nil && (!errors.As(ferr, &ue) || !errors.Is(ferr, core.ErrDropped)) {
			t.Errorf("Flush = %v, want nil or an UndeliveredError for dropped entries", ferr)
		}
		err, st := closeSink(t, s, 10*time.Second)
		if err != nil {
			t.Errorf("Close = %v", err)
		}
		counts, _ := r.readBack(c, kafkatest.DefaultTopic)
		row := r.verify(st, counts, smp.finish())
		if row.Dropped.RetriesExhausted == 0 {
			t.Errorf("no entry dropped as RetriesExhausted after an outage 4× RetryTimeLimit")
		}
		if other := row.Dropped.Total() - row.Dropped.RetriesExhausted; other != 0 {
			t.Errorf("%d drops for other reasons than RetriesExhausted: %+v", other, row.Dropped)
		}
	})
}

// 2. Leader moves and a broker restart mid-stream.
func TestFaultLeaderMovesAndBrokerRestart(t *testing.T) {
	c := kafkatest.Start(t)
	r := newFaultRun(t, "2 leader moves, new broker, broker restart", steadyN)
	cfg := r.config(c)
	s := mustNew(t, cfg)
	smp := startSampler(20*time.Millisecond, false)
	wait := r.start(s, steady())
	k := c.Kfake()
	const topic = kafkatest.DefaultTopic

	r.waitWritten(1500, 30*time.Second)
	for p := int32(0); p < kafkatest.DefaultPartitions; p++ {
		if err := k.MoveTopicPartition(topic, p, (k.LeaderFor(topic, p)+1)%kafkatest.DefaultBrokers); err != nil {
			t.Fatal(err)
		}
	}
	r.waitWritten(3000, 30*time.Second)
	k.ShufflePartitionLeaders()

	r.waitWritten(4500, 30*time.Second)
	node, _, err := k.AddNode(-1, 0)
	if err != nil {
		t.Fatal(err)
	}
	if err := k.MoveTopicPartition(topic, 0, node); err != nil {
		t.Fatal(err)
	}

	// Restart the leader of partition 1 on its port: it goes away (its
	// partitions get new leaders), then comes back empty-handed.
	r.waitWritten(6000, 30*time.Second)
	addrs := brokerAddrs(t, c)
	leader := k.LeaderFor(topic, 1)
	_, port, _ := strings.Cut(addrs[leader], ":")
	if err := k.RemoveNode(leader); err != nil {
		t.Fatal(err)
	}
	time.Sleep(200 * time.Millisecond)
	p, _ := strconv.Atoi(port)
	if _, _, err := k.AddNode(leader, p); err != nil {
		t.Fatalf("AddNode(%d, %d): %v", leader, p, err)
	}
	if err := k.MoveTopicPartition(topic, 1, leader); err != nil {
		t.Fatal(err)
	}
	t.Logf("moved every leader, shuffled, added node %d, restarted node %d on %s", node, leader, addrs[leader])

	wait(ctxFor(t, 60*time.Second))
	flush(t, s, 30*time.Second)
	cerr, st := closeSink(t, s, 10*time.Second)
	if cerr != nil {
		t.Errorf("Close = %v", cerr)
	}
	counts, _ := r.readBack(c, topic)
	row := r.verify(st, counts, smp.finish())
	zeroLoss(t, row, steadyN)
}

// 3. A slow broker: Write never blocks (default policy), the queue fills and
// drops are counted by reason (and by level: with the default load
// shedding, info entries go first); the Block policy blocks only up to its
// timeout.
func TestFaultSlowBroker(t *testing.T) {
	t.Run("every produce takes 50ms, defaults", func(t *testing.T) {
		c := kafkatest.Start(t)
		holdProduce(c, nil, 50*time.Millisecond)
		const n = 20000
		r := newFaultRun(t, "3 slow broker (50ms/produce), defaults", n)
		cfg := r.config(c)
		cfg.QueueLimit = 2000
		s := mustNew(t, cfg)
		smp := startSampler(20*time.Millisecond, false)
		// Full speed, far more than 3 partitions × 100 records / 50ms; one
		// entry in ten is an error.
		wait := r.start(s, stream{goroutines: 4, gen: mixedEntry})
		wait(ctxFor(t, 60*time.Second))
		flush(t, s, 60*time.Second)
		cerr, st := closeSink(t, s, 10*time.Second)
		if cerr != nil {
			t.Errorf("Close = %v", cerr)
		}
		counts, _ := r.readBack(c, kafkatest.DefaultTopic)
		row := r.verify(st, counts, smp.finish())
		checkShedAndQueueFull(t, r, st)
		if row.Dropped.Shed == 0 {
			t.Errorf("nothing shed: drops %+v", row.Dropped)
		}
		if row.Delivered != row.Accepted {
			t.Errorf("delivered %d of %d accepted entries, want all", row.Delivered, row.Accepted)
		}
		logLevelRatios(t, r)
	})

	t.Run("stuck broker, defaults", func(t *testing.T) {
		c := kafkatest.Start(t)
		release := make(chan struct{})
		t.Cleanup(func() { closeOnce(release) })
		held := holdProduce(c, release, 0)
		const n, limit = 10000, 2000
		r := newFaultRun(t, "3 stuck broker, defaults (shed info at 80%)", n)
		cfg := r.config(c)
		cfg.QueueLimit = limit
		s := mustNew(t, cfg)
		smp := startSampler(20*time.Millisecond, false)
		wait := r.start(s, stream{goroutines: 4, gen: mixedEntry})
		// Every Write returns although no produce request is answered.
		wait(ctxFor(t, 60*time.Second))
		mid := s.Stats()
		// Info entries fill the queue to 80%, errors the rest.
		if mid.Delivered != 0 || mid.Accepted != limit || uint64(mid.QueueDepth) != mid.Accepted {
			t.Errorf("with the broker stuck: %+v; want nothing delivered, %d accepted, all of them held", mid, limit)
		}
		info, errs := acceptedByLevel(r)
		if info > limit*8/10 || errs < limit*2/10 {
			t.Errorf("accepted %d info and %d error entries; want at most %d info (ShedThreshold 0.8) and the rest errors", info, errs, limit*8/10)
		}
		if held.Load() == 0 {
			t.Error("no produce request reached the stuck broker")
		}
		closeOnce(release)
		flush(t, s, 60*time.Second)
		cerr, st := closeSink(t, s, 10*time.Second)
		if cerr != nil {
			t.Errorf("Close = %v", cerr)
		}
		counts, _ := r.readBack(c, kafkatest.DefaultTopic)
		row := r.verify(st, counts, smp.finish())
		checkShedAndQueueFull(t, r, st)
		if row.Dropped.Shed == 0 || row.Dropped.QueueFull == 0 {
			t.Errorf("drops %+v, want info entries shed and error entries dropped when full", row.Dropped)
		}
		if row.Delivered != row.Accepted {
			t.Errorf("delivered %d of %d accepted entries, want all", row.Delivered, row.Accepted)
		}
	})

	t.Run("stuck broker, drop newest", func(t *testing.T) {
		c := kafkatest.Start(t)
		release := make(chan struct{})
		t.Cleanup(func() { closeOnce(release) })
		holdProduce(c, release, 0)
		const n, limit = 10000, 2000
		r := newFaultRun(t, "3 stuck broker, DropNewest, no shedding", n)
		cfg := r.config(c)
		cfg.QueueLimit = limit
		cfg.ShedThreshold = 1
		s := mustNew(t, cfg)
		smp := startSampler(20*time.Millisecond, false)
		wait := r.start(s, stream{goroutines: 4})
		wait(ctxFor(t, 60*time.Second))
		if mid := s.Stats(); mid.Delivered != 0 || mid.Accepted != limit || uint64(mid.QueueDepth) != mid.Accepted {
			t.Errorf("with the broker stuck: %+v; want nothing delivered, %d accepted, all of them held", mid, limit)
		}
		closeOnce(release)
		flush(t, s, 60*time.Second)
		cerr, st := closeSink(t, s, 10*time.Second)
		if cerr != nil {
			t.Errorf("Close = %v", cerr)
		}
		counts, _ := r.readBack(c, kafkatest.DefaultTopic)
		row := r.verify(st, counts, smp.finish())
		checkQueueFullOnly(t, r, row)
		if row.Delivered != limit {
			t.Errorf("delivered %d, want the %d accepted", row.Delivered, limit)
		}
	})

	t.Run("stuck broker, drop oldest", func(t *testing.T) {
		c := kafkatest.Start(t)
		release := make(chan struct{})
		t.Cleanup(func() { closeOnce(release) })
		holdProduce(c, release, 0)
		const n, limit, goroutines = 10000, 2000, 4
		r := newFaultRun(t, "3 stuck broker, DropOldest, no shedding", n)
		cfg := r.config(c)
		cfg.QueueLimit = limit
		cfg.OverflowPolicy = core.DropOldest
		cfg.ShedThreshold = 1
		s := mustNew(t, cfg)
		smp := startSampler(20*time.Millisecond, false)
		// Four writers at full speed, then the newest entries from one.
		const newest = 500
		r.start(s, stream{goroutines: goroutines, perG: (n - newest) / goroutines})(ctxFor(t, 60*time.Second))
		r.start(s, stream{base: n - newest, goroutines: 1})(ctxFor(t, 60*time.Second))
		if mid := s.Stats(); mid.Delivered != 0 || mid.QueueDepth != limit {
			t.Errorf("with the broker stuck: %+v; want nothing delivered, %d held", mid, limit)
		}
		closeOnce(release)
		flush(t, s, 60*time.Second)
		cerr, st := closeSink(t, s, 10*time.Second)
		if cerr != nil {
			t.Errorf("Close = %v", cerr)
		}
		counts, _ := r.readBack(c, kafkatest.DefaultTopic)
		row := r.verify(st, counts, smp.finish())
		// The batcher takes at most 2×BatchSizeLimit×MaxInFlight entries
		// out of the queue, so the queue always has an old entry to drop.
		if got := r.writeErrs.queueFull.Load(); got != 0 {
			t.Errorf("%d Writes returned ErrQueueFull under DropOldest, want 0", got)
		}
		if row.Dropped.QueueFull != n-limit || row.Dropped.Total() != row.Dropped.QueueFull {
			t.Errorf("drops %+v, want %d, all QueueFull", row.Dropped, n-limit)
		}
		// The newest entries survive: the queue keeps the last
		// QueueLimit - 2×BatchSizeLimit×MaxInFlight = 1000 accepted.
		missing := 0
		for id := n - newest; id < n; id++ {
			if counts[id] == 0 {
				missing++
			}
		}
		if missing > 0 {
			t.Errorf("%d of the newest %d entries were not delivered under DropOldest", missing, newest)
		}
	})

	t.Run("stuck broker, Block times out", func(t *testing.T) {
		c := kafkatest.Start(t)
		release := make(chan struct{})
		t.Cleanup(func() { closeOnce(release) })
		holdProduce(c, release, 0)
		const limit, blockTimeout = 200, 100 * time.Millisecond
		const goroutines, blockedPerG = 4, 5
		r := newFaultRun(t, "3 stuck broker, Block 100ms", limit+goroutines*blockedPerG)
		cfg := r.config(c)
		cfg.QueueLimit = limit
		cfg.OverflowPolicy = core.Block
		cfg.BlockTimeout = blockTimeout
		cfg.ShedThreshold = 1
		s := mustNew(t, cfg)
		smp := startSampler(20*time.Millisecond, false)
		// Fill the queue: these all fit.
		r.start(s, stream{goroutines: 1, perG: limit})(ctxFor(t, 30*time.Second))
		if got := r.okWrites.Load(); got != limit {
			closeOnce(release)
			t.Fatalf("%d of %d Writes fit an empty queue", got, limit)
		}
		// Each further Write waits BlockTimeout, then drops its entry.
		r.timeWrites = true
		var wg sync.WaitGroup
		for g := 0; g < goroutines; g++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for k := 0; k < blockedPerG; k++ {
					id := limit + g*blockedPerG + k
					r.write(s, id, plainEntry(nil, g, id))
				}
			}()
		}
		waitGroup(t, &wg, 30*time.Second)
		r.blockMu.Lock()
		blocked := slices.Clone(r.blocked)
		r.blockMu.Unlock()
		if len(blocked) != goroutines*blockedPerG {
			t.Errorf("%d Writes returned ErrQueueFull, want %d", len(blocked), goroutines*blockedPerG)
		}
		for _, d := range blocked {
			if d < blockTimeout {
				t.Errorf("a Write gave up after %v, before BlockTimeout %v", d, blockTimeout)
			}
		}
		if len(blocked) > 0 {
			t.Logf("blocked Writes returned ErrQueueFull after %v … %v (BlockTimeout %v)", slices.Min(blocked), slices.Max(blocked), blockTimeout)
		}
		closeOnce(release)
		flush(t, s, 30*time.Second)
		cerr, st := closeSink(t, s, 10*time.Second)
		if cerr != nil {
			t.Errorf("Close = %v", cerr)
		}
		counts, _ := r.readBack(c, kafkatest.DefaultTopic)
		row := r.verify(st, counts, smp.finish())
		checkQueueFullOnly(t, r, row)
		if row.Delivered != limit || row.Dropped.QueueFull != goroutines*blockedPerG {
			t.Errorf("delivered %d, dropped %+v; want %d delivered, %d queue-full drops", row.Delivered, row.Dropped, limit, goroutines*blockedPerG)
		}
	})

	t.Run("stuck broker, Block waits for room", func(t *testing.T) {
		c := kafkatest.Start(t)
		release := make(chan struct{})
		t.Cleanup(func() { closeOnce(release) })
		holdProduce(c, release, 0)
		const limit, goroutines, perG = 200, 4, 50
		r := newFaultRun(t, "3 stuck then released, Block 30s", limit+goroutines*perG)
		cfg := r.config(c)
		cfg.QueueLimit = limit
		cfg.OverflowPolicy = core.Block
		cfg.BlockTimeout = 30 * time.Second // never reached: the broker is released first
		cfg.ShedThreshold = 1
		s := mustNew(t, cfg)
		smp := startSampler(20*time.Millisecond, false)
		r.start(s, stream{goroutines: 1, perG: limit})(ctxFor(t, 30*time.Second))
		// These block until the broker answers and frees room.
		var wg sync.WaitGroup
		for g := 0; g < goroutines; g++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for k := 0; k < perG; k++ {
					id := limit + g*perG + k
					r.write(s, id, plainEntry(nil, g, id))
				}
			}()
		}
		time.Sleep(100 * time.Millisecond)
		if got := r.written.Load(); got != limit {
			t.Errorf("%d entries written while the queue was full and the broker stuck, want %d (the rest blocked)", got, limit)
		}
		closeOnce(release)
		waitGroup(t, &wg, 60*time.Second)
		flush(t, s, 30*time.Second)
		cerr, st := closeSink(t, s, 10*time.Second)
		if cerr != nil {
			t.Errorf("Close = %v", cerr)
		}
		counts, _ := r.readBack(c, kafkatest.DefaultTopic)
		row := r.verify(st, counts, smp.finish())
		zeroLoss(t, row, limit+goroutines*perG)
	})
}

// checkShedAndQueueFull asserts, for a stream of mixedEntry, that every
// refused Write was counted as Shed (info entries only) or QueueFull
// (error entries only: info entries are shed before the queue is full).
func checkShedAndQueueFull(t *testing.T, r *faultRun, st core.Stats) {
	t.Helper()
	d := st.Dropped
	if qf := uint64(r.writeErrs.queueFull.Load()); d.Shed+d.QueueFull != qf || d.Total() != qf {
		t.Errorf("%d Writes returned ErrQueueFull; drops %+v; want all of them counted as Shed or QueueFull", qf, d)
	}
	if got := st.DroppedByLevel[core.InfoLevel]; got != d.Shed {
		t.Errorf("%d info entries dropped, want %d (Shed)", got, d.Shed)
	}
	if got := st.DroppedByLevel[core.ErrorLevel]; got != d.QueueFull {
		t.Errorf("%d error entries dropped, want %d (QueueFull)", got, d.QueueFull)
	}
}

// acceptedByLevel counts the accepted entries of a mixedEntry stream.
func acceptedByLevel(r *faultRun) (info, errs int) {
	for id, s := range r.state {
		if s == stAccepted {
			if mixedLevel(id) == core.ErrorLevel {
				errs++
			} else {
				info++
			}
		}
	}
	return info, errs
}

func logLevelRatios(t *testing.T, r *faultRun) {
	var wi, we int
	for id, s := range r.state {
		if s != stUnwritten {
			if mixedLevel(id) == core.ErrorLevel {
				we++
			} else {
				wi++
			}
		}
	}
	ai, ae := acceptedByLevel(r)
	t.Logf("accepted %d of %d info entries (%.0f%%), %d of %d error entries (%.0f%%)",
		ai, wi, 100*float64(ai)/float64(max(wi, 1)), ae, we, 100*float64(ae)/float64(max(we, 1)))
}

// checkQueueFullOnly asserts that some entries, and only queue-full ones,
// were dropped, each reported by its Write.
func checkQueueFullOnly(t *testing.T, r *faultRun, row faultRow) {
	t.Helper()
	qf := r.writeErrs.queueFull.Load()
	if qf == 0 || row.Dropped.QueueFull != uint64(qf) || row.Dropped.Total() != row.Dropped.QueueFull {
		t.Errorf("%d Writes returned ErrQueueFull; drops %+v; want some, all counted as QueueFull", qf, row.Dropped)
	}
}

func closeOnce(ch chan struct{}) {
	select {
	case <-ch:
	default:
		close(ch)
	}
}

func waitGroup(t *testing.T, wg *sync.WaitGroup, d time.Duration) {
	t.Helper()
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(d):
		t.Fatalf("writers still blocked after %v", d)
	}
}

// 4. Retriable produce errors on some partitions only: the others keep
// flowing.
func TestFaultSomePartitions(t *testing.T) {
	t.Run("unkeyed entries avoid the failing partition", func(t *testing.T) {
		c := kafkatest.Start(t)
		r := newFaultRun(t, "4 partition 0 fails, unkeyed", steadyN)
		h := c.Kfake().Fault(kfake.Fault{Keys: []kmsg.Key{kmsg.Produce}, Topic: kafkatest.DefaultTopic,
			Partitions: []int32{0}, Err: kerr.NotEnoughReplicas, Count: -1})
		s := mustNew(t, r.config(c))
		smp := startSampler(20*time.Millisecond, false)
		r.start(s, steady())(ctxFor(t, 60*time.Second))
		// Everything is delivered while partition 0 still fails.
		flush(t, s, 30*time.Second)
		if h.Hits() == 0 {
			t.Error("no request reached the failing partition")
		}
		h.Remove()
		cerr, st := closeSink(t, s, 10*time.Second)
		if cerr != nil {
			t.Errorf("Close = %v", cerr)
		}
		counts, recs := r.readBack(c, kafkatest.DefaultTopic)
		for _, rec := range recs {
			if rec.Partition == 0 {
				t.Fatalf("record %v in the failing partition", rec)
			}
		}
		row := r.verify(st, counts, smp.finish())
		zeroLoss(t, row, steadyN)
		if row.Duplicates != 0 {
			t.Errorf("%d duplicates, want none", row.Duplicates)
		}
	})

	t.Run("keyed entries of other partitions keep flowing", func(t *testing.T) {
		c := kafkatest.Start(t)
		const topic, goroutines = "keyed", 4
		c.CreateTopic(t, topic, kafkatest.DefaultPartitions)
		r := newFaultRun(t, "4 partition 0 NOT_LEADER, keyed", steadyN)
		key := func(g, id int) string { return "g" + strconv.Itoa(g) + "-k" + strconv.Itoa(id/goroutines%8) }
		var onP0 uint64
		for id := 0; id < steadyN; id++ {
			if partitionOf(key(id%goroutines, id), kafkatest.DefaultPartitions) == 0 {
				onP0++
			}
		}
		if onP0 == 0 || onP0 == steadyN {
			t.Fatalf("%d of %d entries on partition 0: pick other keys", onP0, steadyN)
		}
		h := c.Kfake().Fault(kfake.Fault{Keys: []kmsg.Key{kmsg.Produce}, Topic: topic,
			Partitions: []int32{0}, Err: kerr.NotLeaderForPartition, Count: -1})
		cfg := r.config(c)
		cfg.Topic = topic
		cfg.KeyDecider = func(e core.Entry) []byte {
			v, _ := e.RawField("k")
			return bytes.Trim(v, `"`)
		}
		s := mustNew(t, cfg)
		smp := startSampler(20*time.Millisecond, false)
		st := steady()
		st.gen = func(buf []byte, g, id int) core.Entry { return entryWith(buf, g, id, core.InfoLevel, "", key(g, id), 60) }
		r.start(s, st)(ctxFor(t, 60*time.Second))

		// The entries of partitions 1 and 2 all arrive while 0 fails.
		waitFor(t, 30*time.Second, func() bool { return s.Stats().Delivered == steadyN-onP0 },
			func() string { return fmt.Sprintf("stats %+v, want %d delivered", s.Stats(), steadyN-onP0) })
		if mid := s.Stats(); uint64(mid.QueueDepth) != onP0 {
			t.Errorf("%d entries held while partition 0 fails, want its %d", mid.QueueDepth, onP0)
		}
		if h.Hits() == 0 {
			t.Error("no request reached the failing partition")
		}
		h.Remove()
		flush(t, s, 30*time.Second)
		cerr, stats := closeSink(t, s, 10*time.Second)
		if cerr != nil {
			t.Errorf("Close = %v", cerr)
		}
		counts, recs := r.readBack(c, topic)
		row := r.verify(stats, counts, smp.finish())
		zeroLoss(t, row, steadyN)
		// Every record is on its key's partition, and each key's ids come
		// in the order they were written, retries or not.
		last := map[string]int{}
		for _, rec := range recs {
			if want := partitionOf(string(rec.Key), kafkatest.DefaultPartitions); rec.Partition != want {
				t.Errorf("record %v on partition %d, want %d (murmur2)", rec, rec.Partition, want)
			}
			id, _ := parseID(rec.Value)
			if prev, ok := last[string(rec.Key)]; ok && id < prev {
				t.Errorf("key %s: id %d after id %d: order lost", rec.Key, id, prev)
			}
			last[string(rec.Key)] = id
		}
	})
}

// zeroLoss asserts that every entry of a run of n was accepted and
// delivered: the outage fitted the retry budget and the queue.
func zeroLoss(t *testing.T, row faultRow, n int) {
	t.Helper()
	if row.Written != int64(n) || row.Accepted != uint64(n) || row.Delivered != uint64(n) || row.Dropped.Total() != 0 {
		t.Errorf("%s: written %d, accepted %d, delivered %d, dropped %+v; want all %d delivered, none dropped",
			row.Fault, row.Written, row.Accepted, row.Delivered, row.Dropped, n)
	}
}

func ctxFor(t *testing.T, d time.Duration) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	t.Cleanup(cancel)
	return ctx
}

// TestFaultReport prints the summary table of the fault tests that ran.
// It is last in the file so that it runs after them.
func TestFaultReport(t *testing.T) {
	faultTable.mu.Lock()
	defer faultTable.mu.Unlock()
	if len(faultTable.rows) == 0 {
		t.Skip("no fault test ran")
	}
	out := "\n" + faultHeader + "\n"
	for _, row := range faultTable.rows {
		out += row.String() + "\n"
	}
	t.Log(out)
}
