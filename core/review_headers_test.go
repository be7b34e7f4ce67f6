package core

import (
	"context"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/segmentio/kafka-go"
)

// brokerCheck is the fake transport behind a check a broker makes: a
// record set it cannot read is refused with CORRUPT_MESSAGE (kafka-go: InvalidMessage, code 2), as Kafka
// does, instead of the fake's panic.
type brokerCheck struct {
	*fakeTransport
	mu      sync.Mutex
	corrupt []error
}

func (b *brokerCheck) produce(ctx context.Context, topic string, partition int32, bp *[]byte) (map[int]error, error) {
	if _, err := decodeBatch(*bp); err != nil {
		b.mu.Lock()
		b.corrupt = append(b.corrupt, err)
		b.mu.Unlock()
		putBuf(bp, *bp)
		return nil, kafka.InvalidMessage
	}
	return b.fakeTransport.produce(ctx, topic, partition, bp)
}

// TestManyHeadersRejectedNotCorrupting: record.nhdrs is a uint16, so an
// entry with 65536 headers (a few hundred KB, under MaxEntryBytes) is
// written with a header count of 0 and all its header bytes: a record the
// broker cannot parse. Kafka refuses the whole request (CORRUPT_MESSAGE,
// retriable), so the entry's batch-mates are retried with it until
// RetryTimeLimit and dropped, and the partition stalls meanwhile. Bad
// input must cost its entry alone, refused by Write with an error.
func TestManyHeadersRejectedNotCorrupting(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		bc := &brokerCheck{fakeTransport: newFake(1)}
		cfg := Config{BatchSizeLimit: 3, Period: time.Hour, DelayFirstEntry: true, RetryTimeLimit: time.Minute, ErrorHandler: func(error) {}}
		s := newTestSink(t, cfg, bc)
		hdrs := make([]Header, 1<<16)
		for i := range hdrs {
			hdrs[i] = Header{Key: "k"}
		}
		write(t, s, 0, 1)
		errMany := s.Write(Entry{Level: InfoLevel, JSON: []byte(`{"many":1}`), Headers: hdrs})
		write(t, s, 2, 3)
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
		defer cancel()
		s.Close(ctx)
		if len(bc.corrupt) > 0 {
			t.Errorf("the sink sent %d record sets a broker cannot read: %v", len(bc.corrupt), bc.corrupt[0])
		}
		got := bc.delivered()
		switch {
		case errMany == nil && len(got) != 3:
			t.Errorf("Write(65536 headers) = nil, but delivered %d of 3 entries %v: the entry's batch-mates went with it", len(got), got)
		case errMany != nil && !sameSet(got, []string{value(0), value(2)}):
			t.Errorf("Write(65536 headers) = %v, delivered %v, want the other two", errMany, got)
		}
	})
}
