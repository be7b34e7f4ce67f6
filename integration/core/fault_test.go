package core_test

// The fault suite of issue 6: each test runs a steady stream of entries with
// unique ids from several goroutines against kfake while a fault plays out,
// closes the sink, reads everything back with franz-go and checks the
// accounting with faultRun.verify (fault_helpers_test.go): delivered +
// counted drops == accepted, nothing lost, every drop in Fallback once (or
// counted as never given to it), duplicates counted and reported.
// TestFaultReport, last, prints the table.
//
// Every scenario starts with startFault and ends with faultTest.end, the
// one wait/flush/close/read-back/verify tail, and runs under guard: a hang
// fails it with every goroutine's stack. Waits are on conditions; a sleep
// is the length of a fault, never a wait for the sink.
//
// A test that trips over a core issue this suite found skips itself with
// "KNOWN ISSUE" (knownBug), after everything else it checks has passed; it
// passes again by itself once the issue is fixed.
//
// Run: go test -race -count=1 -run Fault -v ./integration/core/

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"runtime"
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
	"github.com/kafkasink/kafkasink/integration/internal/testutil"
	"github.com/kafkasink/kafkasink/integration/kafkatest"
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
		guard(t, func() {
			f := startFault(t, kafkatest.Start(t), "1 all brokers stopped 700ms, restarted", steadyN, nil)
			f.stream(steady())
			f.waitWritten(steadyN/4, 30*time.Second)
			f.c.Stop()
			down := f.written.Load()
			time.Sleep(700 * time.Millisecond) // the outage
			if err := f.c.Restart(); err != nil {
				t.Fatal(err)
			}
			t.Logf("brokers down from entry %d to %d", down, f.written.Load())
			o := f.end(ending{})
			zeroLoss(t, o.row, steadyN)
			if o.stats.Retries == 0 || f.errs.produce.Load()+f.errs.meta.Load() == 0 {
				t.Errorf("no failed attempt during the outage (retries %d, %v): the fault did not bite", o.stats.Retries, &f.errs)
			}
		})
	})

	t.Run("every produce fails retriably", func(t *testing.T) {
		guard(t, func() {
			f := startFault(t, kafkatest.Start(t), "1 every produce NOT_ENOUGH_REPLICAS 700ms", steadyN, nil)
			f.stream(steady())
			f.waitWritten(steadyN/4, 30*time.Second)
			h := f.c.Kfake().Fault(kfake.Fault{Keys: []kmsg.Key{kmsg.Produce}, Err: kerr.NotEnoughReplicas, Count: -1})
			time.Sleep(700 * time.Millisecond) // the fault
			h.Remove()
			o := f.end(ending{})
			zeroLoss(t, o.row, steadyN)
			if h.Hits() == 0 {
				t.Error("the fault never fired")
			}
			// NOT_ENOUGH_REPLICAS is answered before the append, and no
			// connection dropped: a copy would mean the sink sent a record twice.
			if o.row.Duplicates != 0 {
				t.Errorf("%d duplicates, want none: the faulted requests appended nothing", o.row.Duplicates)
			}
		})
	})

	t.Run("every produce times out after the append", func(t *testing.T) {
		guard(t, func() {
			f := startFault(t, kafkatest.Start(t), "1 every produce REQUEST_TIMED_OUT (appended)", steadyN, nil)
			f.stream(steady())
			f.waitWritten(steadyN/4, 30*time.Second)
			// REQUEST_TIMED_OUT appends the records anyway, so every record of
			// a faulted request is in Kafka once more than it is delivered.
			var appended atomic.Int64
			h := f.c.Kfake().Fault(kfake.Fault{
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
			time.Sleep(500 * time.Millisecond) // the fault
			h.Remove()
			o := f.end(ending{})
			zeroLoss(t, o.row, steadyN)
			if h.Hits() == 0 {
				t.Fatal("the fault never fired")
			}
			if int64(o.row.Duplicates) != appended.Load() {
				t.Errorf("%d duplicates read back, want %d: the records of the %d faulted requests", o.row.Duplicates, appended.Load(), h.Hits())
			}
		})
	})

	t.Run("DropOldest keeps the newest entries", func(t *testing.T) {
		guard(t, func() {
			const n, limit, newest = 10000, 2000, 500
			f := startFault(t, kafkatest.Start(t), "1 brokers stopped, DropOldest, no shedding", n, func(cfg *core.Config) {
				cfg.QueueLimit = limit
				cfg.OverflowPolicy = core.DropOldest
				cfg.ShedThreshold = 1
			})
			// The sink knows the topic; then the brokers go away.
			f.write(stream{goroutines: 1, perG: 100})
			flush(t, f.s, 30*time.Second)
			f.c.Stop()
			// Four writers at full speed, then the newest entries from one.
			f.write(stream{base: 100, goroutines: 4, perG: (n - 100 - newest) / 4})
			f.write(stream{base: n - newest, goroutines: 1})
			// DropOldest takes the newest entries a little over QueueLimit and
			// has the batcher drop the oldest: let it settle, so that Flush
			// below waits only for entries that will be delivered.
			mid := settleBelow(f.s, limit)
			if err := f.c.Restart(); err != nil {
				t.Fatal(err)
			}
			o := f.end(ending{flushErr: wantNilOrDropped(t, "Flush"), closeErr: wantNilOrDropped(t, "Close")})
			t.Logf("during the outage: %d held, %d Writes refused", mid.QueueDepth, f.writeErrs.queueFull.Load())
			refused, missing := 0, 0
			for id := n - newest; id < n; id++ {
				if f.state[id] != stAccepted {
					refused++
				}
				if o.counts[id] == 0 {
					missing++
				}
			}
			if refused > 0 || missing > 0 {
				knownBug(t, "DropOldest during an outage: %d of the newest %d entries refused by Write, %d not delivered; "+
					"want the oldest dropped to make room. Since 2f392c3, pull takes holdLimit-sendable() entries and "+
					"sendable() leaves out failing partitions, so the batcher moves the whole queue into the failing "+
					"partitions, where DropOldest cannot reach: it then drops the newest (at 2eafc1b this test passes)",
					refused, newest, missing)
			}
		})
	})

	t.Run("outage longer than RetryTimeLimit", func(t *testing.T) {
		guard(t, func() {
			f := startFault(t, kafkatest.Start(t), "1 brokers stopped 1.2s > RetryTimeLimit 300ms", steadyN, func(cfg *core.Config) {
				cfg.RetryTimeLimit = 300 * time.Millisecond
			})
			f.stream(steady())
			f.waitWritten(steadyN/4, 30*time.Second)
			f.c.Stop()
			time.Sleep(1200 * time.Millisecond) // the outage
			if err := f.c.Restart(); err != nil {
				t.Fatal(err)
			}
			o := f.end(ending{flushIn: 30 * time.Second, flushErr: func(err error) {
				// Flush reports the entries that expired: not nil.
				var ue *core.UndeliveredError
				if err != nil && (!errors.As(err, &ue) || !errors.Is(err, core.ErrDropped)) {
					t.Errorf("Flush = %v, want nil or an UndeliveredError for dropped entries", err)
				}
			}, closeErr: wantNilOrDropped(t, "Close")})
			if o.row.Dropped.RetriesExhausted == 0 {
				t.Errorf("no entry dropped as RetriesExhausted after an outage 4× RetryTimeLimit")
			}
			if other := o.row.Dropped.Total() - o.row.Dropped.RetriesExhausted; other != 0 {
				t.Errorf("%d drops for other reasons than RetriesExhausted: %+v", other, o.row.Dropped)
			}
		})
	})
}

// settleBelow waits (up to 10s) until s holds at most limit entries, as
// DropOldest promises once the batcher has dropped the oldest, and nothing
// changes any more (the brokers are down or stuck), and returns the stats
// then.
func settleBelow(s *core.Sink, limit int) core.Stats {
	prev := s.Stats()
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); {
		time.Sleep(20 * time.Millisecond)
		st := s.Stats()
		if st.QueueDepth <= limit && st.QueueDepth == prev.QueueDepth && st.Dropped == prev.Dropped {
			return st
		}
		prev = st
	}
	return prev
}

// wantNilOrDropped returns a check of the error of Flush or Close (what)
// for a scenario in which accepted entries were dropped before the call:
// the error counts every accepted entry that was dropped since New (issue
// 9), so it may be an UndeliveredError for ErrDropped; anything else is
// wrong.
func wantNilOrDropped(t *testing.T, what string) func(error) {
	return func(err error) {
		t.Helper()
		if err != nil && !errors.Is(err, core.ErrDropped) {
			t.Errorf("%s = %v, want nil or an UndeliveredError for dropped entries", what, err)
		}
	}
}

// 2. Leader moves and a broker restart mid-stream.
func TestFaultLeaderMovesAndBrokerRestart(t *testing.T) {
	guard(t, func() {
		f := startFault(t, kafkatest.Start(t), "2 leader moves, new broker, broker restart", steadyN, nil)
		f.stream(steady())
		k := f.c.Kfake()
		const topic = kafkatest.DefaultTopic

		f.waitWritten(1500, 30*time.Second)
		for p := int32(0); p < kafkatest.DefaultPartitions; p++ {
			if err := k.MoveTopicPartition(topic, p, (k.LeaderFor(topic, p)+1)%kafkatest.DefaultBrokers); err != nil {
				t.Fatal(err)
			}
		}
		f.waitWritten(3000, 30*time.Second)
		k.ShufflePartitionLeaders()

		f.waitWritten(4500, 30*time.Second)
		node, _, err := k.AddNode(-1, 0)
		if err != nil {
			t.Fatal(err)
		}
		if err := k.MoveTopicPartition(topic, 0, node); err != nil {
			t.Fatal(err)
		}

		// Restart the leader of partition 1 on its port: it goes away (its
		// partitions get new leaders), then a broker comes back there and
		// leads partition 1 again. It comes back under a new node ID: kfake
		// keeps serving a removed broker's open connections, so under the same
		// ID kafka-go would go on using them (see
		// TestFaultBrokerRestartSameNodeID), where a real restart drops them.
		f.waitWritten(6000, 30*time.Second)
		addrs := brokerAddrs(t, f.c)
		leader := k.LeaderFor(topic, 1)
		_, port, _ := strings.Cut(addrs[leader], ":")
		if err := k.RemoveNode(leader); err != nil {
			t.Fatal(err)
		}
		time.Sleep(200 * time.Millisecond) // the broker is down this long
		p, _ := strconv.Atoi(port)
		back, _, err := k.AddNode(10+leader, p) // an ID never used before
		if err != nil {
			t.Fatalf("AddNode(%d, %d): %v", 10+leader, p, err)
		}
		if err := k.MoveTopicPartition(topic, 1, back); err != nil {
			t.Fatal(err)
		}
		t.Logf("moved every leader, shuffled, added node %d, restarted node %d on %s as node %d", node, leader, addrs[leader], back)

		o := f.end(ending{flushIn: 30 * time.Second})
		zeroLoss(t, o.row, steadyN)
	})
}

// A broker restarted under the same node ID while kafka-go holds a
// connection to it. In kfake the removed broker's connection stays open and
// answers NOT_LEADER_FOR_PARTITION for ever; a real restart would drop it.
// The sink refreshes its metadata, which names that node as the leader, and
// sends again on the same idle connection: it never gets through. (A
// zombie connection is rare in real clusters; closing idle connections
// after repeated NOT_LEADER from the leader that fresh metadata names
// would recover from it.)
func TestFaultBrokerRestartSameNodeID(t *testing.T) {
	guard(t, func() {
		const topic = "one"
		c := kafkatest.Start(t, kfake.NumBrokers(2))
		k := c.Kfake()
		if err := k.CreateTopic(topic, 1, nil); err != nil {
			t.Fatal(err)
		}
		if err := k.MoveTopicPartition(topic, 0, 0); err != nil {
			t.Fatal(err)
		}
		const n = 2000
		f := startFault(t, c, "2 broker restarted, same node ID", n, func(cfg *core.Config) { cfg.Topic = topic })
		// One partition: one request at a time, one connection to its leader.
		f.write(stream{goroutines: 1, perG: n / 2, burst: 10, pause: time.Millisecond})
		flush(t, f.s, 30*time.Second)

		// Broker 0 restarts between two requests: by the next one, it is back
		// and leads the partition again, so kafka-go's metadata has not
		// changed and it keeps its connection.
		port, _ := strconv.Atoi(strings.Split(brokerAddrs(t, c)[0], ":")[1])
		if err := k.RemoveNode(0); err != nil {
			t.Fatal(err)
		}
		if _, _, err := k.AddNode(0, port); err != nil {
			t.Fatal(err)
		}
		if err := k.MoveTopicPartition(topic, 0, 0); err != nil {
			t.Fatal(err)
		}
		f.write(stream{base: n / 2, goroutines: 1})
		// The sink refreshes metadata within a second of a NOT_LEADER: 5s is
		// plenty to get through if it can. Then Close drops what is stuck,
		// so that the accounting can be checked.
		var ferr error
		var stuck core.Stats
		o := f.end(ending{flushIn: 5 * time.Second, flushErr: func(err error) { ferr, stuck = err, f.s.Stats() },
			closeIn: 300 * time.Millisecond, closeErr: func(error) {}, topics: []string{topic}})
		if ferr != nil {
			knownBug(t, "after broker 0 was removed and re-added on its port, %d entries were still undelivered after 5s "+
				"(Flush = %v; %d retries; last error %v; Close = %v): kafka-go keeps reusing its idle connection to the removed "+
				"broker object, which kfake keeps answering NOT_LEADER; the sink's metadata refresh does not drop it",
				stuck.QueueDepth, ferr, stuck.Retries, stuck.LastError, o.closeErr)
		}
	})
}

// 3. A slow broker: Write never blocks (default policy), the queue fills and
// drops are counted by reason (and by level: with the default load
// shedding, info entries go first); the Block policy blocks only up to its
// timeout.
func TestFaultSlowBroker(t *testing.T) {
	t.Run("every produce takes 50ms, defaults", func(t *testing.T) {
		guard(t, func() {
			c := kafkatest.Start(t)
			holdProduce(c, nil, 50*time.Millisecond)
			const n = 20000
			f := startFault(t, c, "3 slow broker (50ms/produce), defaults", n, func(cfg *core.Config) { cfg.QueueLimit = 2000 })
			// Full speed, far more than 3 partitions × 100 records / 50ms; one
			// entry in ten is an error.
			f.stream(stream{goroutines: 4, gen: mixedEntry})
			o := f.end(ending{})
			checkShedAndQueueFull(t, f.faultRun, o.stats)
			if o.row.Dropped.Shed == 0 {
				t.Errorf("nothing shed: drops %+v", o.row.Dropped)
			}
			if o.row.Delivered != o.row.Accepted {
				t.Errorf("delivered %d of %d accepted entries, want all", o.row.Delivered, o.row.Accepted)
			}
			logLevelRatios(t, f.faultRun)
		})
	})

	t.Run("produce slower than WriteTimeout for a second", func(t *testing.T) {
		guard(t, func() {
			f := startFault(t, kafkatest.Start(t), "3 produce 400ms > WriteTimeout 200ms, 1s", steadyN, func(cfg *core.Config) {
				cfg.WriteTimeout = 200 * time.Millisecond
			})
			f.stream(steady())
			f.waitWritten(steadyN/4, 30*time.Second)
			// Each produce answered in 400ms: the sink gives up on it after
			// 200ms and sends it again, while the broker appends the first.
			// kafka-go may still be writing a request whose context ended:
			// under -race this catches the sink reusing that request's memory.
			var slow atomic.Bool
			slow.Store(true)
			k := f.c.Kfake()
			k.ControlKey(int16(kmsg.Produce), func(kmsg.Request) (kmsg.Response, error, bool) {
				if !slow.Load() {
					k.DropControl()
					return nil, nil, false
				}
				k.KeepControl()
				k.SleepControl(func() { time.Sleep(400 * time.Millisecond) })
				return nil, nil, false
			})
			time.Sleep(time.Second) // the fault
			slow.Store(false)
			o := f.end(ending{})
			zeroLoss(t, o.row, steadyN)
			if o.stats.Retries == 0 {
				t.Error("no retry: no produce request timed out")
			}
		})
	})

	t.Run("stuck broker, defaults", func(t *testing.T) {
		guard(t, func() {
			c, release, held := stuckBroker(t)
			const n, limit = 10000, 2000
			f := startFault(t, c, "3 stuck broker, defaults (shed info at 80%)", n, func(cfg *core.Config) { cfg.QueueLimit = limit })
			// Every Write returns although no produce request is answered.
			f.write(stream{goroutines: 4, gen: mixedEntry})
			mid := f.s.Stats()
			// Info entries fill the queue to 80%, errors the rest.
			if mid.Delivered != 0 || mid.Accepted != limit || uint64(mid.QueueDepth) != mid.Accepted {
				t.Errorf("with the broker stuck: %+v; want nothing delivered, %d accepted, all of them held", mid, limit)
			}
			info, errs := acceptedByLevel(f.faultRun)
			if info > limit*8/10 || errs < limit*2/10 {
				t.Errorf("accepted %d info and %d error entries; want at most %d info (ShedThreshold 0.8) and the rest errors", info, errs, limit*8/10)
			}
			// The Writes are over in microseconds; the batcher's first request
			// (after a metadata round trip) may come just after.
			testutil.WaitFor(t, 10*time.Second, func() bool { return held.Load() > 0 },
				func() string { return "no produce request reached the stuck broker" })
			closeOnce(release)
			o := f.end(ending{})
			checkShedAndQueueFull(t, f.faultRun, o.stats)
			if o.row.Dropped.Shed == 0 || o.row.Dropped.QueueFull == 0 {
				t.Errorf("drops %+v, want info entries shed and error entries dropped when full", o.row.Dropped)
			}
			if o.row.Delivered != o.row.Accepted {
				t.Errorf("delivered %d of %d accepted entries, want all", o.row.Delivered, o.row.Accepted)
			}
		})
	})

	t.Run("stuck broker, drop newest", func(t *testing.T) {
		guard(t, func() {
			c, release, _ := stuckBroker(t)
			const n, limit = 10000, 2000
			f := startFault(t, c, "3 stuck broker, DropNewest, no shedding", n, func(cfg *core.Config) {
				cfg.QueueLimit = limit
				cfg.ShedThreshold = 1
			})
			f.write(stream{goroutines: 4})
			if mid := f.s.Stats(); mid.Delivered != 0 || mid.Accepted != limit || uint64(mid.QueueDepth) != mid.Accepted {
				t.Errorf("with the broker stuck: %+v; want nothing delivered, %d accepted, all of them held", mid, limit)
			}
			closeOnce(release)
			o := f.end(ending{})
			checkQueueFullOnly(t, f.faultRun, o.row)
			if o.row.Delivered != limit {
				t.Errorf("delivered %d, want the %d accepted", o.row.Delivered, limit)
			}
		})
	})

	t.Run("stuck broker, drop oldest", func(t *testing.T) {
		guard(t, func() {
			c, release, _ := stuckBroker(t)
			// QueueLimit binds, not QueueByteLimit: the whole run writes
			// 10000 entries of about 200 bytes, 2 MB, and the byte limit is
			// 64 MiB (set here so that the scenario does not hang on a
			// default). Measured in the flaky runs: QueueBytes 0.6–1 MiB.
			const n, limit, goroutines, queueBytes = 10000, 2000, 4, 64 << 20
			f := startFault(t, c, "3 stuck broker, DropOldest, no shedding", n, func(cfg *core.Config) {
				cfg.QueueLimit = limit
				cfg.QueueByteLimit = queueBytes
				cfg.OverflowPolicy = core.DropOldest
				cfg.ShedThreshold = 1
			})
			// Four writers at full speed, then the newest entries from one.
			const newest = 500
			f.write(stream{goroutines: goroutines, perG: (n - newest) / goroutines})
			f.write(stream{base: n - newest, goroutines: 1})
			// DropOldest takes the newest entries a little over the limit and
			// has the batcher drop the oldest: wait for it to settle.
			mid := settleBelow(f.s, limit)
			if mid.Delivered != 0 || mid.QueueDepth > limit {
				t.Errorf("with the broker stuck: %+v; want nothing delivered, at most %d held", mid, limit)
			}
			if mid.QueueBytes > queueBytes/8 {
				t.Errorf("with the broker stuck: QueueBytes %d, want it far below QueueByteLimit %d: the scenario is about QueueLimit", mid.QueueBytes, queueBytes)
			}
			closeOnce(release)
			o := f.end(ending{flushErr: wantNilOrDropped(t, "Flush"), closeErr: wantNilOrDropped(t, "Close")})
			// The batcher takes at most 2×BatchSizeLimit×MaxInFlight entries
			// out of the queue, so the queue always has an old entry to drop.
			if got := f.writeErrs.queueFull.Load(); got != 0 {
				t.Errorf("%d Writes returned ErrQueueFull under DropOldest, want 0", got)
			}
			// What was held once settled is delivered; the rest was dropped.
			if d := o.row.Dropped; d.QueueFull != uint64(n-mid.QueueDepth) || d.Total() != d.QueueFull || o.row.Delivered != uint64(mid.QueueDepth) {
				t.Errorf("delivered %d, drops %+v; want the %d held delivered and the other %d dropped, all QueueFull", o.row.Delivered, d, mid.QueueDepth, n-mid.QueueDepth)
			}
			// The newest entries survive: the queue keeps the last
			// QueueLimit - 2×BatchSizeLimit×MaxInFlight = 1000 accepted.
			missing := 0
			for id := n - newest; id < n; id++ {
				if o.counts[id] == 0 {
					missing++
				}
			}
			if missing > 0 {
				t.Errorf("%d of the newest %d entries were not delivered under DropOldest", missing, newest)
			}
			if mid.QueueDepth < limit {
				// Write's eviction and the batcher's once both dropped for the
				// same excess (the "1499 held, want 2000" flake); they take
				// one lock now.
				t.Errorf("DropOldest dropped %d entries more than it had to: %d held once settled, want %d (QueueLimit)",
					limit-mid.QueueDepth, mid.QueueDepth, limit)
			}
		})
	})

	t.Run("stuck broker, Block times out", func(t *testing.T) {
		guard(t, func() {
			c, release, _ := stuckBroker(t)
			const limit, blockTimeout = 200, 100 * time.Millisecond
			const goroutines, blockedPerG = 4, 5
			f := startFault(t, c, "3 stuck broker, Block 100ms", limit+goroutines*blockedPerG, func(cfg *core.Config) {
				cfg.QueueLimit = limit
				cfg.OverflowPolicy = core.Block
				cfg.BlockTimeout = blockTimeout
				cfg.ShedThreshold = 1
			})
			// Fill the queue: these all fit.
			f.write(stream{goroutines: 1, perG: limit})
			if got := f.okWrites.Load(); got != limit {
				closeOnce(release)
				t.Fatalf("%d of %d Writes fit an empty queue", got, limit)
			}
			// Each further Write waits BlockTimeout, then drops its entry.
			f.timeWrites = true
			wg, _ := f.writeConcurrently(limit, goroutines, blockedPerG)
			waitGroup(t, wg, 30*time.Second)
			f.blockMu.Lock()
			blocked := slices.Clone(f.blocked)
			f.blockMu.Unlock()
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
			o := f.end(ending{flushIn: 30 * time.Second})
			checkQueueFullOnly(t, f.faultRun, o.row)
			if o.row.Delivered != limit || o.row.Dropped.QueueFull != goroutines*blockedPerG {
				t.Errorf("delivered %d, dropped %+v; want %d delivered, %d queue-full drops", o.row.Delivered, o.row.Dropped, limit, goroutines*blockedPerG)
			}
		})
	})

	t.Run("stuck broker, Block waits for room", func(t *testing.T) {
		guard(t, func() {
			c, release, held := stuckBroker(t)
			const limit, goroutines, perG = 200, 4, 50
			f := startFault(t, c, "3 stuck then released, Block 30s", limit+goroutines*perG, func(cfg *core.Config) {
				cfg.QueueLimit = limit
				cfg.OverflowPolicy = core.Block
				cfg.BlockTimeout = 30 * time.Second // never reached: the broker is released first
				cfg.ShedThreshold = 1
			})
			f.write(stream{goroutines: 1, perG: limit})
			// These block until the broker answers and frees room.
			wg, entered := f.writeConcurrently(limit, goroutines, perG)
			// Each writer is inside its first Write, and the batcher's first
			// request is held: nothing can free room.
			testutil.WaitFor(t, 10*time.Second, func() bool { return entered.Load() >= goroutines && held.Load() > 0 },
				func() string {
					return fmt.Sprintf("%d writers in Write, %d requests held", entered.Load(), held.Load())
				})
			time.Sleep(100 * time.Millisecond) // long enough for a Write that does not block to return
			if got := f.written.Load(); got != limit {
				t.Errorf("%d entries written while the queue was full and the broker stuck, want %d (the rest blocked)", got, limit)
			}
			closeOnce(release)
			waitGroup(t, wg, 60*time.Second)
			o := f.end(ending{flushIn: 30 * time.Second})
			zeroLoss(t, o.row, limit+goroutines*perG)
		})
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
	if got := st.DroppedByLevel.Info; got != d.Shed {
		t.Errorf("%d info entries dropped, want %d (Shed)", got, d.Shed)
	}
	if got := st.DroppedByLevel.Error; got != d.QueueFull {
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
		guard(t, func() {
			c := kafkatest.Start(t)
			h := c.Kfake().Fault(kfake.Fault{Keys: []kmsg.Key{kmsg.Produce}, Topic: kafkatest.DefaultTopic,
				Partitions: []int32{0}, Err: kerr.NotEnoughReplicas, Count: -1})
			f := startFault(t, c, "4 partition 0 fails, unkeyed", steadyN, nil)
			// What partition 0 can hold when its first request fails: the
			// batcher holds at most 2 batches per request in flight.
			cfg := f.s.Config()
			held := 2 * cfg.BatchSizeLimit * cfg.MaxInFlight
			f.write(steady())
			// Everything arrives while partition 0 still fails, but for the
			// records partition 0 held then that cannot move: to a
			// partition that has sent newer records, they would land
			// behind those. They wait for partition 0.
			testutil.WaitFor(t, 30*time.Second, func() bool {
				st := f.s.Stats()
				return st.QueueDepth <= held && st.InFlight == 0 && st.Delivered+uint64(st.QueueDepth) == steadyN
			}, func() string { return fmt.Sprintf("stats %+v, want all delivered but at most %d", f.s.Stats(), held) })
			if h.Hits() == 0 {
				t.Error("no request reached the failing partition")
			}
			h.Remove()
			o := f.end(ending{flushIn: 30 * time.Second})
			onP0 := 0
			last := map[[2]int]int{} // by partition and goroutine: the last id
			for _, rec := range o.recs {
				if rec.Partition == 0 {
					onP0++
				}
				id, _ := parseID(rec.Value)
				k := [2]int{int(rec.Partition), id % steady().goroutines}
				if prev, ok := last[k]; ok && id < prev {
					t.Errorf("partition %d: id %d after id %d of the same goroutine: order lost", rec.Partition, id, prev)
				}
				last[k] = id
			}
			if onP0 > held {
				t.Errorf("%d records in the failing partition, want at most the %d it can hold when it fails", onP0, held)
			}
			zeroLoss(t, o.row, steadyN)
			if o.row.Duplicates != 0 {
				t.Errorf("%d duplicates, want none", o.row.Duplicates)
			}
		})
	})

	t.Run("keyed entries of other partitions keep flowing", func(t *testing.T) {
		guard(t, func() {
			c := kafkatest.Start(t)
			const topic, goroutines = "keyed", 4
			c.CreateTopic(t, topic, kafkatest.DefaultPartitions)
			// Each key is written by one goroutine (id%goroutines), so its ids
			// increase in write order.
			key := func(id int) string { return "g" + strconv.Itoa(id%goroutines) + "-k" + strconv.Itoa(id/goroutines%8) }
			var onP0 uint64
			for id := 0; id < steadyN; id++ {
				if partitionOf(key(id), kafkatest.DefaultPartitions) == 0 {
					onP0++
				}
			}
			if onP0 == 0 || onP0 == steadyN {
				t.Fatalf("%d of %d entries on partition 0: pick other keys", onP0, steadyN)
			}
			h := c.Kfake().Fault(kfake.Fault{Keys: []kmsg.Key{kmsg.Produce}, Topic: topic,
				Partitions: []int32{0}, Err: kerr.NotLeaderForPartition, Count: -1})
			f := startFault(t, c, "4 partition 0 NOT_LEADER, keyed", steadyN, func(cfg *core.Config) {
				cfg.Topic = topic
				cfg.KeyDecider = func(e core.Entry) []byte {
					v, _ := e.RawField("k")
					return bytes.Trim(v, `"`)
				}
			})
			st := steady()
			st.gen = func(buf []byte, g, id int) core.Entry { return entryWith(buf, g, id, core.InfoLevel, "", key(id), 60) }
			f.write(st)

			// The entries of partitions 1 and 2 all arrive while 0 fails.
			testutil.WaitFor(t, 30*time.Second, func() bool { return f.s.Stats().Delivered == steadyN-onP0 },
				func() string { return fmt.Sprintf("stats %+v, want %d delivered", f.s.Stats(), steadyN-onP0) })
			if mid := f.s.Stats(); uint64(mid.QueueDepth) != onP0 {
				t.Errorf("%d entries held while partition 0 fails, want its %d", mid.QueueDepth, onP0)
			}
			if h.Hits() == 0 {
				t.Error("no request reached the failing partition")
			}
			h.Remove()
			o := f.end(ending{flushIn: 30 * time.Second, topics: []string{topic}})
			zeroLoss(t, o.row, steadyN)
			// Every record is on its key's partition, and each key's ids come
			// in the order they were written, retries or not.
			last := map[string]int{}
			for _, rec := range o.recs {
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
	})
}

// 5. Non-retriable errors: an entry larger than the broker's
// message.max.bytes, an invalid topic name from the TopicDecider, a topic
// the producer may not write to, a topic it may not even describe. Each such
// entry alone is dropped, counted and given to Fallback; its batch-mates
// arrive.
func TestFaultNotRetriable(t *testing.T) {
	guard(t, func() {
		const maxMessage = 64 << 10
		c := kafkatest.Start(t, kfake.BrokerConfigs(map[string]string{"message.max.bytes": strconv.Itoa(maxMessage)}))
		k := c.Kfake()
		// Write denied on "secret"; Describe denied on "hidden".
		k.Fault(kfake.Fault{Keys: []kmsg.Key{kmsg.Produce}, Topic: "secret", Err: kerr.TopicAuthorizationFailed, Count: -1})
		k.Fault(kfake.Fault{Keys: []kmsg.Key{kmsg.Metadata}, Topic: "hidden", Err: kerr.TopicAuthorizationFailed, Count: -1})

		type kind int
		const (
			good kind = iota
			big
			invalid
			secret
			hidden
		)
		kindOf := func(id int) (kind, string) {
			switch {
			case id%500 == 250:
				return big, ""
			case id%97 == 13:
				return invalid, "bad topic!"
			case id%50 == 7:
				return secret, "secret"
			case id%61 == 5:
				return hidden, "hidden"
			case id%3 == 0:
				return good, "audit"
			}
			return good, ""
		}
		var want [hidden + 1]uint64
		for id := 0; id < steadyN; id++ {
			k, _ := kindOf(id)
			want[k]++
		}
		bad := want[big] + want[invalid] + want[secret] + want[hidden]

		f := startFault(t, c, "5 too large, invalid topic, unauthorized", steadyN, func(cfg *core.Config) {
			cfg.TopicDecider = func(e core.Entry) string { return e.Field("t") }
		})
		st := steady()
		st.gen = func(buf []byte, g, id int) core.Entry {
			k, topic := kindOf(id)
			pad := 60
			if k == big {
				pad = maxMessage + 16<<10 // over the broker's limit, under MaxEntryBytes
			}
			return entryWith(buf, g, id, core.InfoLevel, topic, "", pad)
		}
		f.stream(st)
		o := f.end(ending{
			// Flush reports the drops: at most every bad entry.
			flushIn: 30 * time.Second,
			flushErr: func(err error) {
				var ue *core.UndeliveredError
				if err != nil && (!errors.As(err, &ue) || !errors.Is(err, core.ErrDropped) || uint64(ue.Count) > bad) {
					t.Errorf("Flush = %v, want nil or at most %d entries dropped", err, bad)
				}
			},
			closeErr: wantNilOrDropped(t, "Close"),
			topics:   []string{kafkatest.DefaultTopic, "audit"},
		})
		if d := o.row.Dropped; d.TooLarge != want[big] || d.NotRetriable != want[invalid]+want[secret]+want[hidden] || d.Total() != d.TooLarge+d.NotRetriable {
			t.Errorf("drops %+v; want %d too large, %d not retriable (%d invalid topic, %d unauthorized, %d not describable)",
				d, want[big], want[invalid]+want[secret]+want[hidden], want[invalid], want[secret], want[hidden])
		}
		if o.row.Delivered != want[good] {
			t.Errorf("delivered %d, want the %d good entries", o.row.Delivered, want[good])
		}
		// Exactly the bad entries went to Fallback, and none of them to Kafka.
		f.fbMu.Lock()
		for id := 0; id < steadyN; id++ {
			k, _ := kindOf(id)
			if inFallback := f.fbCount[id] > 0; inFallback != (k != good) {
				t.Errorf("id %d (kind %d): in Fallback = %v", id, k, inFallback)
			}
			if k != good && o.counts[id] > 0 {
				t.Errorf("id %d (kind %d) was dropped, yet read back", id, k)
			}
		}
		f.fbMu.Unlock()
		if o.row.Duplicates != 0 {
			t.Errorf("%d duplicates, want none: rejected requests append nothing", o.row.Duplicates)
		}
	})
}

// 6. Bad credentials, a wrong CA, TLS to a plaintext port and the reverse:
// a clear error through ErrorHandler, no panic, no busy loop (connections
// and errors stay within what the backoff allows), credentials in no
// message.
func TestFaultBadSecurity(t *testing.T) {
	certs := kafkatest.NewCerts(t)
	other := kafkatest.NewCerts(t) // a CA the brokers' certificate is not from
	const password = "Sup3r-s3cret-Pa55word"
	for _, tt := range []struct {
		name      string
		opts      []kfake.Opt
		cfg       core.Config
		plainPort bool     // the brokers' port is plaintext: emulate Kafka's request size limit
		want      []string // an error message names one of these
	}{
		{"SASL SCRAM wrong password", []kfake.Opt{kafkatest.SASL(kafkatest.ScramSHA256, "admin", "right")},
			core.Config{SecurityProtocol: core.SASLPlaintext, SASLMechanism: core.ScramSHA256, SASLUsername: "admin", SASLPassword: password},
			true, []string{"sasl", "auth", "credential"}},
		{"SASL PLAIN unknown user", []kfake.Opt{kafkatest.SASL(kafkatest.Plain, "admin", "right")},
			core.Config{SecurityProtocol: core.SASLPlaintext, SASLMechanism: core.Plain, SASLUsername: "nobody", SASLPassword: password},
			true, []string{"sasl", "auth", "credential"}},
		{"SSL with the wrong CA", []kfake.Opt{kafkatest.TLS(certs)},
			core.Config{SecurityProtocol: core.SSL, SSLCALocation: other.CAFile},
			false, []string{"x509", "certificate"}},
		{"SSL to a plaintext port", nil,
			core.Config{SecurityProtocol: core.SSL, SSLCALocation: certs.CAFile},
			true, []string{"tls", "ssl", "handshake"}},
		{"plaintext to an SSL port", []kfake.Opt{kafkatest.TLS(certs)},
			core.Config{},
			false, []string{"tls", "ssl", "security protocol"}},
		{"SASL_SSL wrong password", []kfake.Opt{kafkatest.TLS(certs), kafkatest.SASL(kafkatest.Plain, "admin", "right")},
			core.Config{SecurityProtocol: core.SASLSSL, SSLCALocation: certs.CAFile, SASLUsername: "admin", SASLPassword: password},
			false, []string{"sasl", "auth", "credential"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			guard(t, func() {
				c := kafkatest.Start(t, append([]kfake.Opt{kfake.NumBrokers(1)}, tt.opts...)...)
				var maxRequest uint32
				if tt.plainPort {
					maxRequest = 100 << 20
				}
				proxy := startProxy(t, c.Addrs()[0], maxRequest)
				const n = 1000
				t0 := time.Now()
				f := startFault(t, c, "6 "+tt.name, n, func(cfg *core.Config) {
					cfg.SecurityProtocol, cfg.SASLMechanism = tt.cfg.SecurityProtocol, tt.cfg.SASLMechanism
					cfg.SASLUsername, cfg.SASLPassword, cfg.SSLCALocation = tt.cfg.SASLUsername, tt.cfg.SASLPassword, tt.cfg.SSLCALocation
					cfg.Brokers = []string{proxy.addr()}
					cfg.MinBackoff, cfg.MaxBackoff = 50*time.Millisecond, 50*time.Millisecond
					cfg.RetryTimeLimit = 300 * time.Millisecond
					cfg.WriteTimeout, cfg.DialTimeout = 2*time.Second, time.Second
				})
				f.errs.mu.Lock()
				f.errs.secrets = []string{password} // before the first entry: no error comes earlier
				f.errs.mu.Unlock()
				f.write(stream{goroutines: 4, burst: 10, pause: 10 * time.Millisecond})
				time.Sleep(400 * time.Millisecond) // the last entries expire (RetryTimeLimit)
				var window time.Duration
				o := f.end(ending{noFlush: true, closeIn: 5 * time.Second, closeErr: func(err error) {
					var ue *core.UndeliveredError
					if err != nil && !errors.As(err, &ue) {
						t.Errorf("Close = %v, want nil or an UndeliveredError", err)
					}
					if err != nil && strings.Contains(err.Error(), password) {
						t.Errorf("Close's error reveals the password: %v", err)
					}
				}, afterStop: func() { window = time.Since(t0) }})
				if o.stats.LastError == nil || strings.Contains(o.stats.LastError.Error(), password) {
					t.Errorf("Stats.LastError = %v, want an error without the password", o.stats.LastError)
				}
				if o.row.Delivered != 0 || o.row.Dropped.Total() != n || o.row.Dropped.RetriesExhausted+o.row.Dropped.Closed != n {
					t.Errorf("delivered %d, dropped %+v; want all %d dropped as RetriesExhausted or Closed", o.row.Delivered, o.row.Dropped, n)
				}

				f.errs.mu.Lock()
				leaks, samples := f.errs.leaks, f.errs.samples
				f.errs.mu.Unlock()
				for _, m := range leaks {
					t.Errorf("an error reveals the password: %s", m)
				}

				// No busy loop: each retry waits MinBackoff-20%, and an
				// attempt takes a connection or two.
				attempts := int64(window/(40*time.Millisecond)) + 2
				conns, errs := proxy.conns.Load(), f.errs.total()
				t.Logf("%v: %d connections, %d errors reported (%v); the backoff allows %d attempts",
					window.Round(time.Millisecond), conns, errs, &f.errs, attempts)
				if conns > 3*attempts {
					t.Errorf("%d connections in %v, more than 3 per backoff interval (%d): a busy loop", conns, window, 3*attempts)
				}
				if errs > 3*attempts {
					t.Errorf("%d errors reported in %v, more than 3 per backoff interval (%d): a busy loop", errs, window, 3*attempts)
				}

				named := false
				for _, m := range samples {
					for _, w := range tt.want {
						named = named || strings.Contains(strings.ToLower(m), w)
					}
				}
				if !named {
					knownBug(t, "no error names the cause (want one of %q); got %q. kafka-go passes on the bare "+
						"io.ErrUnexpectedEOF / connection reset of a broker that closes the connection (kfake on a refused "+
						"SASL login, a TLS listener on a plaintext request, a plaintext broker on a ClientHello): core "+
						"should say what it was doing (connecting with %s) and what that usually means",
						tt.want, samples[:min(2, len(samples))], tt.name)
				}
			})
		})
	}
}

// Without an ErrorHandler, an outage's errors reach stderr as at most one
// line a second (plus a summary at Close), without the password.
func TestFaultDefaultErrorOutput(t *testing.T) {
	guard(t, func() {
		const password = "Sup3r-s3cret-Pa55word"
		c := kafkatest.Start(t, kfake.NumBrokers(1), kafkatest.SASL(kafkatest.ScramSHA256, "admin", "right"))
		pr, pw, err := os.Pipe()
		if err != nil {
			t.Fatal(err)
		}
		var out bytes.Buffer
		copied := make(chan struct{})
		go func() { io.Copy(&out, pr); close(copied) }()
		stderr := os.Stderr
		os.Stderr = pw // before New: the sink's goroutines start after this
		restored := false
		restore := func() {
			if !restored {
				restored = true
				os.Stderr = stderr
				pw.Close()
				<-copied
				pr.Close()
			}
		}
		defer restore()

		const n = 2000
		t0 := time.Now()
		f := startFault(t, c, "6 SASL wrong password, default error output", n, func(cfg *core.Config) {
			cfg.SecurityProtocol, cfg.SASLMechanism, cfg.SASLUsername, cfg.SASLPassword = core.SASLPlaintext, core.ScramSHA256, "admin", password
			cfg.ErrorHandler = nil
			cfg.QueueLimit = 500 // some Writes are refused too
			cfg.ShedThreshold = 1
			cfg.MinBackoff, cfg.MaxBackoff = 20*time.Millisecond, 20*time.Millisecond
			cfg.RetryTimeLimit = 300 * time.Millisecond
		})
		f.write(stream{goroutines: 4, burst: 10, pause: 5 * time.Millisecond})
		time.Sleep(400 * time.Millisecond) // the last entries expire (RetryTimeLimit)
		var window time.Duration
		f.end(ending{noFlush: true, closeIn: 5 * time.Second, // Close waits for the sink's goroutines
			closeErr: func(err error) {
				if err != nil && strings.Contains(err.Error(), password) {
					t.Errorf("Close's error reveals the password: %v", err)
				}
			},
			afterStop: func() { window = time.Since(t0); restore() },
		})
		st := f.s.Stats()

		lines := strings.Split(strings.TrimSpace(out.String()), "\n")
		t.Logf("%v: %d lines on stderr for %d drops:\n%s", window.Round(time.Millisecond), len(lines), st.Dropped.Total(), out.String())
		if limit := int(window/time.Second) + 3; len(lines) > limit {
			t.Errorf("%d lines on stderr in %v, want at most %d (one a second, and a summary)", len(lines), window, limit)
		}
		for _, l := range lines {
			if !strings.HasPrefix(l, "kafkasink: ") {
				t.Errorf("stderr line %q lacks the kafkasink: prefix", l)
			}
			if strings.Contains(l, password) {
				t.Errorf("stderr line reveals the password: %s", l)
			}
		}
	})
}

// 7. Close(ctx) during an outage returns by its deadline and reports exactly
// how many entries it could not deliver.
func TestFaultCloseDuringOutage(t *testing.T) {
	for _, tt := range []struct {
		name  string
		stuck bool // brokers accept connections but never answer produce requests
	}{
		{"brokers stopped", false},
		{"brokers stuck", true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			guard(t, func() {
				c := kafkatest.Start(t)
				release := make(chan struct{})
				t.Cleanup(func() { closeOnce(release) })
				baseG := runtime.NumGoroutine()
				f := startFault(t, c, "7 Close(300ms) while "+tt.name, steadyN, nil)
				f.stream(steady())
				f.waitWritten(steadyN/4, 30*time.Second)
				var held *atomic.Int64
				if tt.stuck {
					held = holdProduce(c, release, 0)
				} else {
					c.Stop()
				}
				f.waitStreams()
				// Let the last requests fail (or get stuck): nothing more
				// is delivered.
				if tt.stuck {
					testutil.WaitFor(t, 10*time.Second, func() bool { return held.Load() > 0 }, func() string { return "no request reached the stuck broker" })
				}
				before := settled(f.s)

				const deadline = 300 * time.Millisecond
				ctx, cancel := context.WithTimeout(context.Background(), deadline)
				defer cancel()
				done := make(chan error, 1)
				start := time.Now()
				go func() { done <- f.s.Close(ctx) }()
				var cerr error
				select {
				case cerr = <-done:
				case <-time.After(deadline + 10*time.Second):
					t.Fatalf("Close(%v) has not returned %v after its deadline", deadline, 10*time.Second)
				}
				// Close keeps a tenth of its time to drop and report what is
				// left: it may return that much before the deadline, no sooner.
				if elapsed := time.Since(start); elapsed < deadline*9/10-5*time.Millisecond {
					t.Errorf("Close returned %v after %v, well before its %v deadline, with nothing deliverable", cerr, elapsed, deadline)
				}
				after := f.s.Stats()
				var ue *core.UndeliveredError
				if !errors.As(cerr, &ue) || !errors.Is(cerr, context.DeadlineExceeded) {
					t.Fatalf("Close = %v, want an UndeliveredError for the deadline", cerr)
				}
				if ue.Count != before.QueueDepth || after.Dropped.Closed-before.Dropped.Closed != uint64(ue.Count) || after.Delivered != before.Delivered {
					t.Errorf("Close reported %d undelivered; before Close %d held, %d delivered; after: %d dropped as Closed, %d delivered",
						ue.Count, before.QueueDepth, before.Delivered, after.Dropped.Closed-before.Dropped.Closed, after.Delivered)
				}
				if ue.Count == 0 {
					t.Error("nothing undelivered: the outage did not bite")
				}
				t.Logf("Close: %v", cerr)

				// The brokers come back; whatever Kafka got is read back.
				f.end(ending{noFlush: true, closeErr: func(err error) {
					if err != cerr {
						t.Errorf("Close again = %v, want what the first returned, %v", err, cerr)
					}
				}, afterStop: func() {
					closeOnce(release)
					if !tt.stuck {
						if err := c.Restart(); err != nil {
							t.Fatal(err)
						}
					}
				}})
				// Nothing of the sink lives on.
				testutil.WaitFor(t, 10*time.Second, func() bool { return runtime.NumGoroutine() <= baseG+2 },
					func() string { return fmt.Sprintf("%d goroutines, %d before New", runtime.NumGoroutine(), baseG) })
				f.done()
			})
		})
	}
}

// settled returns the stats of s once they stop changing: during an
// outage, once the last requests have failed.
func settled(s *core.Sink) core.Stats {
	prev := s.Stats()
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); {
		time.Sleep(50 * time.Millisecond)
		st := s.Stats()
		if st.Delivered == prev.Delivered && st.QueueDepth == prev.QueueDepth && st.Dropped == prev.Dropped {
			return st
		}
		prev = st
	}
	return prev
}

// Close while Writes wait for room under the Block policy: they return at
// once (not after BlockTimeout), and their entries are counted.
func TestFaultCloseReleasesBlockedWrites(t *testing.T) {
	guard(t, func() {
		c, release, _ := stuckBroker(t)
		const limit, goroutines = 200, 4
		f := startFault(t, c, "7 Close(300ms) with Writes blocked (Block 1m)", limit+goroutines, func(cfg *core.Config) {
			cfg.QueueLimit = limit
			cfg.OverflowPolicy = core.Block
			cfg.BlockTimeout = time.Minute
			cfg.ShedThreshold = 1
		})
		f.write(stream{goroutines: 1, perG: limit})
		wg, entered := f.writeConcurrently(limit, goroutines, 1)
		testutil.WaitFor(t, 10*time.Second, func() bool { return entered.Load() == goroutines }, func() string { return "writers not started" })
		time.Sleep(100 * time.Millisecond) // let them block
		o := f.end(ending{noFlush: true, closeIn: 300 * time.Millisecond,
			closeErr: func(err error) {
				var ue *core.UndeliveredError
				if !errors.As(err, &ue) || ue.Count != limit {
					t.Errorf("Close = %v, want %d undelivered", err, limit)
				}
			},
			afterStop: func() {
				// Far less than BlockTimeout: Close woke them.
				waitGroup(t, wg, 10*time.Second)
				if got := f.okWrites.Load(); got != limit {
					t.Errorf("%d Writes succeeded, want the %d before the queue was full", got, limit)
				}
				closeOnce(release)
			},
		})
		if row := o.row; row.Dropped.Closed < limit || row.Dropped.QueueFull+row.Dropped.Closed != limit+goroutines {
			t.Errorf("drops %+v; want the %d queued entries Closed and the %d blocked ones QueueFull or Closed", row.Dropped, limit, goroutines)
		}
		f.done()
	})
}

// 8. Memory: during a long outage with logging at full speed, the heap
// stays within the queue's byte limit plus a small constant, and the
// goroutine count is flat.
func TestFaultMemoryDuringOutage(t *testing.T) {
	for _, policy := range []core.OverflowPolicy{core.DropNewest, core.DropOldest} {
		t.Run(policy.String(), func(t *testing.T) {
			guard(t, func() {
				c := kafkatest.Start(t)
				c.Stop() // down from the start: nothing leaves the sink
				const (
					queueBytes = 8 << 20
					maxID      = 4 << 20 // a cap on the entries written, for the flat bookkeeping
					goroutines = 4
					outage     = 2 * time.Second
					overflows  = 5   // the outage lasts until this many queues' worth were written
					pad        = 480 // entries of about 600 bytes
				)
				name := "8 memory, 2s+ outage at full speed, " + policy.String()
				if policy == core.DropOldest {
					name += ", closed"
				}
				gen := func(buf []byte, g, id int) core.Entry {
					return entryWith(buf, g, id, mixedLevel(id), "", "", pad)
				}
				entrySize := len(gen(nil, 0, maxID).JSON)

				baseG := runtime.NumGoroutine()
				// f.smp samples HeapAlloc with garbage, for the table.
				f := startFault(t, c, name, maxID, func(cfg *core.Config) {
					cfg.QueueByteLimit = queueBytes
					cfg.OverflowPolicy = policy
				})
				// The baseline: the run's bookkeeping (8 MiB for maxID ids)
				// and an idle sink.
				runtime.GC()
				var ms runtime.MemStats
				runtime.ReadMemStats(&ms)
				baseHeap := ms.HeapAlloc
				var quiet sync.RWMutex                                       // the writers pause while live collects
				live := startQuietSampler(50*time.Millisecond, true, &quiet) // the live heap, after a collection
				var maxHeld atomic.Int64
				stopHeld := make(chan struct{})
				heldDone := make(chan struct{})
				go func() {
					defer close(heldDone)
					for {
						maxHeld.Store(max(maxHeld.Load(), int64(f.s.Stats().QueueDepth)))
						select {
						case <-stopHeld:
							return
						case <-time.After(5 * time.Millisecond):
						}
					}
				}()
				stop := make(chan struct{})
				f.stream(stream{goroutines: goroutines, gen: gen, stop: stop, hold: &quiet})
				time.Sleep(outage)
				f.waitWritten(int64(overflows*queueBytes/entrySize), 60*time.Second) // a slow machine takes longer to overflow
				close(stop)
				f.waitStreams()
				close(stopHeld)
				<-heldDone
				live.finish()
				raw := f.smp.finish()
				// DropOldest takes the newest entries a little over QueueLimit
				// and has the batcher drop the oldest: let it settle.
				during := settled(f.s)

				// The bound: the queue's bytes, a record struct (≈170 bytes,
				// 256 allowed) per held entry in the queue's segments and the
				// batcher's partitions, and 8 MiB for the rest (the batcher's
				// working slices, kafka-go's transport, the sampler, the
				// test's writers and their buffers).
				const perEntry, slack = 256, 8 << 20
				bound := uint64(queueBytes) + uint64(maxHeld.Load())*perEntry + slack
				grew := int64(live.maxHeap) - int64(baseHeap)
				t.Logf("%s: wrote %d entries of %d bytes, %d accepted, at most %d held (%d MiB of chunks); live heap %.1f MiB over the baseline (bound %.1f MiB), HeapAlloc up to %.1f MiB (baseline %.1f MiB); goroutines %d → at most %d",
					policy, f.written.Load(), entrySize, during.Accepted, maxHeld.Load(), during.QueueBytes>>20,
					float64(grew)/(1<<20), float64(bound)/(1<<20), float64(raw.maxHeap)/(1<<20), float64(baseHeap)/(1<<20), baseG, live.maxG)
				if grew > int64(bound) {
					t.Errorf("live heap grew by %.1f MiB during the outage, more than QueueByteLimit (%d MiB) + %d held × %d B + %d MiB",
						float64(grew)/(1<<20), queueBytes>>20, maxHeld.Load(), perEntry, slack>>20)
				}
				if during.QueueBytes > queueBytes {
					t.Errorf("QueueBytes = %d, over QueueByteLimit %d", during.QueueBytes, queueBytes)
				}
				if int64(f.written.Load()) < 4*int64(queueBytes/entrySize) {
					t.Errorf("only %d entries written: not enough to overflow the queue four times", f.written.Load())
				}
				// The writers, the samplers, the batcher, MaxInFlight requests,
				// a metadata request and kafka-go's connection goroutines.
				if limit := baseG + goroutines + 3 + 16; live.maxG > limit || raw.maxG > limit {
					t.Errorf("up to %d goroutines during the outage, %d before: more than %d", max(live.maxG, raw.maxG), baseG, limit)
				}

				if policy == core.DropOldest {
					// Closed during the outage: everything held is dropped and
					// counted (TestFaultAllBrokersDown delivers a backlog).
					o := f.end(ending{noFlush: true, closeIn: 300 * time.Millisecond, smp: raw,
						closeErr: func(err error) {
							// Close counts what it abandoned, the entries held
							// (today's core); issue 9 makes it count every
							// accepted entry dropped since New: here, all of
							// them, evicted or abandoned. ISSUE 9: once core
							// counts that way (TestFlushReportsEarlierDrops),
							// keep only during.Accepted.
							var ue *core.UndeliveredError
							if !errors.As(err, &ue) || (ue.Count != during.QueueDepth && uint64(ue.Count) != during.Accepted) {
								t.Errorf("Close = %v, want %d undelivered (%d held)", err, during.Accepted, during.QueueDepth)
							}
						},
						afterStop: func() {
							if err := c.Restart(); err != nil { // to read back: nothing arrived
								t.Fatal(err)
							}
						}})
					if o.row.Delivered != 0 || o.row.Dropped.Closed != uint64(during.QueueDepth) {
						t.Errorf("delivered %d, dropped %+v; want nothing delivered, the %d held dropped as Closed", o.row.Delivered, o.row.Dropped, during.QueueDepth)
					}
					f.done()
					return
				}
				// The brokers come back: what is held is delivered.
				if err := c.Restart(); err != nil {
					t.Fatal(err)
				}
				back := time.Now()
				flush(t, f.s, 60*time.Second)
				t.Logf("the %d held entries were delivered %v after the brokers came back", during.QueueDepth, time.Since(back).Round(time.Millisecond))
				o := f.end(ending{noFlush: true, smp: raw})
				if o.row.Dropped.Total() != o.row.Dropped.QueueFull+o.row.Dropped.Shed {
					t.Errorf("drops %+v, want only QueueFull and Shed", o.row.Dropped)
				}
				if o.row.Delivered != uint64(during.QueueDepth) {
					t.Errorf("delivered %d after the outage, want the %d held", o.row.Delivered, during.QueueDepth)
				}
			})
		})
	}
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
