package core

import (
	"context"
	"slices"
	"strconv"
	"testing"
	"testing/synctest"
	"time"

	"github.com/segmentio/kafka-go"
)

// TestMovedRecordsKeepPartitionOrder: the README promises that order is
// kept per partition ("a failed request is retried before anything behind
// it"). retryLater moves a failed partition's records without a key to the
// sticky partition, appending them behind what that partition already has
// or has sent: there they land after newer entries, and one goroutine's
// entries come out of one partition in the wrong order.
func TestMovedRecordsKeepPartitionOrder(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := newFake(2)
		var firstP0 onceFlag
		f.fail = func(c fakeCall) (map[int]error, error) {
			if c.Partition == 0 && firstP0.first() {
				return nil, kafka.NotLeaderForPartition
			}
			return nil, nil
		}
		var heldP0 onceFlag
		tr := newHoldTransport(f, func(_ string, p int32) bool { return p == 0 && heldP0.first() })
		cfg := Config{BatchSizeLimit: 5, Period: time.Hour, DelayFirstEntry: true, ErrorHandler: func(error) {}}
		s := newTestSink(t, cfg, tr)
		write(t, s, 0, 5) // to partition 0: held, then refused
		<-tr.entered
		write(t, s, 5, 10) // to partition 1: delivered
		synctest.Wait()
		close(tr.release) // partition 0 answers: not leader
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		if err := s.Close(ctx); err != nil {
			t.Fatalf("Close = %v", err)
		}
		byPart := map[int32][]int{}
		for _, c := range f.snapshot() {
			if !c.OK {
				continue
			}
			for _, v := range c.Values {
				i, _ := strconv.Atoi(v[len(`{"i":`) : len(v)-1])
				byPart[c.Partition] = append(byPart[c.Partition], i)
			}
		}
		for p, is := range byPart {
			if !slices.IsSorted(is) {
				t.Errorf("partition %d holds entries %v: out of the order they were written in", p, is)
			}
		}
	})
}
