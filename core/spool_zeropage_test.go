package core

import (
	"os"
	"path/filepath"
	"testing"
)

// zeroRange overwrites the bytes [from, to) of path with zeros, as a disk
// or file system that loses a page does.
func zeroRange(t *testing.T, path string, from, to int64) {
	t.Helper()
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := f.WriteAt(make([]byte, to-from), from); err != nil {
		t.Fatal(err)
	}
}

// TestSpoolZeroedFirstPage zeroes the first 4 KiB page of a segment: its
// header and the records that start in that page. The records lost are
// counted exactly whichever segment it is, the oldest included: the
// manifest says where its ids start, though its header is gone.
func TestSpoolZeroedFirstPage(t *testing.T) {
	const page = 4096
	src := t.TempDir()
	files := makeSpool(t, src, 400, 16<<10)
	if len(files) < 3 {
		t.Fatalf("%d segments, want at least 3", len(files))
	}
	before := 0 // records in the segments before the damaged one
	for i, f := range files {
		offs, _ := frameOffsets(t, f)
		lost := 0
		for _, off := range offs {
			if off < page {
				lost++
			}
		}
		if lost == 0 || lost == len(offs) {
			t.Fatalf("segment %d: %d of %d records in its first page, want some, not all", i, lost, len(offs))
		}
		name := map[int]string{0: "oldest", len(files) - 1: "newest"}[i]
		if name == "" {
			name = "middle"
		}
		t.Run(name, func(t *testing.T) {
			dir := copyDir(t, src)
			zeroRange(t, filepath.Join(dir, filepath.Base(f)), 0, page)
			rec := reopenCheck(t, dir, without(seq(0, 400), seq(before, before+lost)...))
			if got := rec.corruptRecs + uint64(rec.tornRecords) + rec.missingRecs; got != uint64(lost) {
				t.Fatalf("records counted lost: %d corrupt, %d torn, %d missing; got %d, want the %d that started in the zeroed page",
					rec.corruptRecs, rec.tornRecords, rec.missingRecs, got, lost)
			}
		})
		before += len(offs)
	}
}

// TestSpoolZeroedFirstPageAcked acknowledges records at the start of the
// oldest segment, then zeroes its first page (the header and those
// records). The journal's ranges are relative to the segment's first id:
// taken from the first valid frame instead, they marked later records,
// never delivered, as acknowledged, and those were lost without a count.
// With the manifest, the first id is known; without it (damaged too), the
// journal cannot be applied: its records are sent again, none is lost.
func TestSpoolZeroedFirstPageAcked(t *testing.T) {
	const page, acked = 4096, 20
	src := t.TempDir()
	files := makeSpool(t, src, 400, 16<<10)
	offs, _ := frameOffsets(t, files[0])
	inPage := 0
	for _, off := range offs {
		if off < page {
			inPage++
		}
	}
	if inPage <= acked {
		t.Fatalf("%d records in the first page, want more than %d", inPage, acked)
	}
	s, _, err := openSpool(src, spoolOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var ids []uint64
	for id := uint64(1); id <= acked; id++ {
		ids = append(ids, id)
	}
	if err := s.ack(ids); err != nil {
		t.Fatal(err)
	}
	if err := s.close(); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		name     string
		manifest bool
		wantLost uint64 // records counted lost
	}{
		// Of the records in the page, the acknowledged were delivered,
		// the others are lost.
		{"manifest intact", true, uint64(inPage - acked)},
		// Their ids are unknown without the manifest: not counted.
		{"manifest damaged", false, 0},
	} {
		t.Run(tt.name, func(t *testing.T) {
			dir := copyDir(t, src)
			zeroRange(t, filepath.Join(dir, filepath.Base(files[0])), 0, page)
			if !tt.manifest {
				zeroRange(t, filepath.Join(dir, manifestName), 0, 8)
			}
			// Every record after the zeroed page comes back.
			rec := reopenCheck(t, dir, seq(inPage, 400))
			if got := rec.corruptRecs + uint64(rec.tornRecords) + rec.missingRecs; got != tt.wantLost {
				t.Fatalf("records counted lost: %d corrupt, %d torn, %d missing; got %d, want %d",
					rec.corruptRecs, rec.tornRecords, rec.missingRecs, got, tt.wantLost)
			}
			// The journal set aside is rewritten: a second open loses nothing more.
			reopenCheck(t, dir, append(seq(inPage, 400), 1000, 1001, 1002))
		})
	}
}
