package core

import (
	"encoding/binary"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// makeSpool writes records 0…n-1 into a new spool in dir with the given
// segment size, closes it and returns the segment files, oldest first.
func makeSpool(t *testing.T, dir string, n int, segBytes int64) []string {
	t.Helper()
	s, _, err := openSpool(dir, spoolOptions{segmentBytes: segBytes})
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < n; i += 10 {
		if _, k, err := s.append(testRecords(i, min(i+10, n))); err != nil || k != min(10, n-i) {
			t.Fatalf("append: %d, %v", k, err)
		}
	}
	if err := s.close(); err != nil {
		t.Fatal(err)
	}
	files := segFiles(t, dir)
	slices.Sort(files)
	return files
}

// frameOffsets returns the offset of every frame of a clean segment file
// and the file's size.
func frameOffsets(t *testing.T, path string) ([]int64, int64) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var offs []int64
	for off := segHeaderSize; off < len(b); {
		offs = append(offs, int64(off))
		off += frameHeaderSize + int(binary.LittleEndian.Uint32(b[off+4:]))
	}
	return offs, int64(len(b))
}

// copyDir copies the files of src into a new temporary directory.
func copyDir(t *testing.T, src string) string {
	t.Helper()
	dst := t.TempDir()
	entries, err := os.ReadDir(src)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if e.IsDir() {
			continue
		}
		b, err := os.ReadFile(filepath.Join(src, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dst, e.Name()), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dst
}

// reopenCheck opens dir, reads everything back and checks that the
// records read are want (testRecord numbers, in order). It returns the
// recovery.
func reopenCheck(t *testing.T, dir string, want []int) spoolRecovery {
	t.Helper()
	s, rec, err := openSpool(dir, spoolOptions{})
	if err != nil {
		t.Fatalf("openSpool after damage: %v", err)
	}
	defer s.close()
	_, nums := readAll(t, s, 0)
	if !slices.Equal(nums, want) {
		t.Fatalf("read back %d records %v, want %d: %v", len(nums), head(nums), len(want), head(want))
	}
	if rec.records != uint64(len(want)) {
		t.Fatalf("recovery counts %d records to replay, want %d", rec.records, len(want))
	}
	// New records go after the old ones, and read back after them.
	first := mustAppend(t, s, testRecords(1000, 1003))
	if first != rec.next {
		t.Fatalf("first new id %d, want recovery's next %d", first, rec.next)
	}
	_, nums = readAll(t, s, 0)
	if !slices.Equal(nums, append(slices.Clone(want), 1000, 1001, 1002)) {
		t.Fatalf("after appending: read back %v, want the old records then 1000…1002", head(nums))
	}
	return rec
}

func head(s []int) []int { return s[:min(len(s), 8)] }

func without(s []int, drop ...int) []int {
	return slices.DeleteFunc(slices.Clone(s), func(n int) bool { return slices.Contains(drop, n) })
}

// TestSpoolTornTail cuts the newest segment at every byte offset of its
// last record: each time the record is truncated away and counted torn,
// and every earlier record comes back.
func TestSpoolTornTail(t *testing.T) {
	src := t.TempDir()
	files := makeSpool(t, src, 20, 0)
	offs, size := frameOffsets(t, files[0])
	last := offs[len(offs)-1]
	for cut := last; cut < size; cut++ {
		dir := copyDir(t, src)
		seg := filepath.Join(dir, filepath.Base(files[0]))
		if err := os.Truncate(seg, cut); err != nil {
			t.Fatal(err)
		}
		rec := reopenCheck(t, dir, seq(0, 19))
		wantTorn := 0
		if cut > last {
			wantTorn = 1
		}
		if rec.tornRecords != wantTorn || rec.tornBytes != cut-last || rec.corruptRecs != 0 || rec.corruptBytes != 0 {
			t.Fatalf("cut at %d (record at %d): torn %d records %d bytes, corrupt %d/%d, want torn %d/%d, no corruption",
				cut, last, rec.tornRecords, rec.tornBytes, rec.corruptRecs, rec.corruptBytes, wantTorn, cut-last)
		}
		if fi, err := os.Stat(seg); err != nil || fi.Size() != last {
			t.Fatalf("cut at %d: segment is %d bytes after recovery (%v), want it truncated to %d", cut, fi.Size(), err, last)
		}
		// A second open finds nothing more to repair.
		if rec := reopenCheck(t, dir, append(seq(0, 19), 1000, 1001, 1002)); rec.problem() != nil {
			t.Fatalf("cut at %d: second recovery reports %v", cut, rec.problem())
		}
	}
}

// TestSpoolBitFlip flips a bit at every byte of a record in the middle of
// a segment, and of the last record: the record is lost and counted, the
// others all come back.
func TestSpoolBitFlip(t *testing.T) {
	src := t.TempDir()
	files := makeSpool(t, src, 20, 0)
	offs, size := frameOffsets(t, files[0])
	for _, tt := range []struct {
		name   string
		record int
	}{
		{"middle record", 7},
		{"first record", 0},
		{"last record", 19},
	} {
		t.Run(tt.name, func(t *testing.T) {
			start, end := offs[tt.record], size
			if tt.record+1 < len(offs) {
				end = offs[tt.record+1]
			}
			for off := start; off < end; off++ {
				bit := byte(1) << (off % 8) // every bit position, over the record's bytes
				dir := copyDir(t, src)
				flipByte(t, filepath.Join(dir, filepath.Base(files[0])), off, bit)
				rec := reopenCheck(t, dir, without(seq(0, 20), tt.record))
				if lost := rec.corruptRecs + uint64(rec.tornRecords); lost != 1 {
					t.Fatalf("bit %#x flipped at %d (record %d, %d…%d): %d corrupt + %d torn records, want 1 lost",
						bit, off, tt.record, start, end, rec.corruptRecs, rec.tornRecords)
				}
				if rec.problem() == nil {
					t.Fatalf("bit flipped at %d: recovery reports no problem", off)
				}
			}
		})
	}
}

func flipByte(t *testing.T, path string, off int64, bit byte) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	b[off] ^= bit
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestSpoolDamagedRun overwrites several records in the middle with
// garbage: exactly those records are counted lost.
func TestSpoolDamagedRun(t *testing.T) {
	dir := t.TempDir()
	files := makeSpool(t, dir, 30, 0)
	offs, _ := frameOffsets(t, files[0])
	f, err := os.OpenFile(files[0], os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	junk := []byte(strings.Repeat("\x00garbage", int(offs[14]-offs[10])/8+1))[:offs[14]-offs[10]+3]
	if _, err := f.WriteAt(junk, offs[10]); err != nil {
		t.Fatal(err)
	}
	f.Close()
	// Records 10…13 are overwritten, and the start of 14.
	rec := reopenCheck(t, dir, without(seq(0, 30), 10, 11, 12, 13, 14))
	if rec.corruptRecs != 5 {
		t.Fatalf("corrupt records %d, want 5", rec.corruptRecs)
	}
}

// TestSpoolMissingSegment deletes segments in the middle: the others are
// read back and the lost records are counted from the manifest.
func TestSpoolMissingSegment(t *testing.T) {
	src := t.TempDir()
	files := makeSpool(t, src, 300, 2<<10)
	if len(files) < 6 {
		t.Fatalf("%d segments, want at least 6", len(files))
	}
	// Which records are in segments 2 and 3?
	var counts []int
	for _, f := range files {
		offs, _ := frameOffsets(t, f)
		counts = append(counts, len(offs))
	}
	before2 := counts[0] + counts[1]
	in2, in3 := counts[2], counts[3]

	for _, tt := range []struct {
		name      string
		remove    []int // segments to delete
		ackFirst  int   // records of segment 2 acknowledged before the deletion
		lost      []int
		wantSegs  int
		wantCount uint64
	}{
		{"one", []int{2}, 0, seq(before2, before2+in2), 1, uint64(in2)},
		{"two adjacent", []int{2, 3}, 0, seq(before2, before2+in2+in3), 2, uint64(in2 + in3)},
		{"one, partly acknowledged", []int{2}, 3, seq(before2, before2+in2), 1, uint64(in2 - 3)},
	} {
		t.Run(tt.name, func(t *testing.T) {
			dir := copyDir(t, src)
			if tt.ackFirst > 0 {
				s, _ := openTestSpool(t, dir, spoolOptions{})
				var ids []uint64
				for i := 0; i < tt.ackFirst; i++ {
					ids = append(ids, uint64(before2+i+1))
				}
				if err := s.ack(ids); err != nil {
					t.Fatal(err)
				}
				s.close()
			}
			for _, i := range tt.remove {
				os.Remove(filepath.Join(dir, filepath.Base(files[i])))
			}
			rec := reopenCheck(t, dir, without(seq(0, 300), tt.lost...))
			if rec.missingSegs != tt.wantSegs || rec.missingRecs != tt.wantCount {
				t.Fatalf("missing: %d segments, %d records; want %d and %d", rec.missingSegs, rec.missingRecs, tt.wantSegs, tt.wantCount)
			}
			if rec.problem() == nil {
				t.Fatal("recovery reports no problem")
			}
			// The journal of a deleted segment is removed with it.
			if _, err := os.Stat(filepath.Join(dir, ackName(3))); !os.IsNotExist(err) {
				t.Fatalf("journal of the missing segment: %v, want it removed", err)
			}
		})
	}

	// A segment deleted by the spool itself (all acknowledged) is no loss.
	t.Run("deleted by the spool", func(t *testing.T) {
		dir := copyDir(t, src)
		s, _ := openTestSpool(t, dir, spoolOptions{})
		var ids []uint64
		for i := 0; i < in2; i++ {
			ids = append(ids, uint64(before2+i+1))
		}
		if err := s.ack(ids); err != nil {
			t.Fatal(err)
		}
		s.close()
		if _, err := os.Stat(filepath.Join(dir, filepath.Base(files[2]))); !os.IsNotExist(err) {
			t.Fatalf("acknowledged segment: %v, want it deleted", err)
		}
		rec := reopenCheck(t, dir, without(seq(0, 300), seq(before2, before2+in2)...))
		if err := rec.problem(); err != nil {
			t.Fatalf("recovery reports %v, want nothing", err)
		}
	})
}

// TestSpoolStrayFiles puts garbage next to the segments: recovery starts,
// counts it, and leaves unknown files alone.
func TestSpoolStrayFiles(t *testing.T) {
	src := t.TempDir()
	files := makeSpool(t, src, 50, 2<<10)
	for _, tt := range []struct {
		name   string
		files  map[string][]byte
		check  func(t *testing.T, dir string, rec spoolRecovery)
		damage bool // recovery must report a problem
	}{
		{
			name:  "unknown file",
			files: map[string][]byte{"notes.txt": []byte("hello"), "00000000000000000007.seg.bak": []byte("x")},
			check: func(t *testing.T, dir string, rec spoolRecovery) {
				if len(rec.unknownFiles) != 2 {
					t.Fatalf("unknown files %v, want the 2 stray ones", rec.unknownFiles)
				}
				if b, err := os.ReadFile(filepath.Join(dir, "notes.txt")); err != nil || string(b) != "hello" {
					t.Fatalf("notes.txt: %q, %v; want it left alone", b, err)
				}
			},
			damage: true,
		},
		{
			name:  "garbage named like a segment",
			files: map[string][]byte{"00000000000000000099.seg": []byte(strings.Repeat("garbage!", 100))},
			check: func(t *testing.T, dir string, rec spoolRecovery) {
				if rec.badSegments != 1 {
					t.Fatalf("bad segments %d, want 1", rec.badSegments)
				}
				if fi, err := os.Stat(filepath.Join(dir, "00000000000000000099.seg.corrupt")); err != nil || fi.Size() != 800 {
					t.Fatalf("garbage segment not set aside whole: %v", err)
				}
			},
			damage: true,
		},
		{
			name:  "zero-length segment",
			files: map[string][]byte{"00000000000000000099.seg": nil},
			check: func(t *testing.T, dir string, rec spoolRecovery) {
				if rec.emptySegs != 1 {
					t.Fatalf("empty segments %d, want 1", rec.emptySegs)
				}
				if _, err := os.Stat(filepath.Join(dir, "00000000000000000099.seg")); !os.IsNotExist(err) {
					t.Fatalf("empty segment: %v, want it removed", err)
				}
			},
		},
		{
			name:  "header cut short",
			files: map[string][]byte{"00000000000000000099.seg": segMagic[:5]},
			check: func(t *testing.T, dir string, rec spoolRecovery) {
				if rec.emptySegs != 1 {
					t.Fatalf("empty segments %d, want 1", rec.emptySegs)
				}
			},
		},
		{
			name: "header only",
			files: map[string][]byte{"00000000000000000099.seg": appendSegHeader(nil,
				segHeader{version: spoolVersion, seg: 99, first: 1 << 20})},
			check: func(t *testing.T, dir string, rec spoolRecovery) {
				if rec.emptySegs != 1 {
					t.Fatalf("empty segments %d, want 1", rec.emptySegs)
				}
			},
		},
		{
			name: "a segment of a newer version",
			files: map[string][]byte{"00000000000000000099.seg": append(appendSegHeader(nil,
				segHeader{version: spoolVersion + 1, seg: 99, first: 1 << 20}), "future"...)},
			check: func(t *testing.T, dir string, rec spoolRecovery) {
				if len(rec.unknownFiles) != 1 {
					t.Fatalf("unknown files %v, want the newer segment", rec.unknownFiles)
				}
				if _, err := os.Stat(filepath.Join(dir, "00000000000000000099.seg")); err != nil {
					t.Fatalf("newer segment: %v, want it left alone", err)
				}
			},
			damage: true,
		},
		{
			name:  "orphan journal",
			files: map[string][]byte{"00000000000000000099.ack": []byte("whatever")},
			check: func(t *testing.T, dir string, rec spoolRecovery) {
				if _, err := os.Stat(filepath.Join(dir, "00000000000000000099.ack")); !os.IsNotExist(err) {
					t.Fatalf("orphan journal: %v, want it removed", err)
				}
			},
		},
		{
			name:  "leftover temporary files",
			files: map[string][]byte{"MANIFEST.tmp": []byte("half"), "00000000000000000001.ack.tmp": []byte("half")},
			check: func(t *testing.T, dir string, rec spoolRecovery) {
				for _, n := range []string{"MANIFEST.tmp", "00000000000000000001.ack.tmp"} {
					if _, err := os.Stat(filepath.Join(dir, n)); !os.IsNotExist(err) {
						t.Fatalf("%s: %v, want it removed", n, err)
					}
				}
			},
		},
		{
			name:  "garbage manifest",
			files: map[string][]byte{"MANIFEST": []byte("not a manifest")},
			check: func(t *testing.T, dir string, rec spoolRecovery) {},
		},
		{
			name:  "a directory named like a segment",
			files: map[string][]byte{"00000000000000000099.seg/": nil},
			check: func(t *testing.T, dir string, rec spoolRecovery) {
				if len(rec.unknownFiles) != 1 {
					t.Fatalf("unknown files %v, want the directory", rec.unknownFiles)
				}
			},
			damage: true,
		},
	} {
		t.Run(tt.name, func(t *testing.T) {
			dir := copyDir(t, src)
			for name, b := range tt.files {
				p := filepath.Join(dir, name)
				if strings.HasSuffix(name, "/") {
					if err := os.Mkdir(p, 0o755); err != nil {
						t.Fatal(err)
					}
					continue
				}
				if err := os.WriteFile(p, b, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			rec := reopenCheck(t, dir, seq(0, 50))
			tt.check(t, dir, rec)
			if got := rec.problem() != nil; got != tt.damage {
				t.Fatalf("problem() = %v, want a problem: %v", rec.problem(), tt.damage)
			}
			if rec.corruptRecs != 0 || rec.missingRecs != 0 {
				t.Fatalf("records counted lost: %d corrupt, %d missing; want none", rec.corruptRecs, rec.missingRecs)
			}
			// New segments never reuse a number seen in the directory.
			s, _ := openTestSpool(t, dir, spoolOptions{segmentBytes: 2 << 10})
			mustAppend(t, s, testRecords(2000, 2100))
			s.close()
			for _, f := range segFiles(t, dir) {
				if !slices.Contains(files, filepath.Join(src, filepath.Base(f))) {
					if n, _ := parseNum(filepath.Base(f), ".seg"); n <= uint64(len(files)) {
						t.Fatalf("new segment %s reuses a number", f)
					}
				}
			}
		})
	}
}

// TestSpoolBadHeader damages a segment's header: its frames still count.
func TestSpoolBadHeader(t *testing.T) {
	dir := t.TempDir()
	files := makeSpool(t, dir, 50, 2<<10)
	flipByte(t, files[1], 20, 0x04) // the first id
	rec := reopenCheck(t, dir, seq(0, 50))
	if rec.corruptBytes != segHeaderSize || rec.corruptRecs != 0 {
		t.Fatalf("bad header: corrupt %d bytes %d records, want %d bytes and none", rec.corruptBytes, rec.corruptRecs, segHeaderSize)
	}
}

// TestSpoolJournalRecovery damages journals: the acknowledgements before
// the damage hold, those after are lost (their records come back).
func TestSpoolJournalRecovery(t *testing.T) {
	src := t.TempDir()
	makeSpool(t, src, 40, 0)
	s, _ := openTestSpool(t, src, spoolOptions{})
	for _, batch := range [][]uint64{{1, 2, 3}, {10}, {20, 21}} {
		if err := s.ack(batch); err != nil {
			t.Fatal(err)
		}
	}
	s.close()
	journal := filepath.Join(src, ackName(1))
	b, err := os.ReadFile(journal)
	if err != nil {
		t.Fatal(err)
	}
	// Three frames: 8+8, 8+8, 8+8 bytes (one range each).
	if len(b) != 48 {
		t.Fatalf("journal of %d bytes, want 3 frames of 16", len(b))
	}
	all := seq(0, 40)
	for _, tt := range []struct {
		name     string
		damage   func(b []byte) []byte
		notAcked []int // numbers (id-1) that come back although acked
	}{
		{"intact", func(b []byte) []byte { return b }, nil},
		{"torn last frame", func(b []byte) []byte { return b[:45] }, []int{19, 20}},
		{"torn header of the last frame", func(b []byte) []byte { return b[:35] }, []int{19, 20}},
		{"damaged middle frame", func(b []byte) []byte { b = slices.Clone(b); b[20] ^= 1; return b }, []int{9, 19, 20}},
		{"empty", func(b []byte) []byte { return nil }, []int{0, 1, 2, 9, 19, 20}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			dir := copyDir(t, src)
			if err := os.WriteFile(filepath.Join(dir, ackName(1)), tt.damage(b), 0o644); err != nil {
				t.Fatal(err)
			}
			acked := without([]int{0, 1, 2, 9, 19, 20}, tt.notAcked...)
			reopenCheck(t, dir, without(all, acked...))
		})
	}
}

// TestSpoolSegmentDeletedWhileOpen deletes a segment file under a running
// spool: the reader skips it, counting its records as missing.
func TestSpoolSegmentDeletedWhileOpen(t *testing.T) {
	dir := t.TempDir()
	files := makeSpool(t, dir, 100, 2<<10)
	offs, _ := frameOffsets(t, files[0])
	inFirst := len(offs)
	offs, _ = frameOffsets(t, files[1])
	inSecond := len(offs)
	s, _ := openTestSpool(t, dir, spoolOptions{})
	if err := os.Remove(files[1]); err != nil {
		t.Fatal(err)
	}
	_, nums := readAll(t, s, 0)
	if want := without(seq(0, 100), seq(inFirst, inFirst+inSecond)...); !slices.Equal(nums, want) {
		t.Fatalf("read back %d records, want the %d outside the deleted segment", len(nums), len(want))
	}
	st := s.stats()
	if st.missingSegs != 1 || st.missingRecs != uint64(inSecond) || st.records != uint64(100-inSecond) {
		t.Fatalf("stats: %d missing segments, %d missing records, %d pending; want 1, %d, %d",
			st.missingSegs, st.missingRecs, st.records, inSecond, 100-inSecond)
	}
}

// TestSpoolEmptyNewestSegment is a crash right after a rotation: the new
// segment is in the manifest, with its header only. It is removed, and
// not reported as missing.
func TestSpoolEmptyNewestSegment(t *testing.T) {
	dir := t.TempDir()
	s, _ := openTestSpool(t, dir, spoolOptions{segmentBytes: 2 << 10})
	mustAppend(t, s, testRecords(0, 60))
	s.close()
	files := makeSpoolFiles(t, dir)
	last := files[len(files)-1]
	offs, _ := frameOffsets(t, last)
	if err := os.Truncate(last, segHeaderSize); err != nil {
		t.Fatal(err)
	}
	rec := reopenCheck(t, dir, seq(0, 60-len(offs)))
	if rec.emptySegs != 1 || rec.missingSegs != 0 || rec.problem() != nil {
		t.Fatalf("recovery: %d empty, %d missing segments, problem %v; want 1, 0, none", rec.emptySegs, rec.missingSegs, rec.problem())
	}
}

func makeSpoolFiles(t *testing.T, dir string) []string {
	files := segFiles(t, dir)
	slices.Sort(files)
	return files
}

// TestSpoolOverlappingSegment puts a copy of a segment under a later
// number: its ids overlap, so it is not loaded, and it is reported.
func TestSpoolOverlappingSegment(t *testing.T) {
	dir := t.TempDir()
	files := makeSpool(t, dir, 50, 2<<10)
	b, err := os.ReadFile(files[0])
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, segName(99)), b, 0o644); err != nil {
		t.Fatal(err)
	}
	rec := reopenCheck(t, dir, seq(0, 50))
	if len(rec.errs) != 1 || !strings.Contains(rec.errs[0].Error(), "overlap") {
		t.Fatalf("recovery errors %v, want the overlap reported", rec.errs)
	}
	if _, err := os.Stat(filepath.Join(dir, segName(99))); err != nil {
		t.Fatalf("the overlapping copy: %v, want it left alone", err)
	}
}
