package core_test

// Durable mode (Config.SpoolDir) against kfake, in this process: an
// outage longer than memory, and damaged spool files. The tests that kill
// the logging process are in spool_child_test.go.

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kafkasink/kafkasink/core"
	"github.com/kafkasink/kafkasink/integration/kafkatest"
)

// spoolPad makes spool test entries about 200 bytes long.
var spoolPad = strings.Repeat("x", 160)

// spoolLine appends to buf the JSON of the spool tests' entry id: {"id":N,…}.
func spoolLine(buf []byte, id int) []byte {
	return fmt.Appendf(buf[:0], `{"id":%d,"msg":"durable","pad":"%s"}`+"\n", id, spoolPad)
}

// idCounts counts the records of recs by the id of their entry.
func idCounts(t *testing.T, recs []kafkatest.Record) map[int]int {
	t.Helper()
	counts := make(map[int]int, len(recs))
	for _, r := range recs {
		id, ok := parseID(r.Value)
		if !ok {
			t.Fatalf("record %v is not a spool test entry", r)
		}
		counts[id]++
	}
	return counts
}

// tally compares what Kafka holds of the ids [from, to) with counts:
// how many are there, how many more copies, and the ids missing.
func tally(counts map[int]int, from, to int) (present, dups int, missing []int) {
	for id := from; id < to; id++ {
		switch n := counts[id]; {
		case n == 0:
			missing = append(missing, id)
		default:
			present++
			dups += n - 1
		}
	}
	return present, dups, missing
}

// identity checks Stats' accounting once the sink is closed.
func identity(t *testing.T, st core.Stats) {
	t.Helper()
	if got, want := st.Received+st.Replayed, st.Delivered+st.Dropped.Total()+uint64(st.QueueDepth); got != want {
		t.Errorf("Received %d + Replayed %d = %d, want Delivered %d + Dropped %d + QueueDepth %d = %d",
			st.Received, st.Replayed, got, st.Delivered, st.Dropped.Total(), st.QueueDepth, want)
	}
}

// TestSpoolOutageLongerThanMemory stops every broker, logs 20 times
// QueueByteLimit of numbered entries, sampling the live heap, and restarts
// the brokers: every entry is read back by a real consumer, and the heap
// stayed bounded by the memory limits, not by what was logged.
func TestSpoolOutageLongerThanMemory(t *testing.T) {
	c := kafkatest.Start(t)
	const topic = "durable-outage"
	c.CreateTopic(t, topic, 3)
	c.Stop()

	const queueBytes = 2 << 20
	var errs errCounter
	s := mustNew(t, core.Config{
		Brokers: c.Addrs(), Topic: topic, SpoolDir: t.TempDir(),
		QueueByteLimit: queueBytes, MaxEntryBytes: 64 << 10, MaxBatchBytes: 256 << 10,
		BatchSizeLimit: 500, Period: 20 * time.Millisecond, MaxBackoff: 200 * time.Millisecond,
		// Block loses nothing even if this writer outran the batcher.
		OverflowPolicy: core.Block, BlockTimeout: time.Minute,
		ErrorHandler: errs.handle,
	})
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	base := ms.HeapAlloc
	var quiet sync.RWMutex // the writer pauses while the sampler collects
	smp := startQuietSampler(50*time.Millisecond, true, &quiet)

	entrySize := len(spoolLine(nil, 1000000)) - 1
	n := (20*queueBytes + entrySize - 1) / entrySize // 20× QueueByteLimit
	buf := make([]byte, 0, 256)
	for id := 0; id < n; id++ {
		if id%256 == 0 {
			quiet.RLock()
		}
		buf = spoolLine(buf, id)
		if err := s.Write(core.Entry{Level: core.InfoLevel, JSON: buf}); err != nil {
			t.Fatalf("Write(%d) = %v during the outage (stats %+v)", id, err, s.Stats())
		}
		if id%256 == 255 {
			quiet.RUnlock()
		}
	}
	if n%256 != 0 {
		quiet.RUnlock()
	}
	smp.finish()
	during := s.Stats()
	if during.Dropped.Total() != 0 || during.QueueDepth != n {
		t.Fatalf("during the outage: %d dropped, %d held; want 0, %d", during.Dropped.Total(), during.QueueDepth, n)
	}
	// The bound: the queue's bytes; the batcher's records, in memory for
	// routing (twice its hold limit) and read back; and 8 MiB for the
	// rest (the spool's buffers and index, kafka-go's transport, the
	// sampler).
	const slack = 8 << 20
	bound := uint64(queueBytes) + 2*2*500*5*uint64(entrySize+256) + slack
	grew := int64(smp.maxHeap) - int64(base)
	t.Logf("logged %d entries (%.1f MiB, %.1f× QueueByteLimit) with the brokers down: live heap up to %.1f MiB over the baseline (bound %.1f MiB); %d on disk (%d MiB in %d segments), QueueBytes %d",
		n, float64(n*entrySize)/(1<<20), float64(n*entrySize)/queueBytes, float64(grew)/(1<<20), float64(bound)/(1<<20),
		during.Spool.Records, during.Spool.Bytes>>20, during.Spool.Segments, during.QueueBytes)
	if grew > int64(bound) {
		t.Errorf("the live heap grew by %.1f MiB while %d MiB were logged: more than the bound %.1f MiB", float64(grew)/(1<<20), n*entrySize>>20, float64(bound)/(1<<20))
	}
	if during.QueueBytes > queueBytes {
		t.Errorf("QueueBytes %d over QueueByteLimit %d", during.QueueBytes, queueBytes)
	}

	if err := c.Restart(); err != nil {
		t.Fatal(err)
	}
	flush(t, s, 2*time.Minute)
	err, st := closeSink(t, s, 10*time.Second)
	if err != nil {
		t.Fatalf("Close = %v", err)
	}
	counts := idCounts(t, c.ReadN(t, topic, n, 30*time.Second))
	present, dups, missing := tally(counts, 0, n)
	t.Logf("after the restart: %d accepted, %d delivered (%d distinct in Kafka, %d duplicates), %d lost; %d read back from disk",
		st.Accepted, st.Delivered, present, dups, len(missing), st.Spool.ReadBack)
	if len(missing) > 0 {
		t.Errorf("%d entries missing from Kafka, first %v", len(missing), missing[:min(10, len(missing))])
	}
	if st.Spool.ReadBack == 0 {
		t.Errorf("nothing was read back from disk: the outage did not outlast memory")
	}
	identity(t, st)
}

// spoolDamage is one kind of damage done to a spool directory between two
// sinks, and the entries it loses.
type spoolDamage struct {
	name string
	// damage damages dir, whose segments hold entries; it returns the ids
	// it made unreadable.
	damage func(t *testing.T, dir string, segs []string) (lost []int)
}

// idsIn returns the ids of the entries whose JSON is in b, in order.
func idsIn(b []byte) []int {
	var ids []int
	for {
		i := bytes.Index(b, []byte(`{"id":`))
		if i < 0 {
			return ids
		}
		if id, ok := parseID(b[i:]); ok {
			ids = append(ids, id)
		}
		b = b[i+1:]
	}
}

var spoolDamages = []spoolDamage{
	{"torn last segment", func(t *testing.T, dir string, segs []string) []int {
		// Cut the newest segment inside its last record, as a crash during
		// a write leaves it.
		last := segs[len(segs)-1]
		b := readFile(t, last)
		ids := idsIn(b)
		i := bytes.LastIndex(b, []byte(`{"id":`))
		if err := os.Truncate(last, int64(i+10)); err != nil {
			t.Fatal(err)
		}
		return ids[len(ids)-1:]
	}},
	{"flipped bytes", func(t *testing.T, dir string, segs []string) []int {
		// Flip bytes inside one record of an older segment.
		seg := segs[len(segs)/2]
		b := readFile(t, seg)
		ids := idsIn(b)
		victim := ids[len(ids)/2]
		i := bytes.Index(b, fmt.Appendf(nil, `{"id":%d,`, victim))
		for j := i + 20; j < i+24; j++ {
			b[j] ^= 0x5a
		}
		writeFile(t, seg, b)
		return []int{victim}
	}},
	{"deleted segment", func(t *testing.T, dir string, segs []string) []int {
		seg := segs[len(segs)/2]
		ids := idsIn(readFile(t, seg))
		if err := os.Remove(seg); err != nil {
			t.Fatal(err)
		}
		return ids
	}},
	{"garbage file", func(t *testing.T, dir string, segs []string) []int {
		writeFile(t, filepath.Join(dir, "notes.txt"), []byte("not a segment\n"))
		writeFile(t, filepath.Join(dir, "00000000000000000999.seg"), bytes.Repeat([]byte("garbage!"), 1000))
		return nil
	}},
}

func readFile(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func writeFile(t *testing.T, name string, b []byte) {
	t.Helper()
	if err := os.WriteFile(name, b, 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestSpoolDamage leaves entries in a spool (brokers down, Close),
// damages the files, and opens a new sink on them with the brokers up:
// New starts, every undamaged entry is delivered, and exactly the damaged
// ones are counted (Dropped.Corrupt) and reported.
func TestSpoolDamage(t *testing.T) {
	c := kafkatest.Start(t)
	for i, d := range spoolDamages {
		t.Run(d.name, func(t *testing.T) {
			topic := fmt.Sprintf("durable-damage-%d", i)
			c.CreateTopic(t, topic, 3)
			dir := t.TempDir()
			cfg := core.Config{Brokers: c.Addrs(), Topic: topic, SpoolDir: dir,
				// Segments of 1 MiB: a few for the entries written.
				SpoolByteLimit: 8 << 20, BatchSizeLimit: 500, Period: 20 * time.Millisecond,
				MaxBackoff: 200 * time.Millisecond, ErrorHandler: func(error) {}}
			c.Stop()
			s := mustNew(t, cfg)
			const n = 20000
			buf := make([]byte, 0, 256)
			for id := 0; id < n; id++ {
				buf = spoolLine(buf, id)
				if err := s.Write(core.Entry{Level: core.InfoLevel, JSON: buf}); err != nil {
					t.Fatalf("Write(%d) = %v", id, err)
				}
			}
			if err, _ := closeSink(t, s, time.Second); !errors.Is(err, core.ErrLeftInSpool) {
				t.Fatalf("Close with the brokers down = %v, want ErrLeftInSpool", err)
			}
			segs, _ := filepath.Glob(filepath.Join(dir, "*.seg"))
			sort.Strings(segs)
			if len(segs) < 3 {
				t.Fatalf("%d segments, want a few", len(segs))
			}
			lost := d.damage(t, dir, segs)
			if err := c.Restart(); err != nil {
				t.Fatal(err)
			}

			var mu sync.Mutex
			var reports []error
			cfg.Brokers = c.Addrs()
			cfg.ErrorHandler = func(err error) {
				mu.Lock()
				reports = append(reports, err)
				mu.Unlock()
			}
			s2 := mustNew(t, cfg)
			flush(t, s2, time.Minute)
			err, st := closeSink(t, s2, 10*time.Second)
			if err != nil {
				t.Fatalf("Close = %v", err)
			}
			counts := idCounts(t, c.ReadN(t, topic, n-len(lost), 30*time.Second))
			_, dups, missing := tally(counts, 0, n)
			slices.Sort(lost)
			t.Logf("%s: %d entries, %d lost to the damage, %d missing from Kafka, %d duplicates; Dropped.Corrupt %d, Replayed %d",
				d.name, n, len(lost), len(missing), dups, st.Dropped.Corrupt, st.Replayed)
			if !slices.Equal(missing, lost) {
				t.Errorf("missing from Kafka: %d ids %v…, want exactly the %d damaged %v…", len(missing), missing[:min(5, len(missing))], len(lost), lost[:min(5, len(lost))])
			}
			if st.Dropped.Corrupt != uint64(len(lost)) || st.Replayed != n || st.Delivered != uint64(n-len(lost)) {
				t.Errorf("Dropped.Corrupt %d, Replayed %d, Delivered %d; want %d, %d, %d", st.Dropped.Corrupt, st.Replayed, st.Delivered, len(lost), n, n-len(lost))
			}
			identity(t, st)
			mu.Lock()
			defer mu.Unlock()
			var se *core.SpoolError
			if len(reports) == 0 || !errors.As(reports[0], &se) || se.Op != "recover" {
				t.Errorf("reported %v, want the recovery's SpoolError first", reports)
			}
		})
	}
}
