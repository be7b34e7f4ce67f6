package core

import "sort"

// backlog is the batcher's FIFO in durable mode: the entries it took from
// the queue and wrote to the spool (or kept in memory only, when the spool
// failed), not yet routed, in seq (acceptance) order. Each is either in
// memory (mem) or on disk only, in a diskRun: spilled out of memory during
// an outage, or left by an earlier process (the replay). Routing takes
// from the front, whichever of the two that is, so that order holds
// across memory and disk.
//
// Every run's seqs are above those of the in-memory records that can
// still spill (spilling goes from the front), so a spilled record extends
// the last run or starts a new one after it; records kept in memory only
// can sit between runs.
type backlog struct {
	mem     segQueue  // in memory, by seq; its segments may be partly filled (see adopt): never use mem.at
	spooled int       // of mem, the records on disk too (spool id set): those spill can release
	runs    []diskRun // on disk only, by seq, from runs[head]
	head    int
	onDisk  int // records in the runs
}

// diskRun is a run of the backlog's entries held on disk only: spool ids
// [next, end), read back with a spool reader.
type diskRun struct {
	next uint64 // the spool id of the next record to read
	end  uint64 // the ids of the run are below it
	seq  uint64 // the seq of the record with id next; for a replay, the next seq to give
	n    int    // records left
	// replay: the records an earlier process left. Its ids have gaps (the
	// records it finalized), so seqs are given in read order; a spilled
	// run's ids and seqs run together, one for one.
	replay bool
	rd     *spoolReader // nil until first read
}

func (bl *backlog) len() int { return bl.mem.len() + bl.onDisk }

// takeMem moves the k oldest in-memory records to dst.
func (bl *backlog) takeMem(dst []record, k int) []record {
	start := len(dst)
	dst = bl.mem.take(dst, k)
	for i := start; i < len(dst); i++ {
		if dst[i].spoolID != 0 {
			bl.spooled--
		}
	}
	return dst
}

// eachMem passes the k oldest in-memory records to f, a run at a time,
// and removes them. The runs alias the backlog's segments: f must copy
// what it keeps.
func (bl *backlog) eachMem(k int, f func([]record)) {
	q := &bl.mem
	for k > 0 {
		sg := q.segs[0]
		m := min(k, sg.tail-sg.head)
		run := sg.recs[sg.head : sg.head+m]
		for i := range run {
			if run[i].spoolID != 0 {
				bl.spooled--
			}
		}
		f(run)
		clear(run)
		sg.head += m
		q.n -= m
		k -= m
		if sg.head == sg.tail {
			putSegment(q.popSegment())
		}
	}
}

// adopt appends sg, a segment detached from the queue, to the in-memory
// records: the backlog owns it from now on, and its records are not
// copied. The backlog's segments may so be partly filled anywhere, which
// is why it walks them (memBelow, eachMemRecord) and never uses segQueue.at.
func (bl *backlog) adopt(sg *segment) {
	live := sg.live()
	for i := range live {
		if live[i].spoolID != 0 {
			bl.spooled++
		}
	}
	bl.mem.segs = append(bl.mem.segs, sg)
	bl.mem.n += len(live)
}

// memBelow counts the in-memory records with seq below seq: a prefix, as
// they are in seq order.
func (bl *backlog) memBelow(seq uint64) int {
	n := 0
	for _, sg := range bl.mem.segs {
		live := sg.live()
		if len(live) > 0 && live[len(live)-1].seq < seq {
			n += len(live)
			continue
		}
		return n + sort.Search(len(live), func(i int) bool { return live[i].seq >= seq })
	}
	return n
}

// eachMemRecord calls f with each in-memory record, in order; f must not
// change it.
func (bl *backlog) eachMemRecord(f func(r *record)) {
	for _, sg := range bl.mem.segs {
		live := sg.live()
		for i := range live {
			f(&live[i])
		}
	}
}

// pushMem appends r to the in-memory records.
func (bl *backlog) pushMem(r *record) {
	bl.mem.push(*r)
	if r.spoolID != 0 {
		bl.spooled++
	}
}

// run returns the first run, or nil if there is none.
func (bl *backlog) run() *diskRun {
	if bl.head == len(bl.runs) {
		return nil
	}
	return &bl.runs[bl.head]
}

// frontRun returns the first run if the oldest entry is on disk, nil if it
// is in memory or there is none.
func (bl *backlog) frontRun() *diskRun {
	r := bl.run()
	if r == nil || (bl.mem.len() > 0 && bl.mem.front().seq < r.seq) {
		return nil
	}
	return r
}

// memBefore returns how many in-memory records come before the first run:
// all of them if there is none.
func (bl *backlog) memBefore() int {
	r := bl.run()
	if r == nil {
		return bl.mem.len()
	}
	return bl.memBelow(r.seq)
}

// addRun appends a run after every other.
func (bl *backlog) addRun(r diskRun) {
	if bl.head > 0 && bl.head == len(bl.runs) {
		clear(bl.runs)
		bl.runs, bl.head = bl.runs[:0], 0
	}
	bl.runs = append(bl.runs, r)
	bl.onDisk += r.n
}

// spilled adds r, a spooled record whose memory is given back, to the last
// run if it follows on from it (its id and its seq both next), else to a
// new run.
func (bl *backlog) spilled(r *record) {
	if last := len(bl.runs) - 1; last >= bl.head {
		if lr := &bl.runs[last]; !lr.replay && lr.end == r.spoolID && lr.seq+uint64(lr.n) == r.seq {
			lr.end++
			lr.n++
			bl.onDisk++
			return
		}
	}
	bl.addRun(diskRun{next: r.spoolID, end: r.spoolID + 1, seq: r.seq, n: 1})
}

// popRun removes the first run, which must be read or dropped to its end.
func (bl *backlog) popRun() {
	r := &bl.runs[bl.head]
	if r.rd != nil {
		r.rd.close()
	}
	bl.onDisk -= r.n
	*r = diskRun{}
	bl.head++
}

// closeReaders releases the files of the runs' readers.
func (bl *backlog) closeReaders() {
	for i := bl.head; i < len(bl.runs); i++ {
		if rd := bl.runs[i].rd; rd != nil {
			rd.close()
			bl.runs[i].rd = nil
		}
	}
}
