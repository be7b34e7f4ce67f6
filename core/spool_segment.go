package core

import (
	"math/bits"
	"os"
	"slices"
	"sort"
	"strconv"
)

// spoolSegment is the in-memory state of one segment file.
type spoolSegment struct {
	num   uint64   // file number
	first uint64   // id of its first record
	n     uint64   // its records are ids [first, first+n), lost ones included
	size  int64    // bytes of the file that hold frames (committed)
	done  bitset   // finalized records: acknowledged, or lost to damage
	ndone uint64   // bits set in done
	bad   []extent // damaged byte ranges, sorted, for readers to skip
	marks []spoolMark

	w      spoolFile // write handle: the active segment, or a sealed one not yet synced
	dirty  bool      // written since its last fsync
	sealed bool      // takes no more appends
	newRun bool      // its header has segNewRun: its first id does not follow the previous segment
	// baseUnknown: its header was damaged and its first id is a guess (the
	// first valid frame's), so its journal's relative ranges cannot be
	// applied. Set by recovery only.
	baseUnknown bool
	removed     bool

	syncing    bool // sync is fsyncing w outside the lock: do not close it
	ackSyncing bool // the same for ack

	ack      spoolFile // the journal, opened on the first ack
	ackSize  int64
	ackDirty bool // written since its last fsync
	ackStale bool // a journal write failed: rewrite it whole from done
}

// extent is a byte range [off, end) of a segment.
type extent struct{ off, end int64 }

// spoolMark is a sparse index entry: the record id starts at off. One
// per markEvery records lets a reader start mid-segment without scanning
// from the beginning.
type spoolMark struct {
	id  uint64
	off int64
}

const markEvery = 1024

const osCreateExcl = os.O_RDWR | os.O_CREATE | os.O_EXCL

func segName(num uint64) string { return pad20(num) + ".seg" }
func ackName(num uint64) string { return pad20(num) + ".ack" }

func pad20(n uint64) string {
	s := strconv.FormatUint(n, 10)
	const zeros = "00000000000000000000"
	return zeros[:20-len(s)] + s
}

// parseNum parses the 20-digit number of a segment or journal name with
// the given suffix.
func parseNum(name, suffix string) (uint64, bool) {
	if len(name) != 20+len(suffix) || name[20:] != suffix {
		return 0, false
	}
	for i := 0; i < 20; i++ {
		if name[i] < '0' || name[i] > '9' {
			return 0, false
		}
	}
	n, err := strconv.ParseUint(name[:20], 10, 64)
	return n, err == nil
}

// mark records that record id starts at off, if it is due for a mark.
func (seg *spoolSegment) mark(id uint64, off int64) {
	if len(seg.marks) == 0 || id >= seg.marks[len(seg.marks)-1].id+markEvery {
		seg.marks = append(seg.marks, spoolMark{id: id, off: off})
	}
}

// unmark forgets the marks of ids from id on (a write that failed).
func (seg *spoolSegment) unmark(id uint64) {
	for len(seg.marks) > 0 && seg.marks[len(seg.marks)-1].id >= id {
		seg.marks = seg.marks[:len(seg.marks)-1]
	}
}

// seek returns the offset of a frame at or before the one of record id,
// and the id just before the frame there (for counting lost ids).
func (seg *spoolSegment) seek(id uint64) (off int64, prev uint64) {
	i := sort.Search(len(seg.marks), func(i int) bool { return seg.marks[i].id > id })
	if i == 0 {
		return segHeaderSize, seg.first - 1
	}
	m := seg.marks[i-1]
	return m.off, m.id - 1
}

// badAt returns the damaged extent starting at off, if any.
func (seg *spoolSegment) badAt(off int64) (extent, bool) {
	i := sort.Search(len(seg.bad), func(i int) bool { return seg.bad[i].off >= off })
	if i < len(seg.bad) && seg.bad[i].off == off {
		return seg.bad[i], true
	}
	return extent{}, false
}

// addBad records a damaged extent, keeping them sorted; it reports false
// if it was known already.
func (seg *spoolSegment) addBad(e extent) bool {
	i := sort.Search(len(seg.bad), func(i int) bool { return seg.bad[i].off >= e.off })
	if i < len(seg.bad) && seg.bad[i].off == e.off {
		return false
	}
	seg.bad = append(seg.bad, extent{})
	copy(seg.bad[i+1:], seg.bad[i:])
	seg.bad[i] = e
	return true
}

// finalize marks record id finalized; it reports whether it was not yet.
func (seg *spoolSegment) finalize(id uint64) bool {
	if id < seg.first || id-seg.first >= seg.n {
		return false
	}
	if !seg.done.set(id - seg.first) {
		return false
	}
	seg.ndone++
	return true
}

func (seg *spoolSegment) isDone(id uint64) bool {
	return id >= seg.first && id-seg.first < seg.n && seg.done.has(id-seg.first)
}

func (seg *spoolSegment) closeFiles() {
	if seg.w != nil {
		seg.w.Close()
		seg.w = nil
	}
	if seg.ack != nil {
		seg.ack.Close()
		seg.ack = nil
	}
}

// bitset is a growable set of small integers.
type bitset []uint64

func (b *bitset) grow(n uint64) {
	if words := int((n + 63) / 64); words > len(*b) {
		if words <= cap(*b) {
			*b = (*b)[:words]
		} else {
			nb := make(bitset, words, max(words, 2*cap(*b)))
			copy(nb, *b)
			*b = nb
		}
	}
}

// set adds i (which must be below the grown size); it reports whether i
// was absent.
func (b bitset) set(i uint64) bool {
	w, m := i/64, uint64(1)<<(i%64)
	if b[w]&m != 0 {
		return false
	}
	b[w] |= m
	return true
}

func (b bitset) has(i uint64) bool { return b[i/64]&(1<<(i%64)) != 0 }

// count returns the number of elements below n.
func (b bitset) count(n uint64) uint64 {
	c := 0
	for w := uint64(0); w < n/64; w++ {
		c += bits.OnesCount64(b[w])
	}
	if r := n % 64; r != 0 {
		c += bits.OnesCount64(b[n/64] & (1<<r - 1))
	}
	return uint64(c)
}

// segFor returns the live segment holding id, or nil.
func (s *spool) segFor(id uint64) *spoolSegment {
	i := sort.Search(len(s.segs), func(i int) bool { return s.segs[i].first+s.segs[i].n > id })
	if i < len(s.segs) && s.segs[i].first <= id {
		return s.segs[i]
	}
	return nil
}

// segFrom returns the first live segment with records at or after id, or
// nil.
func (s *spool) segFrom(id uint64) *spoolSegment {
	i := sort.Search(len(s.segs), func(i int) bool {
		seg := s.segs[i]
		return seg.first+seg.n > id || (!seg.sealed && seg.first+seg.n == id)
	})
	if i < len(s.segs) {
		return s.segs[i]
	}
	return nil
}

// removeSegment deletes a sealed segment whose records are all finalized:
// the manifest first, then the segment file, then its journal. A file
// that cannot be removed is retried by sync (its bytes still count).
func (s *spool) removeSegment(seg *spoolSegment) {
	seg.removed = true
	seg.closeFiles()
	if i := slices.Index(s.journals, seg); i >= 0 {
		s.journals = slices.Delete(s.journals, i, i+1)
	}
	for i, x := range s.segs {
		if x == seg {
			s.segs = append(s.segs[:i], s.segs[i+1:]...)
			break
		}
	}
	s.pending -= seg.n - seg.ndone
	s.st.removed++
	if s.recovering {
		s.manifest = true // openSpool writes it once recovery is done
	} else if err := s.writeManifest(); err != nil {
		s.manifest = true
	}
	s.dirDirty = true
	for _, f := range []unremoved{{segName(seg.num), seg.size}, {ackName(seg.num), seg.ackSize}} {
		if err := s.fs.Remove(s.path(f.name)); err != nil && !os.IsNotExist(err) {
			s.unremoved = append(s.unremoved, f)
			continue
		}
		s.bytes -= f.size
	}
}

// unremoved is a file removeSegment could not remove, and its bytes.
type unremoved struct {
	name string
	size int64
}

// retryRemoves tries again to remove the files removeSegment could not.
func (s *spool) retryRemoves() {
	kept := s.unremoved[:0]
	for _, f := range s.unremoved {
		if err := s.fs.Remove(s.path(f.name)); err != nil && !os.IsNotExist(err) {
			kept = append(kept, f)
			continue
		}
		s.bytes -= f.size
		s.dirDirty = true
	}
	s.unremoved = kept
}
