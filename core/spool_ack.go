package core

import (
	"encoding/binary"
	"hash/crc32"
	"io"
	"os"
	"slices"
)

// ack finalizes the records with the given ids (delivered, or dropped and
// counted by the caller), in any order; unknown or already finalized ids
// are ignored. Each segment's new acknowledgements are appended to its
// journal with one write, before ack returns; a segment whose records are
// then all finalized is deleted. The acknowledgements hold in memory even
// if writing the journal fails: the error (an I/O error) says they are not
// on disk yet, so a crash before sync rewrites the journal would re-send
// those records.
func (s *spool) ack(ids []uint64) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return errSpoolClosed
	}
	var err error
	var cur *spoolSegment
	ranges := s.ackBuf[:0]
	var runStart, runLen uint32
	flush := func() {
		if runLen > 0 {
			ranges = binary.LittleEndian.AppendUint32(ranges, runStart)
			ranges = binary.LittleEndian.AppendUint32(ranges, runLen)
			runLen = 0
		}
		if cur == nil {
			return
		}
		if len(ranges) > 0 {
			if werr := s.writeAcks(cur, ranges); werr != nil && err == nil {
				err = werr
			}
			ranges = ranges[:0]
		}
		if cur.sealed && cur.ndone == cur.n && !cur.removed {
			s.removeSegment(cur)
		}
		cur = nil
	}
	for _, id := range ids {
		if cur == nil || id < cur.first || id-cur.first >= cur.n {
			flush()
			if cur = s.segFor(id); cur == nil {
				continue
			}
		}
		if !cur.finalize(id) {
			continue
		}
		s.pending--
		s.st.acked++
		rel := uint32(id - cur.first)
		if runLen > 0 && rel == runStart+runLen {
			runLen++
			continue
		}
		if runLen > 0 {
			ranges = binary.LittleEndian.AppendUint32(ranges, runStart)
			ranges = binary.LittleEndian.AppendUint32(ranges, runLen)
		}
		runStart, runLen = rel, 1
	}
	flush()
	if cap(ranges) <= 64<<10 {
		s.ackBuf = ranges[:0]
	}
	return err
}

// ackFrameHeader is the size of a journal frame's header: count, CRC.
const ackFrameHeader = 8

// writeAcks appends one journal frame holding ranges (start, length pairs)
// to seg's journal. On failure the journal is marked stale: sync rewrites
// it whole from the in-memory bits.
func (s *spool) writeAcks(seg *spoolSegment, ranges []byte) error {
	if seg.ackStale {
		return nil // the rewrite will include these
	}
	if seg.ack == nil {
		f, err := s.fs.OpenFile(s.path(ackName(seg.num)), os.O_RDWR|os.O_CREATE, 0o644)
		if err != nil {
			seg.ackStale = true
			s.st.ackErrors++
			return spoolErr(s.dir, "open "+ackName(seg.num), err)
		}
		if seg.ackSize == 0 {
			s.dirDirty = true
		}
		seg.ack = f
	}
	s.useJournal(seg)
	var hdr [ackFrameHeader]byte
	binary.LittleEndian.PutUint32(hdr[0:], uint32(len(ranges)/8))
	binary.LittleEndian.PutUint32(hdr[4:], crc32.Checksum(ranges, castagnoli))
	frame := append(hdr[:], ranges...) // one write: a frame is never split by our own doing
	nw, err := seg.ack.WriteAt(frame, seg.ackSize)
	if err == nil && nw < len(frame) {
		err = io.ErrShortWrite
	}
	if err != nil {
		s.st.ackErrors++
		seg.ackStale = true
		seg.ack.Truncate(seg.ackSize) // best effort: the rewrite replaces the file anyway
		return spoolErr(s.dir, "write "+ackName(seg.num), err)
	}
	seg.ackSize += int64(len(frame))
	s.bytes += int64(len(frame))
	seg.ackDirty = true
	return nil
}

// useJournal moves seg to the most recently used end of the open
// journals, closing the least recently used one past maxOpenJournals
// (without an fsync: if it has unsynced acks, sync fsyncs it through a new
// handle).
func (s *spool) useJournal(seg *spoolSegment) {
	if i := slices.Index(s.journals, seg); i >= 0 {
		if i == len(s.journals)-1 {
			return
		}
		s.journals = slices.Delete(s.journals, i, i+1)
	}
	s.journals = append(s.journals, seg)
	for len(s.journals) > maxOpenJournals {
		old := s.journals[0]
		s.journals = slices.Delete(s.journals, 0, 1)
		if old.ack == nil || old.ackSyncing {
			continue // sync closes it when its fsync is done
		}
		old.ack.Close()
		old.ack = nil
	}
}

// rewriteJournal replaces seg's journal with one that holds all its
// finalized records, written to a temporary file, fsynced and renamed.
func (s *spool) rewriteJournal(seg *spoolSegment) error {
	var ranges []byte
	var runStart, runLen uint32
	for i := uint64(0); i < seg.n; i++ {
		if !seg.done.has(i) {
			continue
		}
		if runLen > 0 && uint32(i) == runStart+runLen {
			runLen++
			continue
		}
		if runLen > 0 {
			ranges = binary.LittleEndian.AppendUint32(ranges, runStart)
			ranges = binary.LittleEndian.AppendUint32(ranges, runLen)
		}
		runStart, runLen = uint32(i), 1
	}
	if runLen > 0 {
		ranges = binary.LittleEndian.AppendUint32(ranges, runStart)
		ranges = binary.LittleEndian.AppendUint32(ranges, runLen)
	}
	var frame []byte
	if len(ranges) > 0 {
		frame = binary.LittleEndian.AppendUint32(frame, uint32(len(ranges)/8))
		frame = binary.LittleEndian.AppendUint32(frame, crc32.Checksum(ranges, castagnoli))
		frame = append(frame, ranges...)
	}
	name := ackName(seg.num)
	if err := s.replaceFile(name, frame, true); err != nil {
		s.st.ackErrors++
		return err
	}
	if seg.ack != nil {
		seg.ack.Close()
		seg.ack = nil
	}
	s.bytes += int64(len(frame)) - seg.ackSize
	seg.ackSize = int64(len(frame))
	seg.ackStale = false
	seg.ackDirty = false
	return nil
}

// replaceFile atomically replaces the file name with data: a temporary
// file written, then renamed over name. If durable, the temporary file is
// fsynced before the rename and the directory after it; if not, a crash
// of the process still leaves the old or the new file, and sync makes
// the new one durable later (a power cut before that may leave neither
// readable: replaced files carry a checksum).
func (s *spool) replaceFile(name string, data []byte, durable bool) error {
	tmp := s.path(name + tmpSuffix)
	f, err := s.fs.OpenFile(tmp, os.O_RDWR|os.O_CREATE|os.O_TRUNC, 0o644)
	if err != nil {
		return spoolErr(s.dir, "create "+name+tmpSuffix, err)
	}
	nw, err := f.WriteAt(data, 0)
	if err == nil && nw < len(data) {
		err = io.ErrShortWrite
	}
	if err == nil && durable {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = s.fs.Rename(tmp, s.path(name))
	}
	if err != nil {
		s.fs.Remove(tmp)
		return spoolErr(s.dir, "write "+name, err)
	}
	if !durable {
		s.dirDirty = true
		return nil
	}
	if err := s.fs.SyncDir(s.dir); err != nil {
		s.dirDirty = true
		return spoolErr(s.dir, "fsync directory", err)
	}
	s.dirDirty = false
	return nil
}

const tmpSuffix = ".tmp"

// readJournal applies the journal of seg (size bytes of f) to its done
// bits and returns the length of its valid frames: a torn or damaged frame
// ends it.
func readJournal(f spoolFile, size int64, seg *spoolSegment) (good int64, err error) {
	var hdr [ackFrameHeader]byte
	var ranges []byte
	for good+ackFrameHeader <= size {
		if _, err := f.ReadAt(hdr[:], good); err != nil {
			return good, err
		}
		count := int64(binary.LittleEndian.Uint32(hdr[0:]))
		if count == 0 || good+ackFrameHeader+8*count > size {
			return good, nil
		}
		if int64(cap(ranges)) < 8*count {
			ranges = make([]byte, 8*count)
		}
		ranges = ranges[:8*count]
		if _, err := f.ReadAt(ranges, good+ackFrameHeader); err != nil {
			return good, err
		}
		if crc32.Checksum(ranges, castagnoli) != binary.LittleEndian.Uint32(hdr[4:]) {
			return good, nil
		}
		for i := 0; i < len(ranges); i += 8 {
			start := uint64(binary.LittleEndian.Uint32(ranges[i:]))
			n := uint64(binary.LittleEndian.Uint32(ranges[i+4:]))
			for j := start; j < start+n && j < seg.n; j++ {
				if seg.done.set(j) {
					seg.ndone++
				}
			}
		}
		good += ackFrameHeader + 8*count
	}
	return good, nil
}
