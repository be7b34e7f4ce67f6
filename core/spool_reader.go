package core

import (
	"errors"
	"io/fs"
	"os"
)

// spoolReader reads a spool's records back in id (acceptance) order, from
// a starting id, skipping records already finalized and damage. It holds
// one open segment file and one buffer of about scanBufSize (larger only
// while a larger record is read), whatever the spool's size. A reader is
// used by one goroutine at a time; many readers may read one spool, and
// appends and acks go on meanwhile.
type spoolReader struct {
	s     *spool
	next  uint64        // the id to return next, or the first after it
	end   uint64        // read only ids below it; 0: no end
	seg   *spoolSegment // the segment being read; nil before the first read
	f     spoolFile
	sc    segScanner
	off   int64  // the offset of the next frame in seg
	prev  uint64 // the id of the frame before off (to tell lost ids)
	names nameCache
	msgs  nameCache

	// Set under the spool's lock after a record is read: a frame at off
	// can be read without taking the lock first. If it turns stale
	// meanwhile (the segment deleted, damage found by another reader),
	// nothing is returned or counted twice: the lock is taken before
	// anything is decided.
	ready bool
	size  int64 // seg.size when ready was set
}

// reader returns a reader of the records with ids from from (0 or 1: the
// oldest) up to, not including, to (0: no end; it then follows the
// appends). For the replay after a restart, read [recovery.first,
// recovery.next): the earlier process's records, not this one's. Close
// it when done.
func (s *spool) reader(from, to uint64) *spoolReader {
	return &spoolReader{s: s, next: max(from, 1), end: to}
}

// nextID is the id the reader looks for next: every record below it was
// returned or skipped.
func (r *spoolReader) nextID() uint64 { return r.next }

// read fills rec with the next record not finalized and returns its id.
// ok is false when the reader has reached its end, or caught up with the
// appends (then read again after more). rec's byte slices alias the
// reader's buffer and are valid until its next read. Damage it finds
// (after open) is skipped and counted in the spool's stats, as recovery
// counts it; so is a segment file someone deleted. Another error (EIO…)
// is returned, and the next read tries again.
func (r *spoolReader) read(rec *spoolRecord) (id uint64, ok bool, err error) {
	s := r.s
	for {
		if !r.ready {
			if err := r.position(); err != nil || r.seg == nil || !r.ready {
				return 0, false, err
			}
		}
		r.ready = false
		seg := r.seg
		r.sc.f, r.sc.size = r.f, r.size
		fr, res, skip, err := r.sc.next(r.off)
		if err != nil {
			return 0, false, spoolErr(s.dir, "read "+segName(seg.num), err)
		}
		s.mu.Lock()
		if s.closed {
			s.mu.Unlock()
			r.closeFile()
			return 0, false, errSpoolClosed
		}
		if res != scanFrame {
			// Damage found after open (recovery recorded what it found).
			if seg.addBad(extent{r.off, skip}) {
				s.st.corruptBytes += skip - r.off
			}
			r.off = skip
			s.mu.Unlock()
			continue
		}
		if r.end != 0 && fr.id >= r.end {
			r.next = r.end // the first frame past the end: leave it unread
			s.mu.Unlock()
			continue
		}
		r.off += int64(fr.size)
		if fr.id <= r.prev {
			r.refresh()
			s.mu.Unlock()
			continue // a stale frame, out of order
		}
		if fr.id > r.prev+1 {
			r.lost(r.prev+1, fr.id)
		}
		r.prev = fr.id
		if fr.id < r.next || seg.removed || seg.isDone(fr.id) {
			r.refresh()
			s.mu.Unlock()
			continue
		}
		if !decodeBody(fr.body, rec, &r.names, &r.msgs) {
			// It passed its checksum yet does not decode: not written by
			// this version of the format. Damage.
			r.lost(fr.id, fr.id+1)
			r.refresh()
			s.mu.Unlock()
			continue
		}
		s.st.readBack++
		if fr.id < s.oldNext {
			s.st.replayed++
		}
		r.next = fr.id + 1
		r.refresh()
		s.mu.Unlock()
		return fr.id, true, nil
	}
}

// refresh sets ready if the frame at off can be read without looking at
// the spool first. The spool's lock is held.
func (r *spoolReader) refresh() {
	seg := r.seg
	if seg.removed || r.off >= seg.size || (r.end != 0 && r.next >= r.end) {
		return
	}
	if _, bad := seg.badAt(r.off); bad {
		return
	}
	r.ready, r.size = true, seg.size
}

// position takes the spool's lock and moves the reader to its next frame:
// past known damage, to the next segment at the end of a sealed one. It
// leaves ready set if there is a frame to read, seg nil if the reader is
// at its end or caught up (or the spool closed: then the error).
func (r *spoolReader) position() error {
	s := r.s
	s.mu.Lock()
	defer s.mu.Unlock()
	for {
		if s.closed {
			r.closeFile()
			return errSpoolClosed
		}
		if r.end != 0 && r.next >= r.end {
			r.closeFile()
			return nil
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
				r.closeFile()
				return nil
			}
			if err := r.open(seg); err != nil {
				if !errors.Is(err, fs.ErrNotExist) {
					return err
				}
				// Deleted by someone else while the spool ran: its
				// records are lost, counted as recovery would.
				s.st.missingSegs++
				for id := seg.first; id < seg.first+seg.n; id++ {
					if seg.finalize(id) {
						s.pending--
						s.st.missingRecs++
					}
				}
				s.removeSegment(seg)
				continue
			}
		}
		seg := r.seg
		if ext, bad := seg.badAt(r.off); bad {
			r.off = ext.end
			continue
		}
		if r.off >= seg.size {
			if !seg.sealed {
				return nil // caught up with the active segment: seg stays, ready does not
			}
			continue
		}
		r.ready, r.size = true, seg.size
		return nil
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
