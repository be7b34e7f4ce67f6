package core

import (
	"bytes"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"testing"
)

// testRecord returns a record that carries n in every field, so that a
// record read back can be checked against the one appended.
func testRecord(n int) spoolRecord {
	r := spoolRecord{
		time:  int64(1_700_000_000_000_000_000 + n),
		level: Level(n % int(numLevels)),
		data:  fmt.Appendf(nil, `{"n":%d,"msg":"entry %d","pad":"%s"}`, n, n, bytes.Repeat([]byte{'x'}, n%37)),
	}
	if n%3 != 0 {
		r.loggerName = "logger" + strconv.Itoa(n%4)
		r.message = "entry " + strconv.Itoa(n)
	}
	switch n % 4 {
	case 1:
		r.key = []byte("key" + strconv.Itoa(n))
	case 2:
		r.key = []byte{} // an empty key is not "no key"
	}
	if n%5 == 0 {
		r.headers = appendHeaders(nil, []Header{{Key: "n", Value: []byte(strconv.Itoa(n))}, {Key: "nil"}})
	}
	return r
}

func testRecords(from, to int) []spoolRecord {
	recs := make([]spoolRecord, 0, to-from)
	for n := from; n < to; n++ {
		recs = append(recs, testRecord(n))
	}
	return recs
}

// recordNumber returns the n of a record made by testRecord, checking that
// every field is the one testRecord(n) has.
func recordNumber(t *testing.T, r *spoolRecord) int {
	t.Helper()
	var n int
	if _, err := fmt.Sscanf(string(r.data), `{"n":%d,`, &n); err != nil {
		t.Fatalf("record data %q: %v", r.data, err)
	}
	want := testRecord(n)
	switch {
	case r.time != want.time, r.level != want.level, r.loggerName != want.loggerName, r.message != want.message,
		!bytes.Equal(r.data, want.data), !bytes.Equal(r.key, want.key), (r.key == nil) != (want.key == nil),
		!bytes.Equal(r.headers, want.headers), (r.headers == nil) != (want.headers == nil):
		t.Fatalf("record %d read back as %+v, want %+v", n, *r, want)
	}
	return n
}

func openTestSpool(t *testing.T, dir string, o spoolOptions) (*spool, spoolRecovery) {
	t.Helper()
	s, rec, err := openSpool(dir, o)
	if err != nil {
		t.Fatalf("openSpool: %v", err)
	}
	t.Cleanup(func() { s.close() })
	return s, rec
}

func mustAppend(t *testing.T, s *spool, recs []spoolRecord) uint64 {
	t.Helper()
	first, n, err := s.append(recs)
	if err != nil || n != len(recs) {
		t.Fatalf("append(%d records): n %d, err %v", len(recs), n, err)
	}
	return first
}

// readAll reads every record from id from on and returns the ids and the
// numbers (testRecord's n) read, in order.
func readAll(t *testing.T, s *spool, from uint64) (ids []uint64, nums []int) {
	t.Helper()
	r := s.reader(from, 0)
	defer r.close()
	for {
		var rec spoolRecord
		id, ok, err := r.read(&rec)
		if err != nil {
			t.Fatalf("read: %v", err)
		}
		if !ok {
			return ids, nums
		}
		ids = append(ids, id)
		nums = append(nums, recordNumber(t, &rec))
	}
}

func seq(from, to int) []int {
	s := make([]int, 0, to-from)
	for i := from; i < to; i++ {
		s = append(s, i)
	}
	return s
}

func TestSpoolAppendReadBack(t *testing.T) {
	for _, tt := range []struct {
		name     string
		segBytes int64
		batch    int
	}{
		{"one segment", 0, 100},
		{"many small segments", 4 << 10, 7},
		{"records of one each", 4 << 10, 1},
	} {
		t.Run(tt.name, func(t *testing.T) {
			s, rec := openTestSpool(t, t.TempDir(), spoolOptions{segmentBytes: tt.segBytes})
			if rec.next != 1 || rec.records != 0 {
				t.Fatalf("fresh spool: next %d records %d, want 1 and 0", rec.next, rec.records)
			}
			const total = 2000
			var want []uint64
			for n := 0; n < total; n += tt.batch {
				first := mustAppend(t, s, testRecords(n, min(n+tt.batch, total)))
				if first != uint64(n+1) {
					t.Fatalf("append of record %d: first id %d, want %d", n, first, n+1)
				}
			}
			for i := 1; i <= total; i++ {
				want = append(want, uint64(i))
			}
			ids, nums := readAll(t, s, 0)
			if !slices.Equal(ids, want) || !slices.Equal(nums, seq(0, total)) {
				t.Fatalf("read back %d records (ids %v…), want %d in order", len(ids), ids[:min(5, len(ids))], total)
			}
			// From the middle.
			ids, _ = readAll(t, s, 1500)
			if len(ids) != total-1499 || ids[0] != 1500 {
				t.Fatalf("from id 1500: got %d records starting %v, want %d from 1500", len(ids), ids[:min(1, len(ids))], total-1499)
			}
			st := s.stats()
			if st.records != total || st.appended != total {
				t.Fatalf("stats: records %d appended %d, want %d", st.records, st.appended, total)
			}
			if tt.segBytes > 0 && st.segments < 10 {
				t.Fatalf("stats: %d segments, want many with %d-byte segments", st.segments, tt.segBytes)
			}
		})
	}
}

func TestSpoolReaderFollowsAppends(t *testing.T) {
	s, _ := openTestSpool(t, t.TempDir(), spoolOptions{segmentBytes: 4 << 10})
	r := s.reader(0, 0)
	defer r.close()
	next := 0
	for round := 0; round < 50; round++ {
		mustAppend(t, s, testRecords(round*13, round*13+13))
		for {
			var rec spoolRecord
			_, ok, err := r.read(&rec)
			if err != nil {
				t.Fatal(err)
			}
			if !ok {
				break
			}
			if n := recordNumber(t, &rec); n != next {
				t.Fatalf("round %d: read record %d, want %d", round, n, next)
			}
			next++
		}
		if next != (round+1)*13 {
			t.Fatalf("round %d: caught up at record %d, want %d", round, next, (round+1)*13)
		}
	}
}

func TestSpoolRestartReplaysInOrder(t *testing.T) {
	dir := t.TempDir()
	o := spoolOptions{segmentBytes: 8 << 10}
	s, _ := openTestSpool(t, dir, o)
	mustAppend(t, s, testRecords(0, 500))
	if err := s.close(); err != nil {
		t.Fatal(err)
	}

	s, rec := openTestSpool(t, dir, o)
	if rec.records != 500 || rec.first != 1 || rec.next != 501 {
		t.Fatalf("recovery: records %d first %d next %d, want 500, 1, 501", rec.records, rec.first, rec.next)
	}
	if err := rec.problem(); err != nil {
		t.Fatalf("recovery of a clean spool reports %v", err)
	}
	if first := mustAppend(t, s, testRecords(500, 700)); first != 501 {
		t.Fatalf("first id after restart %d, want 501", first)
	}
	// The replay of the earlier process's records ends where this
	// process's begin, even with this process's appended already.
	r := s.reader(rec.first, rec.next)
	var old []int
	for {
		var sr spoolRecord
		_, ok, err := r.read(&sr)
		if err != nil {
			t.Fatal(err)
		}
		if !ok {
			break
		}
		old = append(old, recordNumber(t, &sr))
	}
	r.close()
	if !slices.Equal(old, seq(0, 500)) {
		t.Fatalf("replay [%d, %d) read %d records, want the earlier process's 500", rec.first, rec.next, len(old))
	}
	_, nums := readAll(t, s, 0)
	if !slices.Equal(nums, seq(0, 700)) {
		t.Fatalf("read back %d records, want 0…699 in order: %v", len(nums), nums)
	}
	if st := s.stats(); st.replayed != 1000 || st.readBack != 1200 {
		t.Fatalf("stats: replayed %d readBack %d, want 1000 and 1200 (two readers)", st.replayed, st.readBack)
	}
}

func TestSpoolAckOutOfOrder(t *testing.T) {
	dir := t.TempDir()
	o := spoolOptions{segmentBytes: 4 << 10}
	s, _ := openTestSpool(t, dir, o)
	const total = 1500
	for n := 0; n < total; n += 50 {
		mustAppend(t, s, testRecords(n, n+50))
	}
	segs := s.stats().segments
	rng := rand.New(rand.NewPCG(1, 2))
	ids := make([]uint64, total)
	for i := range ids {
		ids[i] = uint64(i + 1)
	}
	rng.Shuffle(len(ids), func(i, j int) { ids[i], ids[j] = ids[j], ids[i] })
	// Ack all but every 7th record, in random order, in batches.
	var acked, kept []uint64
	for _, id := range ids {
		if id%7 == 0 {
			kept = append(kept, id)
		} else {
			acked = append(acked, id)
		}
	}
	for i := 0; i < len(acked); i += 33 {
		if err := s.ack(acked[i:min(i+33, len(acked))]); err != nil {
			t.Fatal(err)
		}
	}
	slices.Sort(kept)
	gotIDs, _ := readAll(t, s, 0)
	if !slices.Equal(gotIDs, kept) {
		t.Fatalf("read back %d records after acks, want the %d not acked", len(gotIDs), len(kept))
	}
	if st := s.stats(); st.records != uint64(len(kept)) || st.acked != uint64(len(acked)) {
		t.Fatalf("stats: records %d acked %d, want %d and %d", st.records, st.acked, len(kept), len(acked))
	}
	// Acking twice, or ids that do not exist, changes nothing.
	if err := s.ack([]uint64{1, 2, 3, 0, 1 << 40}); err != nil {
		t.Fatal(err)
	}
	if st := s.stats(); st.acked != uint64(len(acked)) {
		t.Fatalf("acked %d after repeated acks, want %d", st.acked, len(acked))
	}

	// Ack the rest, except two in different segments: the other segments go.
	keep := []uint64{kept[0], kept[len(kept)-1]}
	if err := s.ack(kept[1 : len(kept)-1]); err != nil {
		t.Fatal(err)
	}
	st := s.stats()
	if st.segments > 3 || st.segments >= segs {
		t.Fatalf("%d segments left of %d with 2 records pending, want at most 3 (theirs and the active one)", st.segments, segs)
	}
	if files := segFiles(t, dir); len(files) != st.segments {
		t.Fatalf("%d segment files on disk, stats say %d", len(files), st.segments)
	}

	// After a restart, only the two unacked records come back.
	if err := s.close(); err != nil {
		t.Fatal(err)
	}
	s, rec := openTestSpool(t, dir, o)
	if rec.records != 2 || rec.first != keep[0] {
		t.Fatalf("recovery: records %d first %d, want 2 from %d", rec.records, rec.first, keep[0])
	}
	gotIDs, _ = readAll(t, s, 0)
	if !slices.Equal(gotIDs, keep) {
		t.Fatalf("replayed %v, want %v", gotIDs, keep)
	}
	if err := s.ack(keep); err != nil {
		t.Fatal(err)
	}
	if st := s.stats(); st.segments != 0 || st.records != 0 {
		t.Fatalf("all acked: %d segments %d records left, want none", st.segments, st.records)
	}
}

// segFiles lists the segment files in dir.
func segFiles(t *testing.T, dir string) []string {
	t.Helper()
	m, err := filepath.Glob(filepath.Join(dir, "*.seg"))
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func TestSpoolSecondOpenerInProcess(t *testing.T) {
	dir := t.TempDir()
	s, _ := openTestSpool(t, dir, spoolOptions{})
	_, _, err := openSpool(dir, spoolOptions{})
	if !errors.Is(err, errSpoolLocked) {
		t.Fatalf("second openSpool: %v, want errSpoolLocked", err)
	}
	if want := "SpoolDir"; !bytes.Contains([]byte(err.Error()), []byte(want)) {
		t.Fatalf("error %q does not name %s", err, want)
	}
	// Through another path to the same directory.
	_, _, err = openSpool(filepath.Join(dir, ".", "."), spoolOptions{})
	if !errors.Is(err, errSpoolLocked) {
		t.Fatalf("openSpool through another path: %v, want errSpoolLocked", err)
	}
	if err := s.close(); err != nil {
		t.Fatal(err)
	}
	s2, _ := openTestSpool(t, dir, spoolOptions{})
	if err := s2.close(); err != nil {
		t.Fatalf("open after close: %v", err)
	}
}

func TestSpoolUnusableDir(t *testing.T) {
	file := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(file, []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct{ name, dir string }{
		{"empty", ""},
		{"a file", file},
		{"under a file", filepath.Join(file, "spool")},
	} {
		t.Run(tt.name, func(t *testing.T) {
			s, _, err := openSpool(tt.dir, spoolOptions{})
			if err == nil {
				s.close()
				t.Fatalf("openSpool(%q) succeeded, want an error", tt.dir)
			}
			var se *spoolError
			if !errors.As(err, &se) || !bytes.Contains([]byte(err.Error()), []byte("SpoolDir")) {
				t.Fatalf("openSpool(%q): %v, want a *spoolError naming SpoolDir", tt.dir, err)
			}
		})
	}
}

func TestSpoolClosed(t *testing.T) {
	s, _ := openTestSpool(t, t.TempDir(), spoolOptions{})
	mustAppend(t, s, testRecords(0, 3))
	r := s.reader(0, 0)
	if err := s.close(); err != nil {
		t.Fatal(err)
	}
	if err := s.close(); err != nil {
		t.Fatalf("second close: %v", err)
	}
	if _, _, err := s.append(testRecords(3, 4)); !errors.Is(err, errSpoolClosed) {
		t.Fatalf("append after close: %v, want errSpoolClosed", err)
	}
	if err := s.ack([]uint64{1}); !errors.Is(err, errSpoolClosed) {
		t.Fatalf("ack after close: %v, want errSpoolClosed", err)
	}
	if err := s.sync(); !errors.Is(err, errSpoolClosed) {
		t.Fatalf("sync after close: %v, want errSpoolClosed", err)
	}
	var rec spoolRecord
	if _, _, err := r.read(&rec); !errors.Is(err, errSpoolClosed) {
		t.Fatalf("read after close: %v, want errSpoolClosed", err)
	}
}

// TestSpoolConcurrent appends, reads back, acknowledges (out of order)
// and syncs from different goroutines at once, as the sink will: every
// record is read exactly once, in order, and the spool empties.
func TestSpoolConcurrent(t *testing.T) {
	s, _ := openTestSpool(t, t.TempDir(), spoolOptions{segmentBytes: 8 << 10})
	const total = 20000
	appended := make(chan uint64, 64) // the last id of each append
	done := make(chan error, 3)
	go func() {
		defer close(appended)
		for n := 0; n < total; n += 25 {
			first, k, err := s.append(testRecords(n, n+25))
			if err != nil || k != 25 {
				done <- fmt.Errorf("append: %d, %v", k, err)
				return
			}
			appended <- first + 24
		}
		done <- nil
	}()
	acks := make(chan []uint64, 16)
	go func() {
		defer close(acks)
		r := s.reader(0, 0)
		defer r.close()
		want, batch := 0, []uint64(nil)
		rng := rand.New(rand.NewPCG(3, 4))
		for last := range appended {
			for {
				var rec spoolRecord
				id, ok, err := r.read(&rec)
				if err != nil {
					done <- err
					return
				}
				if !ok {
					if id := r.nextID(); id <= last {
						continue // the reader had not seen the append yet: read again
					}
					break
				}
				if n := recordNumber(t, &rec); n != want {
					done <- fmt.Errorf("read record %d, want %d", n, want)
					return
				}
				want++
				batch = append(batch, id)
				if len(batch) == 40 {
					rng.Shuffle(len(batch), func(i, j int) { batch[i], batch[j] = batch[j], batch[i] })
					acks <- batch
					batch = nil
				}
			}
		}
		acks <- batch
		if want != total {
			done <- fmt.Errorf("read %d records, want %d", want, total)
			return
		}
		done <- nil
	}()
	go func() {
		i := 0
		for b := range acks {
			if err := s.ack(b); err != nil {
				done <- err
				return
			}
			if i++; i%10 == 0 {
				if err := s.sync(); err != nil {
					done <- err
					return
				}
				s.stats()
			}
		}
		done <- nil
	}()
	for i := 0; i < 3; i++ {
		if err := <-done; err != nil {
			t.Fatal(err)
		}
	}
	if st := s.stats(); st.records != 0 || st.segments > 1 || st.acked != total {
		t.Fatalf("after acking everything: %d records, %d segments, %d acked; want 0, at most the active one, %d",
			st.records, st.segments, st.acked, total)
	}
}

func TestSpoolRecordTooLarge(t *testing.T) {
	s, _ := openTestSpool(t, t.TempDir(), spoolOptions{})
	huge := spoolRecord{data: make([]byte, maxSpoolBody+1)} // never written to: costs no memory
	recs := []spoolRecord{testRecord(0), testRecord(1), huge, testRecord(2)}
	first, n, err := s.append(recs)
	if !errors.Is(err, errSpoolRecordTooLarge) || n != 2 || first != 1 {
		t.Fatalf("append with a record over the limit: first %d, n %d, %v; want 1, 2, errSpoolRecordTooLarge", first, n, err)
	}
	if _, nums := readAll(t, s, 0); !slices.Equal(nums, []int{0, 1}) {
		t.Fatalf("read back %v, want the 2 records before the large one", nums)
	}
	if first := mustAppend(t, s, recs[3:]); first != 3 {
		t.Fatalf("next append got id %d, want 3", first)
	}
}
