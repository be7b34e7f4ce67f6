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
	"context"
	"errors"
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
// bursts of 25 with 5ms pauses, about a second and a half of logging.
func steady() stream {
	return stream{goroutines: 4, perG: 2500, burst: 25, pause: 5 * time.Millisecond}
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
