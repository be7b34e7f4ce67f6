package core

import (
	"bytes"
	"fmt"
	"os"
	"slices"
	"strings"
)

// recover scans the directory and rebuilds the spool's state from its
// files, by the recovery rules of the spool's documentation. It repairs
// what it can (truncating torn tails, removing empty segments, setting
// unreadable ones aside), counts every problem, and never fails: a file
// it cannot read is reported in errs and skipped.
//
// The steps run in this order, each using what the ones before found:
// list the files, read the manifest, scan the segments, count the records
// lost between and with segments, finalize what is lost or acknowledged,
// rebuild the live set, delete what is all finalized, and sum it up.
func (s *spool) recover() (spoolRecovery, error) {
	r := &dirRecovery{
		s:          s,
		acks:       map[uint64]int64{},
		inManifest: map[uint64]uint64{},
		scanned:    map[uint64]*spoolSegment{},
		fates:      map[uint64]segFate{},
		gaps:       map[*spoolSegment][][2]uint64{},
	}
	if err := r.listFiles(); err != nil {
		return spoolRecovery{}, err
	}
	r.loadManifest()
	r.scanSegments()
	r.countLostTails()
	r.countLostSegments()
	r.applyJournals()
	r.finalizeGaps()
	r.rebuildLive()
	r.skipUnreadIDs()
	r.removeFinalized()
	r.summarize()
	return r.rec, nil
}

// dirRecovery is the working state of recover: what it has found in the
// directory so far, and the report it builds (rec).
type dirRecovery struct {
	s          *spool
	rec        spoolRecovery
	segNums    []uint64                      // segment files on disk, sorted once listed
	acks       map[uint64]int64              // journal number → size (-1 if unknown)
	maxNum     uint64                        // the highest segment number seen anywhere
	manifest   []manifestEntry               // as read; nil if absent or unreadable
	inManifest map[uint64]uint64             // segment number → first id, from the manifest
	scanned    map[uint64]*spoolSegment      // segments read, by number
	fates      map[uint64]segFate            // what scanning did with each segment file
	gaps       map[*spoolSegment][][2]uint64 // ids lost inside a segment: [from, to)
}

// listFiles reads the directory and sorts its entries: segments, journals,
// segments set aside, the lock and manifest, leftovers of an interrupted
// atomic replace (removed), and unknown files (counted).
func (r *dirRecovery) listFiles() error {
	s := r.s
	entries, err := s.fs.ReadDir(s.dir)
	if err != nil {
		return spoolErr(s.dir, "read", err)
	}
	for _, e := range entries {
		name := e.Name()
		if e.IsDir() {
			r.rec.unknownFiles = append(r.rec.unknownFiles, name)
			continue
		}
		if n, ok := parseNum(name, ".seg"); ok {
			r.segNums = append(r.segNums, n)
			r.maxNum = max(r.maxNum, n)
			continue
		}
		if n, ok := parseNum(name, ".ack"); ok {
			size := int64(-1)
			if fi, err := e.Info(); err == nil {
				size = fi.Size()
			}
			r.acks[n] = size
			continue
		}
		if n, ok := parseNum(name, ".seg.corrupt"); ok {
			r.maxNum = max(r.maxNum, n) // set aside by an earlier recovery
			continue
		}
		switch {
		case name == lockName || name == manifestName:
		case name == manifestName+tmpSuffix || isNumTmp(name):
			s.fs.Remove(s.path(name)) // an interrupted atomic replace: the old file stands
		default:
			r.rec.unknownFiles = append(r.rec.unknownFiles, name)
		}
	}
	return nil
}

// loadManifest reads the manifest, if it can: an unreadable one only
// disables missing-segment detection.
func (r *dirRecovery) loadManifest() {
	r.manifest, _ = readManifest(r.s.fs, r.s.path(manifestName))
	for _, m := range r.manifest {
		r.inManifest[m.num] = m.first
		r.maxNum = max(r.maxNum, m.num)
	}
}

// scanSegments scans every segment file in number order and notes its
// fate. A segment whose ids overlap the previous one's is left alone and
// reported.
func (r *dirRecovery) scanSegments() {
	s := r.s
	slices.Sort(r.segNums)
	var prev *spoolSegment
	for i, num := range r.segNums {
		// The manifest's first id stands in for a damaged header's, if it
		// follows on from the previous segment.
		mfirst, mok := r.inManifest[num]
		if mok && prev != nil && mfirst < prev.first+prev.n {
			mok = false
		}
		seg, lost, fate := s.scanSegment(num, i == len(r.segNums)-1, mfirst, mok, &r.rec)
		if seg != nil && prev != nil && seg.first < prev.first+prev.n {
			// Its ids overlap the previous segment's: not a file this
			// spool wrote in place (a copy?). Left alone, reported.
			r.rec.errs = append(r.rec.errs, spoolErr(s.dir, "load "+segName(num),
				fmt.Errorf("record ids from %d overlap segment %d's (up to %d)", seg.first, prev.num, prev.first+prev.n-1)))
			seg, fate = nil, segUnreadable
		}
		r.fates[num] = fate
		if seg != nil {
			r.scanned[num] = seg
			r.gaps[seg] = lost
			prev = seg
		}
	}
}

// firstOf returns the first id of segment num, from its file or the
// manifest, if it follows on from segment num-1's last.
func (r *dirRecovery) firstOf(num uint64) (uint64, bool) {
	if seg, ok := r.scanned[num]; ok {
		return seg.first, !seg.newRun
	}
	f, ok := r.inManifest[num]
	return f, ok
}

// countLostTails counts the records lost at the end of a segment: they
// show as a gap before the first id of the next segment (segment numbers
// and ids are both contiguous across a rotation), if that segment is on
// disk or in the manifest. The segment grows to hold them.
func (r *dirRecovery) countLostTails() {
	for num, seg := range r.scanned {
		next, ok := r.firstOf(num + 1)
		if !ok || next <= seg.first+seg.n {
			continue
		}
		lost := next - (seg.first + seg.n)
		r.gaps[seg] = append(r.gaps[seg], [2]uint64{seg.first + seg.n, next})
		seg.n += lost
		seg.done.grow(seg.n)
		r.rec.corruptRecs += lost
	}
}

// countLostSegments counts the segments the manifest lists that are gone,
// or were set aside: their records are lost (those their journal
// acknowledged aside).
func (r *dirRecovery) countLostSegments() {
	for _, m := range r.manifest {
		fate := r.fates[m.num]
		if fate != 0 && fate != segSetAside {
			continue // read, empty, or still on disk for a later open
		}
		if fate == 0 {
			r.rec.missingSegs++
		}
		next, ok := r.firstOf(m.num + 1)
		if !ok || next < m.first {
			continue // its record count is unknown
		}
		lost := next - m.first - r.ackedOf(m, next-m.first)
		if fate == 0 {
			r.rec.missingRecs += lost
		} else {
			r.rec.corruptRecs += lost
		}
	}
}

// ackedOf returns how many of the n records of the lost segment m its
// journal acknowledged, if the journal is there and readable; 0 otherwise.
func (r *dirRecovery) ackedOf(m manifestEntry, n uint64) uint64 {
	size, ok := r.acks[m.num]
	if !ok || size <= 0 {
		return 0
	}
	f, err := r.s.fs.OpenFile(r.s.path(ackName(m.num)), os.O_RDONLY, 0)
	if err != nil {
		return 0
	}
	tmp := &spoolSegment{first: m.first, n: n}
	tmp.done.grow(n)
	readJournal(f, size, tmp)
	f.Close()
	return tmp.ndone
}

// finalizeGaps finalizes the ids lost inside segments: nothing can send
// them. It runs after applyJournals: an id the journal acknowledged was
// delivered (or dropped and counted) by an earlier process, so its damage
// loses nothing, and it is taken back out of the records lost that the
// scan counted.
func (r *dirRecovery) finalizeGaps() {
	for seg, g := range r.gaps {
		for _, rg := range g {
			for id := rg[0]; id < rg[1]; id++ {
				if !seg.finalize(id) && seg.isDone(id) {
					r.rec.corruptRecs--
				}
			}
		}
	}
}

// applyJournals marks the acknowledgements of every scanned segment's
// journal, and removes the journals whose segment is gone.
func (r *dirRecovery) applyJournals() {
	s := r.s
	for num, size := range r.acks {
		seg, ok := r.scanned[num]
		if !ok {
			if f := r.fates[num]; f != segForeign && f != segUnreadable {
				s.fs.Remove(s.path(ackName(num))) // its segment is gone
			}
			continue
		}
		before := seg.ndone
		if size > 0 && seg.baseUnknown {
			// Its ranges are relative to a first id the damage took
			// away: applied to another base they would mark records
			// never delivered. Not applied (its records are sent again:
			// duplicates) and rewritten from what is known by sync.
			seg.ackSize, seg.ackStale = size, true
			r.rec.journalBytes += size
		} else if size > 0 {
			s.loadJournal(seg, size, &r.rec)
		}
		r.rec.finalized += seg.ndone - before
	}
}

// rebuildLive makes the scanned segments the spool's live set, in order,
// with their bytes and pending records, and sets the next id past every
// id they and the manifest hold.
func (r *dirRecovery) rebuildLive() {
	s := r.s
	for _, num := range r.segNums {
		seg, ok := r.scanned[num]
		if !ok {
			continue
		}
		s.segs = append(s.segs, seg)
		s.bytes += seg.size + seg.ackSize
		s.pending += seg.n - seg.ndone
		s.nextID = max(s.nextID, seg.first+seg.n)
	}
	for _, m := range r.manifest {
		s.nextID = max(s.nextID, m.first)
	}
}

// skipUnreadIDs moves the next id past any a segment left on disk unread
// (of another version, or unreadable) can hold, if it is numbered after
// every segment read: such a segment may hold ids up to any value, so
// this process's ids start past any it can hold (a segment holds fewer
// than 2^32 records), so that they never overlap if it is read at a later
// open.
func (r *dirRecovery) skipUnreadIDs() {
	s := r.s
	var lastKept uint64
	for _, seg := range s.segs {
		lastKept = max(lastKept, seg.num)
	}
	for num, fate := range r.fates {
		if (fate == segForeign || fate == segUnreadable) && num > lastKept {
			first := s.nextID
			if f, ok := r.inManifest[num]; ok {
				first = max(first, f)
			}
			s.nextID = max(s.nextID, first+1<<32)
			s.newRun = true
		}
	}
}

// removeFinalized deletes the live segments whose records are all
// finalized, leaving the manifest to openSpool.
func (r *dirRecovery) removeFinalized() {
	s := r.s
	s.recovering = true
	for _, seg := range slices.Clone(s.segs) {
		if seg.ndone == seg.n {
			s.removeSegment(seg)
		}
	}
	s.recovering = false
}

// summarize sets the spool's next segment number and the boundary of
// earlier processes' ids, completes the report, and copies its damage
// counts into the spool's stats.
func (r *dirRecovery) summarize() {
	s, rec := r.s, &r.rec
	s.nextNum = r.maxNum + 1
	s.oldNext = s.nextID

	rec.records = s.pending
	rec.next = s.nextID
	rec.first = s.nextID
	for _, seg := range s.segs {
		if first, ok := seg.firstPending(); ok {
			rec.first = first
			break
		}
	}
	rec.segments = len(s.segs)

	s.st.corruptRecs = rec.corruptRecs
	s.st.corruptBytes = rec.corruptBytes
	s.st.tornBytes = rec.tornBytes
	s.st.tornRecords = uint64(rec.tornRecords)
	s.st.missingSegs = uint64(rec.missingSegs)
	s.st.missingRecs = rec.missingRecs
	s.st.badSegments = uint64(rec.badSegments)
	s.st.unknownFiles = uint64(len(rec.unknownFiles))
}

// isNumTmp reports whether name is a journal's temporary file.
func isNumTmp(name string) bool {
	_, ok := parseNum(strings.TrimSuffix(name, tmpSuffix), ".ack")
	return ok && strings.HasSuffix(name, tmpSuffix)
}

// segFate is what recovery did with a segment file.
type segFate int

const (
	segKept       segFate = iota + 1
	segEmpty              // removed: no record in it
	segSetAside           // renamed .corrupt: nothing readable
	segForeign            // of another format version: left alone
	segUnreadable         // could not be opened or read: left for the next open
)

// scanSegment reads segment num whole, checking every frame. It returns
// the segment (sealed, no open handles) and the ids lost to damage inside
// it, or nil and what it did with a file that holds no usable segment.
// mfirst is the segment's first id as the manifest lists it, if mok: it
// stands in for a damaged header's.
func (s *spool) scanSegment(num uint64, newest bool, mfirst uint64, mok bool, rec *spoolRecovery) (*spoolSegment, [][2]uint64, segFate) {
	name := segName(num)
	p := s.path(name)
	f, size, err := s.openSegmentFile(name)
	if err != nil {
		rec.errs = append(rec.errs, err)
		return nil, nil, segUnreadable
	}
	defer f.Close()
	sc := &segScanner{f: f, size: size}
	hb, err := sc.at(0, segHeaderSize)
	if err != nil {
		rec.errs = append(rec.errs, spoolErr(s.dir, "read "+name, err))
		return nil, nil, segUnreadable
	}
	h, hok := parseSegHeader(hb)
	if hok && h.version != spoolVersion {
		rec.unknownFiles = append(rec.unknownFiles, name) // a newer format: not ours to touch
		return nil, nil, segForeign
	}
	if size <= segHeaderSize && (size == 0 || hok || isHeaderPrefix(hb)) {
		// Created, then the process died before a record was written.
		f.Close()
		s.fs.Remove(p)
		rec.emptySegs++
		return nil, nil, segEmpty
	}

	g := &segFrames{s: s, rec: rec, name: name, sc: sc, newest: newest,
		seg: &spoolSegment{num: num, sealed: true, size: size}}
	g.start(h, hok)
	g.scan()
	if !g.haveFirst {
		// Not one valid frame, and no header to say which ids it held.
		f.Close()
		if err := s.fs.Rename(p, p+".corrupt"); err != nil {
			rec.errs = append(rec.errs, spoolErr(s.dir, "set aside "+name, err))
		}
		rec.badSegments++
		return nil, nil, segSetAside
	}
	if !hok {
		g.fromManifest(mfirst, mok)
	}
	g.seg.n = g.next - g.seg.first
	g.seg.done.grow(g.seg.n)
	return g.seg, g.lost, segKept
}

// fromManifest fixes the first id of a segment whose header is damaged:
// the first valid frame gave it, but the records before that frame (in
// the damage) had ids from the manifest's mfirst on, if mok. They are
// lost, and counted. Without the manifest the first id is known only if
// the first valid frame follows the header: else the segment's journal,
// relative to the lost first id, cannot be applied (baseUnknown).
func (g *segFrames) fromManifest(mfirst uint64, mok bool) {
	seg := g.seg
	switch {
	case mok && mfirst < seg.first:
		g.lost = append([][2]uint64{{mfirst, seg.first}}, g.lost...)
		g.rec.corruptRecs += seg.first - mfirst
		seg.first = mfirst
	case mok && mfirst == seg.first:
	case len(seg.marks) == 0 || seg.marks[0].off != segHeaderSize:
		seg.baseUnknown = true
	}
}

// openSegmentFile opens segment file name for scanning (read-write, so
// that a torn tail can be cut off; read-only if that is refused) and
// returns its size. Its error names the file and what failed.
func (s *spool) openSegmentFile(name string) (spoolFile, int64, error) {
	p := s.path(name)
	f, err := s.fs.OpenFile(p, os.O_RDWR, 0)
	if err != nil {
		if f, err = s.fs.OpenFile(p, os.O_RDONLY, 0); err != nil {
			return nil, 0, spoolErr(s.dir, "open "+name, err)
		}
	}
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, 0, spoolErr(s.dir, "stat "+name, err)
	}
	return f, fi.Size(), nil
}

// segFrames is scanSegment's pass over the frames of one segment file: it
// marks the records it finds in seg, skips and counts damage, and cuts a
// torn or damaged tail off the newest segment.
type segFrames struct {
	s         *spool
	rec       *spoolRecovery
	name      string // the file's name, for errors
	sc        *segScanner
	newest    bool // the newest segment: damage at its end is an interrupted write
	seg       *spoolSegment
	haveFirst bool        // seg.first is known, from the header or the first valid frame
	next      uint64      // the id expected next
	lost      [][2]uint64 // ids lost to damage inside the segment: [from, to)
}

// start takes the segment's first id from its header h, if ok; a bad
// header counts as damaged bytes, and the first valid frame gives the id.
func (g *segFrames) start(h segHeader, ok bool) {
	if !ok {
		g.rec.corruptBytes += segHeaderSize // its frames may still be good
		return
	}
	g.seg.first = h.first
	g.seg.newRun = h.flags&segNewRun != 0
	g.haveFirst = true
	g.next = h.first
}

// scan checks every frame from the end of the header to the end of the
// file. A read error makes the rest of the file damage for readers to
// skip.
func (g *segFrames) scan() {
	size := g.sc.size
	off := int64(segHeaderSize)
	for {
		fr, res, skip, err := g.sc.next(off)
		switch {
		case err != nil:
			g.rec.errs = append(g.rec.errs, spoolErr(g.s.dir, "read "+g.name, err))
			g.seg.addBad(extent{off, size})
			return
		case res == scanEnd:
			return
		case res == scanFrame:
			off = g.frame(fr, off)
		case skip >= size && g.newest && g.haveFirst:
			g.cutTail(res, off)
			return
		default: // torn or damaged from off to skip
			g.seg.addBad(extent{off, skip})
			g.rec.corruptBytes += skip - off
			off = skip
		}
	}
}

// frame takes the valid frame fr at off: its record, and the ids missing
// before it as lost. It returns the offset after it.
func (g *segFrames) frame(fr frame, off int64) int64 {
	end := off + int64(fr.size)
	if g.haveFirst && fr.id < g.next {
		// A valid frame out of order (a stale copy): skip it as damage.
		g.seg.addBad(extent{off, end})
		g.rec.corruptBytes += int64(fr.size)
		return end
	}
	if !g.haveFirst {
		g.seg.first, g.next, g.haveFirst = fr.id, fr.id, true
	}
	if fr.id > g.next {
		g.lost = append(g.lost, [2]uint64{g.next, fr.id})
		g.rec.corruptRecs += fr.id - g.next
	}
	g.seg.mark(fr.id, off)
	g.next = fr.id + 1
	return end
}

// cutTail handles damage (res scanTorn or scanBad) from off to the end of
// the newest segment: what an interrupted write leaves. It cuts it off,
// so that the file ends with a whole frame. It held one record: torn if
// its frame is incomplete, damaged otherwise. If the file cannot be
// truncated, the tail stays as damage for readers to skip.
func (g *segFrames) cutTail(res scanResult, off int64) {
	size := g.sc.size
	if res == scanTorn {
		g.rec.tornBytes += size - off
		g.rec.tornRecords = 1
	} else {
		g.rec.corruptBytes += size - off
		g.lost = append(g.lost, [2]uint64{g.next, g.next + 1})
		g.rec.corruptRecs++
		g.next++
	}
	if err := g.sc.f.Truncate(off); err != nil {
		g.rec.errs = append(g.rec.errs, spoolErr(g.s.dir, "truncate "+g.name, err))
		g.seg.addBad(extent{off, size})
	} else {
		g.seg.size = off
	}
}

// isHeaderPrefix reports whether b could be the start of a segment header
// cut short.
func isHeaderPrefix(b []byte) bool {
	return len(b) < segHeaderSize && bytes.HasPrefix(segMagic[:], b[:min(len(b), len(segMagic))])
}

// loadJournal applies seg's journal, truncating a torn or damaged end.
func (s *spool) loadJournal(seg *spoolSegment, size int64, rec *spoolRecovery) {
	name := ackName(seg.num)
	f, err := s.fs.OpenFile(s.path(name), os.O_RDWR, 0)
	if err != nil {
		rec.errs = append(rec.errs, spoolErr(s.dir, "open "+name, err))
		seg.ackStale = true // rewritten from what is known (nothing) by sync
		return
	}
	defer f.Close()
	good, err := readJournal(f, size, seg)
	if err != nil {
		rec.errs = append(rec.errs, spoolErr(s.dir, "read "+name, err))
	}
	seg.ackSize = size
	if good < size {
		rec.journalBytes += size - good
		if err := f.Truncate(good); err != nil {
			seg.ackStale = true
		} else {
			seg.ackSize = good
		}
	}
}

// firstPending returns the first id of seg not finalized.
func (seg *spoolSegment) firstPending() (uint64, bool) {
	for i := uint64(0); i < seg.n; i++ {
		if !seg.done.has(i) {
			return seg.first + i, true
		}
	}
	return 0, false
}
