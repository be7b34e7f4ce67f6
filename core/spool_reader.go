package core

import "os"

// spoolReader reads a spool's records back in id (acceptance) order, from
// a starting id, skipping records already finalized and damage. It holds
// one open segment file and one buffer of about scanBufSize (larger only
// while a larger record is read), whatever the spool's size. A reader is
// used by one goroutine at a time; many readers may read one spool, and
// appends and acks go on meanwhile.
type spoolReader struct {
	s     *spool
	next  uint64        // the id to return next, or the first after it
	seg   *spoolSegment // the segment being read; nil before the first read
	f     spoolFile
	sc    segScanner
	off   int64  // the offset of the next frame in seg
	prev  uint64 // the id of the frame before off (to tell lost ids)
	names nameCache
}

// reader returns a reader of the records from id from on (0 or 1: from the
// oldest). Close it when done.
func (s *spool) reader(from uint64) *spoolReader {
	return &spoolReader{s: s, next: max(from, 1)}
}

// position is the id the reader looks for next: every record below it was
// returned or skipped.
func (r *spoolReader) position() uint64 { return r.next }

// read fills rec with the next record not finalized and returns its id.
// ok is false when the reader has caught up with the appends (read again
// after more). rec's byte slices alias the reader's buffer and are valid
// until its next read. Damage it finds (after open) is skipped and counted
// in the spool's stats, as recovery counts it.
func (r *spoolReader) read(rec *spoolRecord) (id uint64, ok bool, err error) {
	s := r.s
	for {
		s.mu.Lock()
		if s.closed {
			s.mu.Unlock()
			r.closeFile()
			return 0, false, errSpoolClosed
		}
		if seg := r.seg; seg != nil && !seg.removed && seg.sealed && r.off >= seg.size {
			// The end of a sealed segment: ids not seen in it are lost.
			r.lost(r.prev+1, seg.first+seg.n)
			r.next = max(r.next, seg.first+seg.n)
			r.seg = nil
		}
		if r.seg == nil || r.seg.removed {
			seg := s.segFrom(r.next)
			if seg == nil {
				s.mu.Unlock()
				r.closeFile()
				return 0, false, nil
			}
			if err := r.open(seg); err != nil {
				s.mu.Unlock()
				return 0, false, err
			}
		}
		seg := r.seg
		if ext, bad := seg.badAt(r.off); bad {
			r.off = ext.end
			s.mu.Unlock()
			continue
		}
		size, sealed := seg.size, seg.sealed
		s.mu.Unlock()
		if r.off >= size {
			if !sealed {
				return 0, false, nil // caught up with the active segment
			}
			continue
		}

		r.sc.f, r.sc.size = r.f, size
		fr, res, skip, err := r.sc.next(r.off)
		if err != nil {
			return 0, false, spoolErr(s.dir, "read "+segName(seg.num), err)
		}
		if res != scanFrame {
			// Damage found after open (recovery recorded what it found).
			s.mu.Lock()
			if seg.addBad(extent{r.off, skip}) {
				s.st.corruptBytes += skip - r.off
			}
			s.mu.Unlock()
			r.off = skip
			continue
		}
		r.off += int64(fr.size)
		if fr.id <= r.prev {
			continue // a stale frame, out of order
		}
		s.mu.Lock()
		if fr.id > r.prev+1 {
			r.lost(r.prev+1, fr.id)
		}
		r.prev = fr.id
		if fr.id < r.next || seg.removed || seg.isDone(fr.id) {
			s.mu.Unlock()
			continue
		}
		if !decodeBody(fr.body, rec, &r.names) {
			// It passed its checksum yet does not decode: not written by
			// this version of the format. Damage.
			r.lost(fr.id, fr.id+1)
			s.mu.Unlock()
			continue
		}
		s.st.readBack++
		if fr.id < s.oldNext {
			s.st.replayed++
		}
		s.mu.Unlock()
		r.next = fr.id + 1
		return fr.id, true, nil
	}
}

// open makes seg the reader's segment, positioned at the frame of r.next
// or before it. The spool's lock is held.
func (r *spoolReader) open(seg *spoolSegment) error {
	r.closeFile()
	f, err := r.s.fs.OpenFile(r.s.path(segName(seg.num)), os.O_RDONLY, 0)
	if err != nil {
		return spoolErr(r.s.dir, "open "+segName(seg.num), err)
	}
	r.f, r.seg = f, seg
	r.next = max(r.next, seg.first)
	r.off, r.prev = seg.seek(r.next)
	r.sc = segScanner{f: f, buf: r.sc.buf[:0]}
	return nil
}

// lost finalizes and counts the ids [from, to) of the reader's segment,
// which damage made unreadable. The spool's lock is held.
func (r *spoolReader) lost(from, to uint64) {
	seg := r.seg
	for id := from; id < to; id++ {
		if seg.finalize(id) {
			r.s.pending--
			r.s.st.corruptRecs++
		}
	}
	if seg.sealed && seg.ndone == seg.n && !seg.removed {
		r.s.removeSegment(seg)
	}
}

func (r *spoolReader) closeFile() {
	if r.f != nil {
		r.f.Close()
		r.f = nil
	}
	r.seg = nil
}

// close releases the reader's file.
func (r *spoolReader) close() error {
	r.closeFile()
	return nil
}
