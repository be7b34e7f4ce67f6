package core

import "sync"

// recQueue is a FIFO of records: taking from the front moves a head index
// instead of the records, so that a long backlog (an outage) costs O(1)
// per batch taken, not a shift of the whole backlog.
type recQueue struct {
	buf    []record
	head   int
	pinned int // the first pinned records are those of the request in flight
}

func (q *recQueue) len() int { return len(q.buf) - q.head }

// items returns the records in order. The slice is valid until the next
// change to q.
func (q *recQueue) items() []record { return q.buf[q.head:] }

func (q *recQueue) push(recs ...record) {
	if q.head > 0 && q.head >= len(q.buf)/2 {
		n := copy(q.buf, q.buf[q.head:])
		clear(q.buf[n:])
		q.buf, q.head = q.buf[:n], 0
	}
	q.buf = append(q.buf, recs...)
}

// popFront removes the first n records.
func (q *recQueue) popFront(n int) {
	clear(q.buf[q.head : q.head+n])
	q.head += n
	if q.head == len(q.buf) {
		q.buf, q.head = q.buf[:0], 0
	}
}

// evictAfterPinned removes the records after the pinned ones whose seq is
// at most limit, appending them to out; the pinned records do not move.
func (q *recQueue) evictAfterPinned(limit uint64, out []record) []record {
	start := q.head + q.pinned
	kept, out := splitBySeq(q.buf[start:], limit, out)
	q.buf = q.buf[:start+len(kept)]
	if q.head == len(q.buf) {
		q.buf, q.head = q.buf[:0], 0
	}
	return out
}

// mergeAfterPinned merges recs, in order, among the records after the
// pinned ones, by seq: the records of each keep their relative order, and
// the pinned records do not move.
func (q *recQueue) mergeAfterPinned(recs []record) {
	items := q.items()
	unsent := items[q.pinned:]
	merged := make([]record, 0, len(items)+len(recs))
	merged = append(merged, items[:q.pinned]...)
	i, j := 0, 0
	for i < len(unsent) && j < len(recs) {
		if recs[j].seq < unsent[i].seq {
			merged = append(merged, recs[j])
			j++
		} else {
			merged = append(merged, unsent[i])
			i++
		}
	}
	merged = append(merged, unsent[i:]...)
	merged = append(merged, recs[j:]...)
	clear(q.buf)
	q.buf, q.head = merged, 0
}

// splitBySeq appends the records of recs whose seq is at most limit to out
// and packs the others at the front of recs, in order. It returns them and
// out; what recs held past them is cleared.
func splitBySeq(recs []record, limit uint64, out []record) (kept, _ []record) {
	kept = recs[:0]
	for _, r := range recs {
		if r.seq <= limit {
			out = append(out, r)
		} else {
			kept = append(kept, r)
		}
	}
	clear(recs[len(kept):])
	return kept, out
}

// set replaces the records with recs, which may share q's memory.
func (q *recQueue) set(recs []record) {
	n := copy(q.buf, recs)
	clear(q.buf[n:])
	q.buf, q.head = q.buf[:n], 0
}

// segQueue is a FIFO of records in fixed-size segments, so that a growing
// backlog never copies what it already holds (a slice would, at every
// doubling) and memory is reused through a pool. Records hold no pointers,
// so neither do segments: the garbage collector does not scan them.
type segQueue struct {
	segs []*segment
	n    int
}

const segmentSize = 512

type segment struct {
	recs       [segmentSize]record
	head, tail int
}

// segments are reused like arena chunks: a few from a free list the GC
// leaves alone, the rest through a sync.Pool.
var (
	segmentFree = make(chan *segment, 32)
	segmentPool = sync.Pool{New: func() any { return new(segment) }}
)

func getSegment() *segment {
	select {
	case s := <-segmentFree:
		return s
	default:
		return segmentPool.Get().(*segment)
	}
}

func putSegment(s *segment) {
	s.head, s.tail = 0, 0
	select {
	case segmentFree <- s:
	default:
		segmentPool.Put(s)
	}
}

func (q *segQueue) len() int { return q.n }

func (q *segQueue) push(r record) {
	if len(q.segs) == 0 || q.segs[len(q.segs)-1].tail == segmentSize {
		q.segs = append(q.segs, getSegment())
	}
	s := q.segs[len(q.segs)-1]
	s.recs[s.tail] = r
	s.tail++
	q.n++
}

// front returns the oldest record; q must not be empty.
func (q *segQueue) front() *record {
	s := q.segs[0]
	return &s.recs[s.head]
}

// popSegment removes the first segment, which the caller owns from now on.
func (q *segQueue) popSegment() *segment {
	s := q.segs[0]
	q.segs[copy(q.segs, q.segs[1:])] = nil
	q.segs = q.segs[:len(q.segs)-1]
	q.n -= s.tail - s.head
	return s
}

// take moves the n oldest records to dst and returns it.
func (q *segQueue) take(dst []record, n int) []record {
	for n > 0 {
		s := q.segs[0]
		k := min(n, s.tail-s.head)
		dst = append(dst, s.recs[s.head:s.head+k]...)
		s.head += k
		n -= k
		q.n -= k
		if s.head == s.tail {
			putSegment(q.popSegment())
		}
	}
	return dst
}

// detach moves up to n of the oldest records out of q without copying
// them where it can: it returns the full segments whose records all fit in
// n (give them back with releaseSegment after use), then appends to dst
// copies of the rest, from a segment that is partly taken or still being
// filled.
func (q *segQueue) detach(dst []record, n int, segs []*segment) ([]*segment, []record) {
	for n > 0 && len(q.segs) > 0 {
		s := q.segs[0]
		if avail := s.tail - s.head; s.tail == segmentSize && avail <= n {
			segs = append(segs, q.popSegment())
			n -= avail
			continue
		}
		return segs, q.take(dst, n)
	}
	return segs, dst
}

// next appends a record to q and returns it, for the caller to fill.
func (q *segQueue) next() *record {
	if len(q.segs) == 0 || q.segs[len(q.segs)-1].tail == segmentSize {
		q.segs = append(q.segs, getSegment())
	}
	s := q.segs[len(q.segs)-1]
	s.tail++
	q.n++
	return &s.recs[s.tail-1]
}

// grow appends n records to q, left as they are, for the caller to set
// with at.
func (q *segQueue) grow(n int) {
	for n > 0 {
		if len(q.segs) == 0 || q.segs[len(q.segs)-1].tail == segmentSize {
			q.segs = append(q.segs, getSegment())
		}
		s := q.segs[len(q.segs)-1]
		k := min(n, segmentSize-s.tail)
		s.tail += k
		q.n += k
		n -= k
	}
}

// at returns the i-th record from the front. Every segment but the first
// and the last is full, so that is arithmetic.
func (q *segQueue) at(i int) *record {
	s := q.segs[0]
	first := s.tail - s.head
	if i < first {
		return &s.recs[s.head+i]
	}
	i -= first
	return &q.segs[1+i/segmentSize].recs[i%segmentSize]
}

// pushFront puts recs, in order, before every record of q. The new front
// segments are filled from their ends, so that every segment but the first
// and the last stays full (see at).
func (q *segQueue) pushFront(recs []record) {
	for len(recs) > 0 {
		if len(q.segs) == 0 || q.segs[0].head == 0 {
			s := getSegment()
			s.head, s.tail = segmentSize, segmentSize
			q.segs = append(q.segs, nil)
			copy(q.segs[1:], q.segs)
			q.segs[0] = s
		}
		s := q.segs[0]
		k := min(len(recs), s.head)
		s.head -= k
		copy(s.recs[s.head:], recs[len(recs)-k:])
		recs = recs[:len(recs)-k]
		q.n += k
	}
}

// frontRun returns the records of the first segment.
func (q *segQueue) frontRun() []record {
	s := q.segs[0]
	return s.recs[s.head:s.tail]
}

// dropFrontRun removes the first segment's records.
func (q *segQueue) dropFrontRun() { putSegment(q.popSegment()) }

// live returns the segment's records.
func (s *segment) live() []record { return s.recs[s.head:s.tail] }

// releaseSegment returns a detached segment to the pool.
func releaseSegment(s *segment) { putSegment(s) }
