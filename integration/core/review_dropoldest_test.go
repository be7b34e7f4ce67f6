package core_test

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/kafkasink/kafkasink/core"
	"github.com/kafkasink/kafkasink/integration/kafkatest"
)

// TestReviewDropOldestWhenBytesBind is "DropOldest keeps the newest
// entries" (TestFaultAllBrokersDown) with QueueByteLimit binding instead of
// QueueLimit: ~1 KB entries, as many production logs are (the default
// limits bind on bytes from ~670 bytes an entry). The batcher holds the
// backlog in the failing partitions and evicts only for QueueLimit, Write
// evicts only still-queued entries, which free no chunk: the oldest are
// kept and every newer entry refused.
func TestReviewDropOldestWhenBytesBind(t *testing.T) {
	c := kafkatest.Start(t)
	s := mustNew(t, core.Config{
		Brokers: c.Addrs(), BatchSizeLimit: 100, Period: 20 * time.Millisecond,
		QueueByteLimit: 1 << 20, MaxEntryBytes: 4000, OverflowPolicy: core.DropOldest, ShedThreshold: 1,
		ErrorHandler: func(error) {},
	})
	pad := strings.Repeat("x", 1000)
	e := func(id int) core.Entry {
		return core.Entry{Level: core.InfoLevel, Time: time.Now(), JSON: fmt.Appendf(nil, `{"id":%d,"pad":%q}`, id, pad)}
	}
	// The batcher evicts in rounds, from 7/8 of QueueByteLimit down to
	// 3/4: 360–710 entries of these once it is done (1100–2300 bytes each
	// in their chunks, as shards and evictions leave them partly used).
	// On a loaded machine the batcher falls behind, and a Write that finds
	// no room drops the oldest entries still queued, as documented: newer
	// than those the batcher holds. So only the newest 100 are sure to be
	// kept; the point is that they are, where Write used to refuse them.
	const warm, n, newest = 100, 5000, 100
	for id := range warm {
		if err := s.Write(e(id)); err != nil {
			t.Fatal(err)
		}
	}
	flush(t, s, 30*time.Second)
	c.Stop()
	refused := 0
	for id := warm; id < n; id++ {
		if s.Write(e(id)) != nil && id >= n-newest {
			refused++
		}
		if id%50 == 0 {
			time.Sleep(time.Millisecond) // a logger, not a loop
		}
	}
	mid := settleBelow(s, 1<<30)
	if err := c.Restart(); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := s.Flush(ctx); err != nil && !errors.Is(err, core.ErrDropped) {
		t.Fatalf("Flush = %v, want everything held delivered", err)
	}
	got := map[int]bool{}
	for _, r := range c.ReadAll(t, kafkatest.DefaultTopic) {
		v := string(r.Value)
		id, _ := strconv.Atoi(v[len(`{"id":`):strings.IndexByte(v, ',')])
		got[id] = true
	}
	missing, oldKept := 0, 0
	for id := n - newest; id < n; id++ {
		if !got[id] {
			missing++
		}
	}
	kept := 0 // of the entries written in the outage
	for id := warm; id < n; id++ {
		if got[id] {
			kept++
		}
	}
	t.Logf("%d of the %d entries written in the outage delivered", kept, n-warm)
	for id := warm; id < warm+300; id++ {
		if got[id] {
			oldKept++
		}
	}
	t.Logf("during the outage: %d held (%d bytes), dropped %+v", mid.QueueDepth, mid.QueueBytes, mid.Dropped)
	if refused > 0 || missing > 0 {
		t.Errorf("DropOldest: %d of the newest %d entries refused by Write, %d not in Kafka, while %d of the oldest %d written in the outage were delivered",
			refused, newest, missing, oldKept, 300)
	}
}
