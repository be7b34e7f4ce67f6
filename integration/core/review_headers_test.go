package core_test

import (
	"context"
	"testing"
	"time"

	"github.com/kafkasink/kafkasink/core"
	"github.com/kafkasink/kafkasink/integration/kafkatest"
)

// TestReviewManyHeadersAgainstKfake: an entry with 65536 headers (under
// MaxEntryBytes) is written with a header count that wraps to 0
// (record.nhdrs is a uint16). Against kfake the batch is taken as is, and
// what a real consumer then reads of it and of its batch-mates is checked
// here: bad input must cost its entry alone, and nothing unreadable may
// land in Kafka.
func TestReviewManyHeadersAgainstKfake(t *testing.T) {
	c := kafkatest.Start(t)
	c.CreateTopic(t, "hdrs", 1)
	s := mustNew(t, core.Config{Brokers: c.Addrs(), Topic: "hdrs", BatchSizeLimit: 3, Period: time.Hour, DelayFirstEntry: true,
		RetryTimeLimit: 3 * time.Second, ErrorHandler: func(error) {}})
	hdrs := make([]core.Header, 1<<16)
	for i := range hdrs {
		hdrs[i] = core.Header{Key: "k"}
	}
	if err := s.Write(core.Entry{Level: core.InfoLevel, JSON: []byte(`{"n":0}`)}); err != nil {
		t.Fatal(err)
	}
	errMany := s.Write(core.Entry{Level: core.InfoLevel, JSON: []byte(`{"many":1}`), Headers: hdrs})
	if err := s.Write(core.Entry{Level: core.InfoLevel, JSON: []byte(`{"n":2}`)}); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	flushErr := s.Flush(ctx)
	st := s.Stats()
	t.Logf("Write(many headers) = %v; Flush = %v; delivered %d, dropped %+v, last error %v", errMany, flushErr, st.Delivered, st.Dropped, st.LastError)
	rctx, rcancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer rcancel()
	recs, err := c.Read(rctx, "hdrs")
	if err != nil {
		t.Fatalf("reading back: %v", err)
	}
	got := kafkatest.Values(recs)
	t.Logf("read back %d records: %.80q", len(got), got)
	want := []string{`{"n":0}`, `{"n":2}`}
	if errMany == nil {
		want = []string{`{"n":0}`, `{"many":1}`, `{"n":2}`}
	}
	if len(got) != len(want) {
		t.Fatalf("read back %d records, want %d (%q)", len(got), len(want), want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("record %d = %.80q, want %q", i, got[i], want[i])
		}
	}
	for _, r := range recs {
		if string(r.Value) == `{"many":1}` && len(r.Headers) != len(hdrs) {
			t.Errorf("the entry with %d headers came back with %d", len(hdrs), len(r.Headers))
		}
	}
}
