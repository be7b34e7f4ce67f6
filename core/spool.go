package core

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"sync"
)

// The spool is the sink's on-disk storage for accepted entries (Config's
// SpoolDir): an append-only log of records in segment files, from which
// entries are read back in acceptance order (after a restart, or when they
// were spilled out of memory) and deleted once Kafka has acknowledged
// them. It is storage only: which entries go to it, when it is synced
// and what happens when it is full are the sink's decisions. It starts no
// goroutine, and every method is safe for concurrent use.
//
// # Files
//
// SpoolDir holds:
//
//	LOCK                 the lock file (flock(2), see spoolLockKind); holds the owner's pid
//	MANIFEST             the live segments, replaced atomically (write, rename), made durable by sync
//	<n>.seg              segment n (20 decimal digits): a header, then record frames
//	<n>.ack              segment n's acknowledgement journal
//	<n>.seg.corrupt      a segment file recovery could make nothing of, set aside once
//
// Any other file is left alone and counted (spoolRecovery.unknownFiles).
//
// # Segment format, version 1 (all integers little-endian)
//
//	header (32 bytes):  magic "KSSPOOL\x00" | version uint16 = 1 | flags uint16 (1: segNewRun) |
//	                    segment number uint64 | first record id uint64 | CRC32C of the previous 28 bytes
//	frame:              magic "ksr\xf1" | body length uint32 | record id uint64 |
//	                    CRC32C (Castagnoli) of length, id and body | body
//	body:               time int64 (Unix ns, 0 unknown) | level int8 | flags uint8 (1 key, 2 headers) |
//	                    uvarint len + logger name | uvarint len + message |
//	                    [uvarint len + key] | [uvarint len + headers, as appendHeaders encodes them] |
//	                    data (the entry's JSON) up to the end of the body
//
// Record ids are assigned by the spool, contiguous and increasing from 1
// across segments in append (acceptance) order; a segment's records are
// ids [first, first+n). A record never spans segments. A segment is
// rotated when the next record would take it past its target size.
//
// # Acknowledgement journal
//
// Records are acknowledged (finalized: delivered, or dropped and counted by
// the sink) in any order. The spool keeps one bit per record in memory and
// appends each acknowledgement to the segment's journal at once (one
// write, no fsync) as frames:
//
//	count uint32 | CRC32C of the ranges | count × (start uint32, length uint32), relative to the segment's first id
//
// A segment whose records are all finalized is deleted (first from the
// manifest, then its .seg, then its .ack), in any order of segments: one
// stuck record holds its own segment only.
//
// # Crash guarantees
//
//   - kill -9 (the process dies, the kernel does not): every record of
//     every append call that returned is in the page cache and survives.
//     A kill during an append can leave a prefix of that call's records
//     (whole frames: kept, and replayed like the others) and one torn
//     frame (truncated at open, counted in tornBytes/tornRecords). Every
//     ack call that returned without error survives; acks being made when
//     the process died are lost, so their records are read back again:
//     duplicates, never loss. (An ack whose journal write failed holds in
//     memory and reaches the disk when sync rewrites that journal.)
//   - Power loss or kernel crash: the records appended before the last
//     successful sync or syncData was called survive, and the acks made
//     before the last successful sync; later appends may be lost (a gap of
//     lost records is counted exactly, as damage), later acks may be lost
//     (duplicates). This holds only if the file system and disk honour
//     fsync (on macOS, fsync does not flush the drive's cache: the spool
//     does not use F_FULLFSYNC).
//
// SpoolDir must be on a local file system: the lock is an flock, which
// network file systems may not enforce between hosts.
//
// After a restart the spool offers every record not known finalized: all
// records of all segments, less those its journals mark as acknowledged.
// So a restart re-sends exactly (a) records never acknowledged and (b)
// records whose acknowledgement was not yet in the journal (kill -9:
// being written; power loss: not yet synced). Delivery is at-least-once.
//
// # Recovery rules (openSpool never refuses to start because of a file)
//
//   - A frame with a bad magic, length or checksum is damage: the scanner
//     resynchronizes at the next valid frame. The records lost there are
//     counted exactly from the ids around the damage (corruptRecs;
//     corruptBytes counts the bytes).
//   - Damage that runs to the end of the newest segment is what an
//     interrupted write leaves: it is truncated away and counted as one
//     record, torn (tornRecords, tornBytes) if its frame is incomplete,
//     corrupt otherwise.
//   - Damage that runs to the end of an older segment loses the records up
//     to the next segment's first id (segment numbers and ids both run on
//     across a rotation); they are counted when that segment is on disk
//     or in the manifest, otherwise only the bytes are.
//   - A segment with a bad header is still scanned for valid frames (its
//     header counts as 32 damaged bytes); one with none is renamed
//     <n>.seg.corrupt (badSegments) and never read again. An empty or
//     header-only segment is removed (emptySegs).
//   - A segment the manifest lists but the directory lacks was deleted by
//     someone else: counted in missingSegs, and its records (up to the
//     next segment's first id, less those its journal acknowledged) in
//     missingRecs. If the manifest could not be rewritten after the spool
//     itself deleted a segment (a full disk), a crash before it is
//     rewritten makes that segment count as missing although nothing was
//     lost.
//   - A journal frame that is torn or fails its checksum ends the journal:
//     it is truncated there (journalBytes; acknowledgements after it are
//     lost: duplicates). A journal without its segment is removed.
//   - A segment of a newer format version and any unknown file are left
//     alone and counted (unknownFiles). An unreadable manifest only
//     disables missing-segment detection.
//   - A file that cannot be opened or read is reported (errs) and
//     skipped. Only failing to create, read, lock or write the directory
//     itself (not for lack of space) makes openSpool fail.
//
// # Limits
//
// byteLimit counts the bytes of segments and journals (stats.bytes); the
// LOCK file and the manifest (16 bytes per segment) are not counted, nor
// files set aside or unknown. Memory: one bit per record on disk, plus a
// 16-byte index entry per 1024 records and the readers' buffers. Open
// files: the lock, the active segment, at most maxUnsynced sealed
// segments waiting for fsync and maxOpenJournals journals, one per reader.
type spool struct {
	dir  string
	fs   spoolFS
	opts spoolOptions
	lock *spoolLock

	mu               sync.Mutex
	closed           bool
	segs             []*spoolSegment // live segments, by number (so by first id)
	active           *spoolSegment   // the segment appends go to; nil until the first append
	nextID           uint64          // the id the next appended record gets
	nextNum          uint64          // the number of the next segment
	oldNext          uint64          // ids below it were appended by an earlier process
	bytes            int64           // segment and journal bytes
	pending          uint64          // records not finalized
	buf              []byte          // encoding buffer of append
	rec              [1]spoolRecord  // the record append is encoding (an array: no allocation for at's pointer)
	ackBuf           []byte          // encoding buffer of ack
	manifest         bool            // the manifest on disk is stale: rewrite it
	manifestUnsynced bool            // the manifest was rewritten since the last sync
	recovering       bool            // recover is running: removeSegment leaves the manifest to openSpool
	newRun           bool            // nextID jumped: the next segment created says so in its header
	dirDirty         bool            // entries were created or removed since the last dir fsync
	unremoved        []unremoved     // files that could not be removed: retried by sync
	journals         []*spoolSegment // segments whose journal is open, least recently used first
	st               spoolStats
}

// spoolOptions configures openSpool. The zero value is valid.
type spoolOptions struct {
	// byteLimit bounds the bytes of segment and journal files: an append
	// that would pass it returns errSpoolFull. If <= 0, no limit.
	byteLimit int64
	// segmentBytes is the target size of a segment file. If 0, 32 MiB,
	// but at most byteLimit/8 (at least 64 KiB); at most 1 GiB.
	segmentBytes int64
	// fs is the file system. If nil, the operating system's.
	fs spoolFS
}

const (
	defaultSegmentBytes = 32 << 20
	minSegmentBytes     = 64 << 10
	maxSegmentBytes     = 1 << 30
	maxWriteChunk       = 4 << 20 // append writes at most this much at once
)

// spoolRecord is what one accepted entry needs to be sent again after a
// restart: the fields of record that Write fills in. Byte slices are not
// retained by append; those filled in by a reader alias its buffer and
// are valid until its next read.
type spoolRecord struct {
	time       int64 // Unix nanoseconds; 0 if unknown
	level      Level
	loggerName string
	message    string
	key        []byte // nil: none
	headers    []byte // encoded by appendHeaders; nil: none
	data       []byte // the entry's JSON
}

// spoolRecovery is what openSpool found on disk.
type spoolRecovery struct {
	records      uint64 // records to read back (not known finalized)
	first        uint64 // the oldest such record's id; next if none
	next         uint64 // the id of the first record this process appends
	segments     int    // live segments
	finalized    uint64 // records found finalized by the journals (and segments deleted for it)
	tornBytes    int64  // truncated from the newest segment's end
	tornRecords  int    // 1 if a torn frame was truncated
	corruptRecs  uint64 // records lost to damage inside segments
	corruptBytes int64  // damaged bytes skipped
	missingSegs  int    // segments in the manifest but not on disk
	missingRecs  uint64 // records known to have been in them, not acknowledged
	badSegments  int    // segment files set aside as <n>.seg.corrupt
	emptySegs    int    // empty or header-only segment files removed
	journalBytes int64  // journal bytes truncated (torn or damaged frames)
	unknownFiles []string
	errs         []error // files that could not be read or repaired (skipped)
}

// problem describes the damage recovery found, or returns nil if there was
// none. It is for the sink's error report; the counts are also in stats.
func (r *spoolRecovery) problem() error {
	var parts []string
	add := func(n uint64, format string) {
		if n > 0 {
			parts = append(parts, fmt.Sprintf(format, n))
		}
	}
	add(uint64(r.tornRecords), "%d torn record truncated")
	add(r.corruptRecs, "%d records lost to corruption")
	add(uint64(r.corruptBytes), "%d damaged bytes skipped")
	add(uint64(r.missingSegs), "%d segment files missing")
	add(r.missingRecs, "%d records lost with missing segments")
	add(uint64(r.badSegments), "%d unreadable segment files set aside as .corrupt")
	add(uint64(len(r.unknownFiles)), "%d unknown files ignored")
	add(uint64(len(r.errs)), "%d files skipped after errors")
	add(uint64(r.journalBytes), "%d journal bytes truncated (their acknowledgements are lost: those records are sent again)")
	if len(parts) == 0 {
		return nil
	}
	msg := "kafkasink: SpoolDir recovery: "
	for i, p := range parts {
		if i > 0 {
			msg += ", "
		}
		msg += p
	}
	return errors.Join(append([]error{errors.New(msg)}, r.errs...)...)
}

// spoolStats are the spool's gauges and counters, from stats.
type spoolStats struct {
	bytes    int64  // segment and journal bytes on disk
	segments int    // segment files
	records  uint64 // records not finalized

	appended     uint64 // records appended by this process
	appendErrors uint64 // append calls that failed on an I/O error
	full         uint64 // records refused by append for byteLimit
	acked        uint64 // records finalized by ack
	readBack     uint64 // records returned by readers
	replayed     uint64 // of those, appended by an earlier process
	syncs        uint64 // successful syncs
	syncErrors   uint64
	ackErrors    uint64 // journal writes that failed (acks kept in memory, rewritten later)
	removed      uint64 // segments deleted, all their records finalized

	// Damage, found at open and by readers since.
	corruptRecs  uint64
	corruptBytes int64
	tornBytes    int64
	tornRecords  uint64
	missingSegs  uint64
	missingRecs  uint64
	badSegments  uint64
	unknownFiles uint64
}

var (
	// errSpoolFull is returned by append when byteLimit leaves no room for
	// the next record.
	errSpoolFull = errors.New("kafkasink: spool full (SpoolByteLimit)")
	// errSpoolClosed is returned after close.
	errSpoolClosed = errors.New("kafkasink: spool closed")
)

// spoolError is an error of the spool directory: its text names SpoolDir
// and the directory. Unwrap returns the cause.
type spoolError struct {
	dir string
	op  string
	err error
}

func spoolErr(dir, op string, err error) error { return &spoolError{dir: dir, op: op, err: err} }

func (e *spoolError) Error() string {
	return "kafkasink: SpoolDir " + strconv.Quote(e.dir) + ": " + e.op + ": " + e.err.Error()
}

func (e *spoolError) Unwrap() error { return e.err }

// openSpool opens (creating it if need be) the spool in dir, takes its
// lock and recovers what an earlier process left. It fails only if dir
// cannot be created, locked or written; damage is repaired and reported
// in the recovery (and stats), never fatal.
func openSpool(dir string, o spoolOptions) (*spool, spoolRecovery, error) {
	if dir == "" {
		return nil, spoolRecovery{}, spoolErr(dir, "open", errors.New("empty path"))
	}
	if o.fs == nil {
		o.fs = osFS{}
	}
	if o.segmentBytes <= 0 {
		o.segmentBytes = defaultSegmentBytes
		if o.byteLimit > 0 {
			o.segmentBytes = min(o.segmentBytes, max(o.byteLimit/8, minSegmentBytes))
		}
	}
	o.segmentBytes = min(max(o.segmentBytes, segHeaderSize+frameHeaderSize+bodyFixed), maxSegmentBytes)
	if err := o.fs.MkdirAll(dir, 0o755); err != nil {
		return nil, spoolRecovery{}, spoolErr(dir, "create", err)
	}
	lock, err := lockSpoolDir(dir)
	if err != nil {
		return nil, spoolRecovery{}, err
	}
	s := &spool{dir: dir, fs: o.fs, opts: o, lock: lock, nextID: 1, nextNum: 1}
	rec, err := s.recover()
	if err != nil {
		lock.release()
		return nil, spoolRecovery{}, err
	}
	// Writing the manifest is the proof that the directory is writable.
	if err := s.writeManifest(); err != nil {
		if !isNoSpace(err) {
			s.closeFiles()
			lock.release()
			return nil, spoolRecovery{}, err // a *spoolError naming the file
		}
		s.manifest = true // retried by sync
	}
	return s, rec, nil
}

func (s *spool) path(name string) string { return filepath.Join(s.dir, name) }

// append writes recs, in order, as records with the ids first, first+1, …
// It returns the number n of records written; n < len(recs) exactly when
// err != nil. Those n records are on disk (in the page cache; durable
// after sync); recs[n:] are not, and the files hold nothing of them: a
// failed or short write is truncated away. err is errSpoolFull (byteLimit:
// retry when acks have freed room), errSpoolRecordTooLarge for recs[n], or
// an I/O error (ENOSPC, EIO…: the spool stays usable, retry later).
func (s *spool) append(recs []spoolRecord) (first uint64, n int, err error) {
	return s.appendFrom(spoolRecords(recs), 0)
}

// spoolSource is what appendFrom writes: records [0, len()) of the
// caller's, each filled in by at when it is encoded, so that the caller
// need not lay them all out as spoolRecords first. at's byte slices need
// only stay valid until appendFrom returns.
type spoolSource interface {
	len() int
	at(i int, r *spoolRecord)
}

// spoolRecords is a spoolSource over a slice.
type spoolRecords []spoolRecord

func (rs spoolRecords) len() int                 { return len(rs) }
func (rs spoolRecords) at(i int, r *spoolRecord) { *r = rs[i] }

// appendFrom is append of the records [from, src.len()) of src: it
// returns the id of the first and how many of them it wrote, as append.
func (s *spool) appendFrom(src spoolSource, from int) (first uint64, n int, err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return 0, 0, errSpoolClosed
	}
	defer clear(s.rec[:]) // it aliases the caller's memory
	first = s.nextID
	total := src.len() - from
	for n < total {
		k, err := s.appendChunk(src, from+n)
		n += k
		s.st.appended += uint64(k)
		if err != nil {
			if errors.Is(err, errSpoolFull) {
				s.st.full += uint64(total - n)
			}
			return first, n, err
		}
	}
	if cap(s.buf) > 2*maxWriteChunk {
		s.buf = nil
	}
	return first, n, nil
}

// appendChunk writes a prefix of the records [from, src.len()) of src (at
// least one record unless it fails) into the active segment with one
// write, rotating first if the segment is full.
func (s *spool) appendChunk(src spoolSource, from int) (int, error) {
	r := &s.rec[0]
	src.at(from, r)
	size0 := r.bodyLen()
	if size0 > maxSpoolBody {
		return 0, errSpoolRecordTooLarge
	}
	frame0 := int64(frameHeaderSize + size0)
	a := s.active
	if a == nil || a.sealed || (a.size > segHeaderSize && a.size+frame0 > s.opts.segmentBytes) {
		if s.opts.byteLimit > 0 && s.bytes+segHeaderSize+frame0 > s.opts.byteLimit {
			return 0, errSpoolFull
		}
		if err := s.rotate(); err != nil {
			return 0, err
		}
		a = s.active
	}
	buf := s.buf[:0]
	var full error
	k := 0
	for left := src.len() - from; k < left; k++ {
		if k > 0 {
			src.at(from+k, r)
		}
		bl := r.bodyLen()
		if bl > maxSpoolBody {
			break // refused by the next call, after this chunk is written
		}
		fs := int64(frameHeaderSize + bl)
		if k > 0 && (a.size+int64(len(buf))+fs > s.opts.segmentBytes || len(buf)+int(fs) > maxWriteChunk) {
			break
		}
		if s.opts.byteLimit > 0 && s.bytes+int64(len(buf))+fs > s.opts.byteLimit {
			full = errSpoolFull
			break
		}
		a.mark(s.nextID+uint64(k), a.size+int64(len(buf)))
		buf = appendFrame(buf, r, s.nextID+uint64(k), bl)
	}
	s.buf = buf
	if k == 0 {
		return 0, full
	}
	nw, err := a.w.WriteAt(buf, a.size)
	if err == nil && nw < len(buf) {
		err = io.ErrShortWrite
	}
	if err != nil {
		s.st.appendErrors++
		a.unmark(s.nextID)
		if terr := a.w.Truncate(a.size); terr != nil {
			// The file may hold part of this write past a.size, whole
			// frames included: write no more to it, and do not give
			// their ids to other records (a restart may read them). The
			// next segment says its ids jumped, so that recovery counts
			// no loss for the gap.
			a.sealed = true
			s.keepOrClose(a)
			s.nextID += uint64(k)
			s.newRun = true
		}
		return 0, spoolErr(s.dir, "write "+segName(a.num), err)
	}
	a.size += int64(len(buf))
	a.n += uint64(k)
	a.done.grow(a.n)
	a.dirty = true
	s.nextID += uint64(k)
	s.bytes += int64(len(buf))
	s.pending += uint64(k)
	return k, full
}

// rotate seals the active segment and starts a new one. The new file is
// created with its header, then the manifest names it.
func (s *spool) rotate() error {
	if a := s.active; a != nil {
		a.sealed = true
		s.active = nil
		if a.ndone == a.n {
			s.removeSegment(a)
		} else {
			s.keepOrClose(a)
		}
	}
	num := s.nextNum
	name := s.path(segName(num))
	f, err := s.fs.OpenFile(name, osCreateExcl, 0o644)
	if err != nil {
		return spoolErr(s.dir, "create segment", err)
	}
	h := segHeader{version: spoolVersion, seg: num, first: s.nextID}
	if s.newRun {
		h.flags |= segNewRun
	}
	hdr := appendSegHeader(make([]byte, 0, segHeaderSize), h)
	if nw, err := f.WriteAt(hdr, 0); err != nil || nw < len(hdr) {
		if err == nil {
			err = io.ErrShortWrite
		}
		f.Close()
		s.fs.Remove(name)
		return spoolErr(s.dir, "write segment header", err)
	}
	s.nextNum++
	seg := &spoolSegment{num: num, first: s.nextID, size: segHeaderSize, w: f, dirty: true, newRun: s.newRun}
	s.newRun = false
	s.segs = append(s.segs, seg)
	s.active = seg
	s.bytes += segHeaderSize
	s.dirDirty = true
	if err := s.writeManifest(); err != nil {
		s.manifest = true // the segment is usable; only missing-segment detection waits
	}
	return nil
}

// keepOrClose closes a sealed segment's write handle, unless it still has
// data to fsync: then sync closes it after the fsync. The handle is kept
// for that rather than the file reopened, because an fsync through a
// handle opened after a failed writeback may miss the error (on Linux
// before 4.16, or if the inode left the cache meanwhile). At most
// maxUnsynced such handles stay open, the newest: an older segment's is
// closed without an fsync (never on the append path), and sync fsyncs
// that file through a new handle.
func (s *spool) keepOrClose(seg *spoolSegment) {
	if seg.w == nil || seg.syncing {
		return // sync closes it when its fsync is done
	}
	if !seg.dirty {
		seg.w.Close()
		seg.w = nil
		return
	}
	var waiting []*spoolSegment
	for _, x := range s.segs {
		if x.sealed && x.w != nil && x.dirty && !x.syncing {
			waiting = append(waiting, x)
		}
	}
	for len(waiting) > maxUnsynced {
		waiting[0].w.Close() // still dirty: sync reopens it
		waiting[0].w = nil
		waiting = waiting[1:]
	}
}

// Bounds on open file handles, whatever the number of segments.
const (
	maxUnsynced     = 8  // sealed segments whose write handle is kept for their fsync
	maxOpenJournals = 16 // journal handles (most recently used)
)

// sync makes everything appended and acknowledged before the call durable:
// it fsyncs the segments and journals written since the last sync, and the
// directory if files were created or removed; it also retries what failed
// before (a stale manifest, a journal to rewrite, files to remove). How
// often to call it is the caller's policy (an interval, or every append).
// The fsyncs run outside the spool's lock.
func (s *spool) sync() error { return s.syncFiles(true) }

// syncData is sync without the journals: it makes the records appended
// before the call durable (segments and directory), not the acks. Losing
// acks to a power cut only re-sends records, so a caller that syncs after
// every append can use syncData there and sync on an interval: one fsync
// per append instead of two.
func (s *spool) syncData() error { return s.syncFiles(false) }

// syncFiles is sync, and syncData if journals is false. It runs in three
// steps: under the lock it retries what failed before and takes the list
// of fsyncs to do; it runs them without the lock (appends and acks go on
// meanwhile); under the lock again it marks what failed to be synced
// again next time.
func (s *spool) syncFiles(journals bool) error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return errSpoolClosed
	}
	var p syncPlan
	s.planSync(&p, journals)
	s.mu.Unlock()

	s.runSync(&p)

	s.mu.Lock()
	defer s.mu.Unlock()
	return s.finishSync(&p)
}

// syncPlan is what one sync does outside the spool's lock, and what came
// of it.
type syncPlan struct {
	jobs     []syncJob
	dir      bool    // fsync the directory
	manifest bool    // fsync the manifest
	errs     []error // in the order they happened

	dirErr, manifestErr error
}

// syncJob is one file to fsync.
type syncJob struct {
	seg     *spoolSegment
	f       spoolFile // the handle to fsync; nil: reopen name
	name    string
	journal bool  // f is seg's journal, not its segment file
	err     error // what the fsync returned
}

// planSync, under the lock, retries the removals and the manifest and
// journal writes that failed before, and fills p with the files written
// since their last fsync (journals only if journals is true), marking
// them as being synced.
func (s *spool) planSync(p *syncPlan, journals bool) {
	s.retryRemoves()
	if s.manifest {
		if err := s.writeManifest(); err != nil {
			p.errs = append(p.errs, err)
		} else {
			s.manifest = false
		}
	}
	for _, seg := range s.segs {
		if seg.ackStale && journals {
			if err := s.rewriteJournal(seg); err != nil {
				p.errs = append(p.errs, err)
			}
		}
		if seg.dirty && !seg.syncing {
			seg.dirty, seg.syncing = false, true
			p.jobs = append(p.jobs, syncJob{seg: seg, f: seg.w, name: segName(seg.num)})
		}
		if journals && seg.ackDirty && !seg.ackSyncing {
			seg.ackDirty, seg.ackSyncing = false, true
			p.jobs = append(p.jobs, syncJob{seg: seg, f: seg.ack, name: ackName(seg.num), journal: true})
		}
	}
	p.dir = s.dirDirty
	s.dirDirty = false
	p.manifest = s.manifestUnsynced
	s.manifestUnsynced = false
}

// runSync, without the lock, runs p's fsyncs: the files, then the
// manifest and the directory if p says so.
func (s *spool) runSync(p *syncPlan) {
	for i := range p.jobs {
		j := &p.jobs[i]
		if j.f != nil {
			j.err = j.f.Sync()
		} else {
			j.err = s.syncFile(j.name) // its handle was closed early
		}
	}
	if p.manifest {
		if p.manifestErr = s.syncFile(manifestName); p.manifestErr != nil {
			p.errs = append(p.errs, spoolErr(s.dir, "fsync "+manifestName, p.manifestErr))
		}
	}
	if p.dir {
		if p.dirErr = s.fs.SyncDir(s.dir); p.dirErr != nil {
			p.errs = append(p.errs, spoolErr(s.dir, "fsync directory", p.dirErr))
		}
	}
}

// finishSync, under the lock again, ends p's fsyncs: it closes the
// handles sync was keeping open for them, marks what failed as still to
// be synced, counts the sync and returns its errors.
func (s *spool) finishSync(p *syncPlan) error {
	for _, j := range p.jobs {
		if j.journal {
			j.seg.ackSyncing = false
			if j.seg.ack != nil && !slices.Contains(s.journals, j.seg) {
				j.seg.ack.Close() // evicted from the open journals meanwhile
				j.seg.ack = nil
			}
		} else {
			j.seg.syncing = false
		}
	}
	errs := p.errs
	for _, j := range p.jobs {
		if j.err == nil || j.seg.removed {
			continue // done, or deleted meanwhile (its handle closed): nothing left to make durable
		}
		if j.journal {
			j.seg.ackDirty = true
		} else {
			j.seg.dirty = true
		}
		errs = append(errs, spoolErr(s.dir, "fsync "+j.name, j.err))
	}
	if p.dirErr != nil {
		s.dirDirty = true
	}
	if p.manifestErr != nil {
		s.manifestUnsynced = true
	}
	for _, seg := range s.segs {
		if seg.sealed {
			s.keepOrClose(seg)
		}
	}
	if len(errs) > 0 {
		s.st.syncErrors++
		return errors.Join(errs...)
	}
	s.st.syncs++
	return nil
}

// syncFile fsyncs the file name of the spool's directory, through a new
// handle (for the manifest, which nothing keeps open).
func (s *spool) syncFile(name string) error {
	f, err := s.fs.OpenFile(s.path(name), os.O_RDONLY, 0)
	if err != nil {
		return err
	}
	err = f.Sync()
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}

// close syncs, closes every file and releases the directory. Readers of
// the spool fail after it. A second close returns nil.
func (s *spool) close() error {
	err := s.sync()
	if errors.Is(err, errSpoolClosed) {
		return nil
	}
	s.mu.Lock()
	s.closed = true
	s.closeFiles()
	s.mu.Unlock()
	if lerr := s.lock.release(); err == nil {
		err = lerr
	}
	return err
}

// closeFiles closes every open handle of every segment.
func (s *spool) closeFiles() {
	for _, seg := range s.segs {
		seg.closeFiles()
	}
	s.active = nil
	s.journals = nil
}

// stats returns the spool's gauges and counters.
func (s *spool) stats() spoolStats {
	s.mu.Lock()
	defer s.mu.Unlock()
	st := s.st
	st.bytes = s.bytes
	st.segments = len(s.segs)
	st.records = s.pending
	return st
}
