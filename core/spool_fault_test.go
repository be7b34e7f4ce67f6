package core

import (
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
)

// faultFS is the real file system with faults injected on demand: a disk
// of limited capacity (writes past it are cut short with ENOSPC, as a full
// disk does), failing writes, syncs, opens, renames, removes, truncates.
type faultFS struct {
	dir string // the directory whose files count against capacity

	mu       sync.Mutex
	capacity int64 // if > 0, the bytes the directory's files may hold
	// writeErr fails every WriteAt of a file whose name contains
	// writeMatch, after writing writeShort bytes of it.
	writeErr   error
	writeShort int
	writeMatch string
	shortNoErr bool // WriteAt writes writeShort bytes and returns no error
	syncErr    error
	truncErr   error
	renameErr  error
	removeErr  error
	openErr    func(name string, flag int) error
	writes     int
	syncs      map[string]int // fsyncs by file suffix (".seg", ".ack", …)
}

func (f *faultFS) set(fn func(f *faultFS)) {
	f.mu.Lock()
	defer f.mu.Unlock()
	fn(f)
}

func (f *faultFS) OpenFile(name string, flag int, perm fs.FileMode) (spoolFile, error) {
	f.mu.Lock()
	openErr := f.openErr
	f.mu.Unlock()
	if openErr != nil {
		if err := openErr(name, flag); err != nil {
			return nil, &fs.PathError{Op: "open", Path: name, Err: err}
		}
	}
	file, err := os.OpenFile(name, flag, perm)
	if err != nil {
		return nil, err
	}
	return &faultFile{File: file, fs: f, name: name}, nil
}

func (f *faultFS) Remove(name string) error {
	f.mu.Lock()
	err := f.removeErr
	f.mu.Unlock()
	if err != nil {
		return &fs.PathError{Op: "remove", Path: name, Err: err}
	}
	return os.Remove(name)
}

func (f *faultFS) Rename(oldpath, newpath string) error {
	f.mu.Lock()
	err := f.renameErr
	f.mu.Unlock()
	if err != nil {
		return &os.LinkError{Op: "rename", Old: oldpath, New: newpath, Err: err}
	}
	return os.Rename(oldpath, newpath)
}

func (f *faultFS) ReadDir(name string) ([]fs.DirEntry, error) { return os.ReadDir(name) }
func (f *faultFS) MkdirAll(p string, perm fs.FileMode) error  { return os.MkdirAll(p, perm) }

func (f *faultFS) SyncDir(name string) error {
	f.mu.Lock()
	err := f.syncErr
	f.mu.Unlock()
	if err != nil {
		return err
	}
	return syncDir(name)
}

// used returns the bytes of the directory's files.
func (f *faultFS) used() int64 {
	entries, _ := os.ReadDir(f.dir)
	var n int64
	for _, e := range entries {
		if fi, err := e.Info(); err == nil && !fi.IsDir() {
			n += fi.Size()
		}
	}
	return n
}

type faultFile struct {
	*os.File
	fs   *faultFS
	name string
}

func (ff *faultFile) WriteAt(p []byte, off int64) (int, error) {
	f := ff.fs
	f.mu.Lock()
	defer f.mu.Unlock()
	f.writes++
	if f.writeErr != nil || f.shortNoErr {
		if f.writeMatch == "" || strings.Contains(ff.name, f.writeMatch) {
			n, _ := ff.File.WriteAt(p[:min(len(p), f.writeShort)], off)
			if f.shortNoErr {
				return n, nil
			}
			return n, &fs.PathError{Op: "write", Path: ff.name, Err: f.writeErr}
		}
	}
	if f.capacity > 0 {
		fi, err := ff.File.Stat()
		if err != nil {
			return 0, err
		}
		grow := max(0, off+int64(len(p))-fi.Size())
		if room := f.capacity - f.used(); grow > room {
			fit := len(p) - int(grow-max(room, 0))
			n, _ := ff.File.WriteAt(p[:max(fit, 0)], off)
			return n, &fs.PathError{Op: "write", Path: ff.name, Err: syscall.ENOSPC}
		}
	}
	return ff.File.WriteAt(p, off)
}

func (ff *faultFile) Sync() error {
	ff.fs.mu.Lock()
	err := ff.fs.syncErr
	if ff.fs.syncs == nil {
		ff.fs.syncs = map[string]int{}
	}
	ff.fs.syncs[filepath.Ext(ff.name)]++
	ff.fs.mu.Unlock()
	if err != nil {
		return &fs.PathError{Op: "sync", Path: ff.name, Err: err}
	}
	return ff.File.Sync()
}

func (ff *faultFile) Truncate(size int64) error {
	ff.fs.mu.Lock()
	err := ff.fs.truncErr
	ff.fs.mu.Unlock()
	if err != nil {
		return &fs.PathError{Op: "truncate", Path: ff.name, Err: err}
	}
	return ff.File.Truncate(size)
}

func openFaultSpool(t *testing.T, o spoolOptions) (*spool, *faultFS, string) {
	t.Helper()
	dir := t.TempDir()
	ffs := &faultFS{dir: dir}
	o.fs = ffs
	s, _ := openTestSpool(t, dir, o)
	return s, ffs, dir
}

// appendUntil appends batches of 10 numbered records until append fails;
// it returns the numbers written and the error.
func appendUntil(t *testing.T, s *spool, from int) ([]int, error) {
	t.Helper()
	var written []int
	for n := from; ; n += 10 {
		_, k, err := s.append(testRecords(n, n+10))
		written = append(written, seq(n, n+k)...)
		if err != nil {
			if k == 10 {
				t.Fatalf("append wrote all 10 records and returned %v", err)
			}
			return written, err
		}
		if n > from+100000 {
			t.Fatal("append never failed")
		}
	}
}

// checkClean reopens dir without faults and checks that exactly want is
// read back, with no damage found.
func checkClean(t *testing.T, s *spool, dir string, want []int) {
	t.Helper()
	if err := s.close(); err != nil {
		t.Logf("close: %v", err)
	}
	s2, rec := openTestSpool(t, dir, spoolOptions{})
	defer s2.close()
	if err := rec.problem(); err != nil && (rec.corruptRecs > 0 || rec.tornRecords > 0 || rec.missingRecs > 0) {
		t.Fatalf("reopen after faults: %v", err)
	}
	_, nums := readAll(t, s2, 0)
	if !slices.Equal(nums, want) {
		t.Fatalf("reopen after faults: read back %d records %v…, want %d %v…", len(nums), head(nums), len(want), head(want))
	}
}

func TestSpoolDiskFull(t *testing.T) {
	s, ffs, dir := openFaultSpool(t, spoolOptions{segmentBytes: 8 << 10})
	ffs.set(func(f *faultFS) { f.capacity = f.used() + 40<<10 })
	written, err := appendUntil(t, s, 0)
	if !errors.Is(err, syscall.ENOSPC) || !strings.Contains(err.Error(), "SpoolDir") {
		t.Fatalf("append on a full disk: %v, want ENOSPC naming SpoolDir", err)
	}
	_, nums := readAll(t, s, 0)
	if !slices.Equal(nums, written) {
		t.Fatalf("read back %d records, want the %d append reported written", len(nums), len(written))
	}
	// The disk stays full: appends keep failing, cleanly.
	if _, k, err := s.append(testRecords(90000, 90010)); err == nil || k == 10 {
		t.Fatalf("append on a full disk again: %d written, %v", k, err)
	}
	// Acknowledgements free whole segments: appends work again.
	var ids []uint64
	for i := range written {
		ids = append(ids, uint64(i+1))
	}
	if err := s.ack(ids[:len(ids)/2]); err != nil {
		t.Logf("ack on a full disk: %v (allowed: the journal may not fit)", err)
	}
	if st := s.stats(); st.removed == 0 {
		t.Fatalf("no segment removed after acknowledging half of %d records", len(written))
	}
	_, nums = readAll(t, s, 0)
	first := mustAppend(t, s, testRecords(5000, 5010))
	more := append(slices.Clone(nums), seq(5000, 5010)...)
	if first != uint64(len(written)+1) {
		t.Fatalf("first id after the disk freed up %d, want %d", first, len(written)+1)
	}
	// More room: the next fill goes further.
	ffs.set(func(f *faultFS) { f.capacity = 0 })
	mustAppend(t, s, testRecords(6000, 6100))
	checkClean(t, s, dir, append(more, seq(6000, 6100)...))
}

func TestSpoolWriteFaults(t *testing.T) {
	for _, tt := range []struct {
		name  string
		fault func(f *faultFS)
		check func(t *testing.T, err error)
	}{
		{"EIO after a partial write", func(f *faultFS) { f.writeErr, f.writeShort, f.writeMatch = syscall.EIO, 100, ".seg" },
			func(t *testing.T, err error) {
				if !errors.Is(err, syscall.EIO) {
					t.Fatalf("append: %v, want EIO", err)
				}
			}},
		{"EIO, nothing written", func(f *faultFS) { f.writeErr, f.writeShort, f.writeMatch = syscall.EIO, 0, ".seg" },
			func(t *testing.T, err error) {
				if !errors.Is(err, syscall.EIO) {
					t.Fatalf("append: %v, want EIO", err)
				}
			}},
		{"short write without an error", func(f *faultFS) { f.shortNoErr, f.writeShort, f.writeMatch = true, 7, ".seg" },
			func(t *testing.T, err error) {
				if !errors.Is(err, io.ErrShortWrite) {
					t.Fatalf("append: %v, want io.ErrShortWrite", err)
				}
			}},
		{"EIO, and the truncate back fails too", func(f *faultFS) {
			f.writeErr, f.writeShort, f.writeMatch, f.truncErr = syscall.EIO, 150, ".seg", syscall.EIO
		}, func(t *testing.T, err error) {
			if !errors.Is(err, syscall.EIO) {
				t.Fatalf("append: %v, want EIO", err)
			}
		}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			s, ffs, dir := openFaultSpool(t, spoolOptions{segmentBytes: 8 << 10})
			mustAppend(t, s, testRecords(0, 25))
			before := dirBytes(t, dir, ".seg")
			ffs.set(tt.fault)
			_, k, err := s.append(testRecords(25, 35))
			if k != 0 {
				t.Fatalf("append under fault wrote %d records", k)
			}
			tt.check(t, err)
			truncFails := ffs.truncErr != nil
			if after := dirBytes(t, dir, ".seg"); after != before && !truncFails {
				t.Fatalf("segments hold %d bytes after the failed append, want the %d of before", after, before)
			}
			if !strings.Contains(err.Error(), "SpoolDir") {
				t.Fatalf("error %q does not name SpoolDir", err)
			}
			if st := s.stats(); st.appendErrors != 1 || st.records != 25 {
				t.Fatalf("stats: %d append errors %d records, want 1 and 25", st.appendErrors, st.records)
			}
			_, nums := readAll(t, s, 0)
			if !slices.Equal(nums, seq(0, 25)) {
				t.Fatalf("read back %v…, want 0…24", head(nums))
			}
			// The fault passes: spooling resumes where it was (with new
			// ids if the failed write could not be undone).
			ffs.set(func(f *faultFS) {
				f.writeErr, f.writeShort, f.writeMatch, f.shortNoErr, f.truncErr = nil, 0, "", false, nil
			})
			wantFirst := uint64(26)
			if truncFails {
				wantFirst = 36
			}
			if first := mustAppend(t, s, testRecords(25, 35)); first != wantFirst {
				t.Fatalf("first id after the fault %d, want %d", first, wantFirst)
			}
			want := seq(0, 35)
			if truncFails {
				// The part of the failed write left on disk holds whole
				// frames (the first of records 25…): a restart reads them
				// too, before the retried ones. Duplicates, never loss.
				want = append(seq(0, 26), seq(25, 35)...)
			}
			checkClean(t, s, dir, want)
		})
	}
}

func TestSpoolByteLimit(t *testing.T) {
	const limit = 32 << 10
	s, _, dir := openFaultSpool(t, spoolOptions{byteLimit: limit, segmentBytes: 4 << 10})
	written, err := appendUntil(t, s, 0)
	if !errors.Is(err, errSpoolFull) {
		t.Fatalf("append past the limit: %v, want errSpoolFull", err)
	}
	st := s.stats()
	if st.bytes > limit || st.bytes < limit-5<<10 {
		t.Fatalf("spool holds %d bytes at its %d-byte limit", st.bytes, limit)
	}
	if st.full == 0 {
		t.Fatal("stats count no record refused for the limit")
	}
	if onDisk := dirBytes(t, dir, ".seg", ".ack"); onDisk != st.bytes {
		t.Fatalf("segments and journals hold %d bytes, stats say %d", onDisk, st.bytes)
	}
	// Acknowledging the oldest records frees their segments.
	var ids []uint64
	for i := 0; i < len(written)/2; i++ {
		ids = append(ids, uint64(i+1))
	}
	if err := s.ack(ids); err != nil {
		t.Fatal(err)
	}
	more, err := appendUntil(t, s, 10000)
	if !errors.Is(err, errSpoolFull) || len(more) == 0 {
		t.Fatalf("after acks: %d more written, %v; want some, then errSpoolFull", len(more), err)
	}
	if st := s.stats(); st.bytes > limit {
		t.Fatalf("spool holds %d bytes past its %d-byte limit", st.bytes, limit)
	}
	checkClean(t, s, dir, append(slices.Clone(written[len(ids):]), more...))
}

// dirBytes sums the sizes of dir's files with one of the suffixes.
func dirBytes(t testing.TB, dir string, suffixes ...string) int64 {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var n int64
	for _, e := range entries {
		for _, sfx := range suffixes {
			if strings.HasSuffix(e.Name(), sfx) {
				fi, err := e.Info()
				if err != nil {
					t.Fatal(err)
				}
				n += fi.Size()
			}
		}
	}
	return n
}

func TestSpoolSyncFaults(t *testing.T) {
	s, ffs, _ := openFaultSpool(t, spoolOptions{})
	mustAppend(t, s, testRecords(0, 10))
	ffs.set(func(f *faultFS) { f.syncErr = syscall.EIO })
	err := s.sync()
	if !errors.Is(err, syscall.EIO) || !strings.Contains(err.Error(), "SpoolDir") {
		t.Fatalf("sync under EIO: %v, want EIO naming SpoolDir", err)
	}
	ffs.set(func(f *faultFS) { f.syncErr = nil })
	if err := s.sync(); err != nil {
		t.Fatalf("sync after the fault: %v", err)
	}
	if st := s.stats(); st.syncErrors != 1 || st.syncs != 1 {
		t.Fatalf("stats: %d sync errors %d syncs, want 1 and 1", st.syncErrors, st.syncs)
	}
}

// TestSpoolAckJournalFault fails journal writes: the acks hold in memory,
// and sync writes the journal whole once it can.
func TestSpoolAckJournalFault(t *testing.T) {
	s, ffs, dir := openFaultSpool(t, spoolOptions{})
	mustAppend(t, s, testRecords(0, 20))
	ffs.set(func(f *faultFS) { f.writeErr, f.writeMatch = syscall.EIO, ".ack" })
	if err := s.ack([]uint64{1, 2, 3, 10}); !errors.Is(err, syscall.EIO) {
		t.Fatalf("ack with a failing journal: %v, want EIO", err)
	}
	if err := s.ack([]uint64{11}); err != nil {
		t.Fatalf("ack of a journal marked for rewriting: %v, want nil (the rewrite will hold it)", err)
	}
	want := without(seq(0, 20), 0, 1, 2, 9, 10)
	if _, nums := readAll(t, s, 0); !slices.Equal(nums, want) {
		t.Fatalf("read back %v, want the acked records skipped: %v", nums, want)
	}
	if err := s.sync(); err == nil {
		t.Fatal("sync rewrote the journal although writes fail")
	}
	ffs.set(func(f *faultFS) { f.writeErr = nil })
	if err := s.sync(); err != nil {
		t.Fatalf("sync after the fault: %v", err)
	}
	if err := s.ack([]uint64{12}); err != nil {
		t.Fatalf("ack after the rewrite: %v", err)
	}
	checkClean(t, s, dir, without(want, 11))
}

// TestSpoolMetadataFaults fails renames (so the manifest) and removes:
// appends and acks go on, and sync finishes the work later.
func TestSpoolMetadataFaults(t *testing.T) {
	s, ffs, dir := openFaultSpool(t, spoolOptions{segmentBytes: 4 << 10})
	ffs.set(func(f *faultFS) { f.renameErr, f.removeErr = syscall.EIO, syscall.EIO })
	mustAppend(t, s, testRecords(0, 200)) // several rotations, each failing to write the manifest
	var ids []uint64
	for i := 1; i <= 100; i++ {
		ids = append(ids, uint64(i))
	}
	if err := s.ack(ids); err != nil {
		t.Fatal(err)
	}
	removed := s.stats().removed
	if removed == 0 {
		t.Fatal("no segment deleted after acking 100 records")
	}
	if files := len(segFiles(t, dir)); files <= s.stats().segments {
		t.Fatalf("%d segment files with removes failing, want more than the %d live", files, s.stats().segments)
	}
	if err := s.sync(); err == nil {
		t.Fatal("sync succeeded with renames failing: the manifest cannot have been written")
	}
	ffs.set(func(f *faultFS) { f.renameErr, f.removeErr = nil, nil })
	if err := s.sync(); err != nil {
		t.Fatalf("sync after the faults: %v", err)
	}
	st := s.stats()
	if files := len(segFiles(t, dir)); files != st.segments {
		t.Fatalf("%d segment files after sync, want the %d live", files, st.segments)
	}
	if onDisk := dirBytes(t, dir, ".seg", ".ack"); onDisk != st.bytes {
		t.Fatalf("segments and journals hold %d bytes, stats say %d", onDisk, st.bytes)
	}
	checkClean(t, s, dir, seq(100, 200))
}

func TestSpoolOpenFaults(t *testing.T) {
	t.Run("a full disk does not stop open", func(t *testing.T) {
		dir := t.TempDir()
		makeSpool(t, dir, 30, 0)
		ffs := &faultFS{dir: dir}
		ffs.capacity = ffs.used() // not one more byte
		s, rec, err := openSpool(dir, spoolOptions{fs: ffs})
		if err != nil {
			t.Fatalf("openSpool on a full disk: %v", err)
		}
		defer s.close()
		if rec.records != 30 {
			t.Fatalf("recovered %d records, want 30", rec.records)
		}
		if _, nums := readAll(t, s, 0); !slices.Equal(nums, seq(0, 30)) {
			t.Fatalf("read back %v…, want 0…29", head(nums))
		}
		if _, _, err := s.append(testRecords(30, 31)); !errors.Is(err, syscall.ENOSPC) {
			t.Fatalf("append on a full disk: %v, want ENOSPC", err)
		}
		ffs.set(func(f *faultFS) { f.capacity = 0 })
		mustAppend(t, s, testRecords(30, 40))
		checkClean(t, s, dir, seq(0, 40))
	})
	for _, errno := range []syscall.Errno{syscall.EACCES, syscall.EROFS} {
		t.Run("unwritable: "+errno.Error(), func(t *testing.T) {
			dir := t.TempDir()
			ffs := &faultFS{dir: dir, openErr: func(name string, flag int) error {
				if flag&os.O_CREATE != 0 {
					return errno
				}
				return nil
			}}
			s, _, err := openSpool(dir, spoolOptions{fs: ffs})
			if err == nil {
				s.close()
				t.Fatal("openSpool on an unwritable directory succeeded")
			}
			if !errors.Is(err, errno) || !strings.Contains(err.Error(), "SpoolDir") {
				t.Fatalf("openSpool: %v, want %v naming SpoolDir", err, errno)
			}
			// The directory is free again for the next try.
			s, _, err = openSpool(dir, spoolOptions{})
			if err != nil {
				t.Fatalf("open after the failed open: %v", err)
			}
			s.close()
		})
	}
	t.Run("ids after an unreadable newest segment never overlap it", func(t *testing.T) {
		dir := t.TempDir()
		files := makeSpool(t, dir, 100, 2<<10)
		bad := filepath.Base(files[len(files)-1])
		offs, _ := frameOffsets(t, files[len(files)-1])
		inLast := len(offs)
		ffs := &faultFS{dir: dir, openErr: func(name string, flag int) error {
			if filepath.Base(name) == bad {
				return syscall.EIO
			}
			return nil
		}}
		s, rec, err := openSpool(dir, spoolOptions{fs: ffs})
		if err != nil {
			t.Fatal(err)
		}
		if rec.next < 1<<32 {
			t.Fatalf("next id %d after an unreadable newest segment, want it past 2^32", rec.next)
		}
		if _, nums := readAll(t, s, 0); !slices.Equal(nums, seq(0, 100-inLast)) {
			t.Fatalf("read back %v…, want the readable segments' records", head(nums))
		}
		mustAppend(t, s, testRecords(1000, 1010))
		s.close()
		// Readable again: everything, in order, each once.
		s, _ = openTestSpool(t, dir, spoolOptions{})
		if _, nums := readAll(t, s, 0); !slices.Equal(nums, append(seq(0, 100), seq(1000, 1010)...)) {
			t.Fatalf("read back %d records once the segment is readable, want all 110 in order", len(nums))
		}
	})
	t.Run("an unreadable segment is skipped", func(t *testing.T) {
		dir := t.TempDir()
		files := makeSpool(t, dir, 100, 2<<10)
		bad := filepath.Base(files[1])
		offs, _ := frameOffsets(t, files[0])
		inFirst := len(offs)
		offs, _ = frameOffsets(t, files[1])
		inSecond := len(offs)
		ffs := &faultFS{dir: dir, openErr: func(name string, flag int) error {
			if filepath.Base(name) == bad {
				return syscall.EIO
			}
			return nil
		}}
		s, rec, err := openSpool(dir, spoolOptions{fs: ffs})
		if err != nil {
			t.Fatalf("openSpool with an unreadable segment: %v", err)
		}
		defer s.close()
		if len(rec.errs) != 1 || rec.problem() == nil || !errors.Is(rec.problem(), syscall.EIO) {
			t.Fatalf("recovery errors %v, problem %v; want the EIO reported", rec.errs, rec.problem())
		}
		if _, nums := readAll(t, s, 0); !slices.Equal(nums, without(seq(0, 100), seq(inFirst, inFirst+inSecond)...)) {
			t.Fatalf("read back %d records, want all but the unreadable segment's %d", len(nums), inSecond)
		}
	})
}

// TestSpoolSyncData checks what each sync makes durable: syncData the
// segments, sync the journals too.
func TestSpoolSyncData(t *testing.T) {
	s, ffs, _ := openFaultSpool(t, spoolOptions{})
	syncs := func() (seg, ack int) {
		ffs.mu.Lock()
		defer ffs.mu.Unlock()
		return ffs.syncs[".seg"], ffs.syncs[".ack"]
	}
	mustAppend(t, s, testRecords(0, 10))
	if err := s.ack([]uint64{1, 2}); err != nil {
		t.Fatal(err)
	}
	if err := s.syncData(); err != nil {
		t.Fatal(err)
	}
	if seg, ack := syncs(); seg != 1 || ack != 0 {
		t.Fatalf("syncData: %d segment and %d journal fsyncs, want 1 and 0", seg, ack)
	}
	ffs.mu.Lock()
	manifestSyncs := ffs.syncs[""]
	ffs.mu.Unlock()
	if manifestSyncs != 1 {
		t.Fatalf("syncData: %d manifest fsyncs, want 1 (it was rewritten when the segment was created)", manifestSyncs)
	}
	if err := s.syncData(); err != nil {
		t.Fatal(err)
	}
	if seg, _ := syncs(); seg != 1 {
		t.Fatalf("syncData with nothing new: %d segment fsyncs in all, want still 1", seg)
	}
	mustAppend(t, s, testRecords(10, 20))
	if err := s.sync(); err != nil {
		t.Fatal(err)
	}
	if seg, ack := syncs(); seg != 2 || ack != 1 {
		t.Fatalf("sync: %d segment and %d journal fsyncs in all, want 2 and 1", seg, ack)
	}
}

// TestSpoolSyncReopens writes many more segments than maxUnsynced handles
// are kept for, and acks into more journals than maxOpenJournals: sync
// fsyncs every one of them once, the early-closed ones through new handles.
func TestSpoolSyncReopens(t *testing.T) {
	s, ffs, dir := openFaultSpool(t, spoolOptions{segmentBytes: 1 << 10})
	for n := 0; n < 600; n += 5 {
		mustAppend(t, s, testRecords(n, n+5))
	}
	var ids []uint64
	for id := uint64(1); id <= 600; id += 10 {
		ids = append(ids, id)
	}
	if err := s.ack(ids); err != nil {
		t.Fatal(err)
	}
	segs := len(segFiles(t, dir))
	acks, _ := filepath.Glob(filepath.Join(dir, "*.ack"))
	journals := len(acks)
	if segs <= 2*maxUnsynced || journals <= 2*maxOpenJournals {
		t.Fatalf("%d segments and %d journals, want more than %d and %d", segs, journals, 2*maxUnsynced, 2*maxOpenJournals)
	}
	if err := s.sync(); err != nil {
		t.Fatal(err)
	}
	ffs.mu.Lock()
	gotSeg, gotAck := ffs.syncs[".seg"], ffs.syncs[".ack"]
	ffs.mu.Unlock()
	if gotSeg != segs || gotAck != journals {
		t.Fatalf("sync fsynced %d segments and %d journals, want each of the %d and %d once", gotSeg, gotAck, segs, journals)
	}
}
