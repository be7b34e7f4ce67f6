package core

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"time"
	"unsafe"
)

// Durable mode (Config.SpoolDir): the batcher is the spool's writer. It
// takes every queued entry every SpoolInterval (and whenever it takes from
// the queue at all), appends them to the spool in seq order with one
// append call, and keeps them in its backlog, from which routing takes
// them by the usual rules. When memory nears its limits it spills: it
// gives back the memory of the oldest spooled entries of the backlog,
// which become a run held on disk only and are read back, in order, when
// routing reaches them. Finalized entries (delivered, or dropped and
// counted) are acknowledged in the spool; at Close, what is still spooled
// stays there for the next sink on SpoolDir, which replays it first.
//
// Nothing here runs on a logging goroutine: Write's only part is to wake
// the batcher when the first entry comes in after a take (queue.admitted).

// spoolRetry is how long the batcher keeps new entries in memory only after
// the spool failed or was full, before it tries to append again; and how
// long it waits before reading a run again after a read error.
const spoolRetry = time.Second

// spoolReportEvery is the least time between two reports of one kind of
// spool failure: the rest is summed up in the next report.
const spoolReportEvery = 5 * time.Second

// spillChunk is how many records spill releases at a time before it looks
// at the memory held again.
const spillChunk = 256

// maxExpireRead bounds the records a pull reads back from disk only to
// drop them as expired: the rest waits for the next pull.
const maxExpireRead = 4096

// spoolOp names what failed, for SpoolError and its rate limits.
type spoolOp int

const (
	opAppend spoolOp = iota
	opSync
	opRead
	opAck
	numSpoolOps
)

func (o spoolOp) String() string {
	return [...]string{"append", "sync", "read", "ack"}[o]
}

// spoolReport rate-limits the reports of one kind of spool failure.
type spoolReport struct {
	last       time.Time // when one was last reported
	memoryOnly int       // entries kept in memory only since then
}

// durableState is the batcher's state for durable mode; the zero value is
// memory-only mode (spool nil).
type durableState struct {
	spool      *spool
	bl         backlog
	spoolTimer *time.Timer // SpoolInterval after the first entry queued since the last take
	spoolArmed bool
	spoolTick  bool // the spool timer fired: take what is queued
	syncEvery  bool // SpoolSync < 0: syncData after every append

	batch      *spoolBatch // the batch being written (writing), or the next
	writing    bool
	writeReq   chan *spoolBatch // to the writer goroutine
	writeRes   chan *spoolBatch // back from it, written
	writerDone chan struct{}
	srec       spoolRecord // what the reader read
	rbChunk    *chunk      // memory for records read back, not counted in QueueByteLimit
	spillBuf   []record
	ackWake    chan struct{} // to the writer goroutine: acknowledgements are waiting
	failing    bool          // the last append failed: memory only until retryAt
	retryAt    time.Time     // when to try appending again
	readRetry  time.Time     // after a read error, when to read again
	reports    [numSpoolOps]spoolReport
	closeSync  bool // the spool was synced once Close took the last entries
	touched    bool // the batcher read from the spool since it last published its figures
	left       int  // entries Close left in the spool; read after done
	syncStop   chan struct{}
	syncDone   chan struct{}
	syncPeriod time.Duration
}

// startSpool sets the batcher up as the writer of sp and, if the spool
// holds an earlier process's records (rec), makes them the backlog's first
// run, with seqs 1…rec.records. Called by newSink before the batcher runs.
func (b *batcher) startSpool(sp *spool, rec spoolRecovery) {
	d := &b.durableState
	d.spool = sp
	d.spoolTimer = time.NewTimer(time.Hour)
	d.spoolTimer.Stop()
	d.syncEvery = b.cfg.SpoolSync < 0
	d.syncPeriod = b.cfg.SpoolSync
	if d.syncPeriod <= 0 {
		d.syncPeriod = time.Second // with every write, the acks and the manifest
	}
	d.syncStop = make(chan struct{})
	d.syncDone = make(chan struct{})
	d.batch = new(spoolBatch)
	d.writeReq = make(chan *spoolBatch, 1)
	d.writeRes = make(chan *spoolBatch, 1)
	d.writerDone = make(chan struct{})
	d.ackWake = make(chan struct{}, 1)
	b.q.durable = true
	if rec.records > 0 {
		b.q.replay(rec.records)
		d.bl.addRun(diskRun{next: rec.first, end: rec.next, seq: 1, n: int(rec.records), replay: true})
	}
	lost := rec.corruptRecs + uint64(rec.tornRecords) + rec.missingRecs
	b.c.replayed.Store(rec.records + lost)
	b.c.dropped[ReasonCorrupt].Add(lost)
	b.c.spoolOn.Store(true)
	if err := rec.problem(); err != nil {
		b.rep.report(&SpoolError{Op: "recover", Err: err})
	}
	b.publishSpool()
}

// spoolDue reports whether pull should take the queued entries now: the
// spool timer fired, or the batcher would take from the queue anyway (a
// full batch, the first entry, a Flush or Close waiting, a queue near its
// limits, Period).
func (b *batcher) spoolDue() bool {
	q := b.q
	if q.queued() == 0 {
		return false
	}
	return b.spoolTick || b.periodDue || q.queued() >= b.cfg.BatchSizeLimit || q.eager.Load() ||
		q.nwaiters.Load() > 0 || q.closed.Load() || q.near()
}

// armSpool arms the spool timer if entries are queued and it is not
// armed: they are written SpoolInterval after the first came in, at the
// latest.
func (b *batcher) armSpool() {
	if d := &b.durableState; !d.spoolArmed && b.q.queued() > 0 {
		d.spoolArmed = true
		d.spoolTimer.Reset(b.cfg.SpoolInterval)
	}
}

// pullDurable is pull in durable mode: it drops what expired (an explicit
// RetryTimeLimit), writes the queued entries to the spool, spills if
// memory is short, and routes from the backlog what is due.
func (b *batcher) pullDurable() {
	q, d := b.q, &b.durableState
	if limit := b.expiredSeq(); limit > 0 {
		b.expired = q.takeExpired(limit, b.expired[:0])
		if len(b.expired) > 0 {
			b.drop(ReasonRetriesExhausted, nil, b.expired...)
			clear(b.expired)
		}
		b.expireBacklog(limit)
	}
	b.checkpoint(q.seq.Load())
	if b.spoolDue() && !d.writing {
		// While a write is under way the tick stays set: the entries
		// it found wait for the next write, which starts as soon as
		// this one is back, not an interval later.
		d.spoolTick = false
		b.spoolQueued()
	}
	if q.closed.Load() && !d.closeSync && q.queued() == 0 && !d.writing {
		// Close: everything accepted is in the backlog now. Make what
		// is spooled durable before delivering.
		d.closeSync = true
		b.syncSpool()
	}
	b.spill()

	// Route no more than the partitions can send soon, and, since a
	// failing destination's records cannot spill, hold no more than
	// twice that in all: the rest waits in the backlog, on disk if need
	// be.
	limit := min(b.holdLimit-b.sendable(), 2*b.holdLimit-b.heldRouted())
	all := b.periodDue || q.nwaiters.Load() > 0 || q.eager.Load() || q.closed.Load() || q.near()
	b.routed = 0
	b.routeBacklog(limit, all)
	if b.routed%b.cfg.BatchSizeLimit != 0 {
		b.nextBatch()
	}
	if d.bl.len() == 0 && q.queued() == 0 {
		b.periodDue = false
	}
}

// heldRouted counts the records the batcher has routed and not finalized:
// waiting for their topic's metadata, for their partition, or in flight.
func (b *batcher) heldRouted() int {
	n := 0
	for _, p := range b.active {
		n += p.pending.len()
	}
	for _, t := range b.topics {
		n += len(t.waiting)
	}
	return n
}

// spoolQueued takes every queued entry, in seq order, and hands them to the
// spool's writer goroutine, which appends them in one call (written then
// puts them at the back of the backlog); if the spool is failing, they go
// to the backlog at once, in memory only. One batch is written at a time:
// while one is, the entries wait in the queue for the next.
func (b *batcher) spoolQueued() {
	d := &b.durableState
	if d.writing {
		return
	}
	wb := d.batch
	wb.segs, wb.tail = b.q.takeQueued(wb.segs, wb.tail)
	wb.through = b.q.taken.Load() // the batcher alone takes: the last seq of wb, or of an entry dropped before it
	n := wb.len()
	if n == 0 {
		b.c.spoolThrough.Store(wb.through)
		return
	}
	now := b.now.UnixNano()
	wb.each(func(r *record) {
		if r.time == 0 {
			// Stamped here rather than when routed, so that the disk holds
			// a time near its acceptance for a replay.
			r.time, r.stamped = now, true
		}
	})
	if d.failing && b.now.Before(d.retryAt) {
		b.skipSpool(n)
		wb.each(d.bl.pushMem)
		b.c.spoolThrough.Store(wb.through)
		wb.reset()
		return
	}
	d.writing = true
	d.writeReq <- wb
}

// spoolNow writes what is queued to the spool and waits for it: for
// Close, once delivery has stopped.
func (b *batcher) spoolNow() {
	d := &b.durableState
	if d.writing {
		b.written(<-d.writeRes)
	}
	b.spoolQueued()
	if d.writing {
		b.written(<-d.writeRes)
	}
}

// written takes back a batch the writer goroutine has appended: its
// records go to the back of the backlog, with their spool ids, or in
// memory only if the spool could not take them.
func (b *batcher) written(wb *spoolBatch) {
	d := &b.durableState
	d.writing = false
	n := wb.len()
	for i, sg := range wb.segs {
		d.bl.adopt(sg)
		wb.segs[i] = nil // the backlog's now
	}
	for i := range wb.tail {
		d.bl.pushMem(&wb.tail[i])
	}
	if skipped := n - wb.wrote; skipped > 0 {
		b.skipSpool(skipped)
	}
	if wb.err != nil {
		d.failing, d.retryAt = true, time.Now().Add(spoolRetry)
		if !errors.Is(wb.err, errSpoolFull) {
			b.c.spoolErrors.Add(1)
		}
		b.reportSpool(opAppend, wb.err)
	} else {
		d.failing = false
	}
	if wb.syncErr != nil {
		b.c.spoolErrors.Add(1)
		b.reportSpool(opSync, wb.syncErr)
	}
	wb.reset()
}

// spoolBatch is one append of the batcher's: records taken from the
// queue, in seq order, that the writer goroutine writes with one append
// call. The batcher owns it except between handing it over (writeReq) and
// taking it back (writeRes).
type spoolBatch struct {
	// The records, as the queue gave them: whole segments, then the
	// rest. The batch owns the segments until reset.
	segs    []*segment
	tail    []record
	arena   *arena // the records' memory, for at
	through uint64 // the seq of its last record: every entry up to it is through once it is written
	wrote   int    // records written: their spool ids are set
	err     error  // what stopped the write, nil if nothing did
	syncErr error  // syncData's, with SpoolSyncEveryWrite

	// rec's cursor: segment curSeg holds the records from curBase on.
	curSeg, curBase int
}

// len returns the number of records of the batch: it is the spoolSource
// the writer goroutine appends, without laying out its records anew.
func (wb *spoolBatch) len() int {
	n := len(wb.tail)
	for _, sg := range wb.segs {
		n += len(sg.live())
	}
	return n
}

// rec returns the batch's record i. Walking the records in order costs
// O(1) each: it goes on from the segment of the last call.
func (wb *spoolBatch) rec(i int) *record {
	if i < wb.curBase {
		wb.curSeg, wb.curBase = 0, 0
	}
	for ; wb.curSeg < len(wb.segs); wb.curSeg++ {
		live := wb.segs[wb.curSeg].live()
		if i < wb.curBase+len(live) {
			return &live[i-wb.curBase]
		}
		wb.curBase += len(live)
	}
	return &wb.tail[i-wb.curBase]
}

// at fills in sr with record i, its bytes aliasing the record's chunk.
func (wb *spoolBatch) at(i int, sr *spoolRecord) {
	r, a := wb.rec(i), wb.arena
	*sr = spoolRecord{
		time:       r.time,
		level:      r.level,
		loggerName: unsafeString(a.bytes(r.nameSpan())),
		message:    unsafeString(a.bytes(r.msgSpan())),
		key:        a.bytes(r.keySpan()),
		data:       a.bytes(r.dataSpan()),
	}
	if r.nhdrs > 0 {
		sr.headers = a.bytes(r.hdrSpan())
	}
}

// each calls f for each record of the batch, in order.
func (wb *spoolBatch) each(f func(r *record)) {
	for _, sg := range wb.segs {
		live := sg.live()
		for i := range live {
			f(&live[i])
		}
	}
	for i := range wb.tail {
		f(&wb.tail[i])
	}
}

func (wb *spoolBatch) reset() {
	for _, sg := range wb.segs {
		if sg != nil {
			releaseSegment(sg)
		}
	}
	clear(wb.segs)
	clear(wb.tail)
	wb.segs, wb.tail = wb.segs[:0], wb.tail[:0]
	wb.wrote, wb.err, wb.syncErr, wb.through = 0, nil, nil, 0
	wb.curSeg, wb.curBase = 0, 0
}

// writeLoop is the spool's writer goroutine: it appends each batch the
// batcher hands it and hands it back, until writeReq is closed. Writing
// off the batcher's goroutine lets the batcher route and send meanwhile.
// It touches the batch, the spool and the arena's chunks (read only) and
// nothing else of the batcher's.
func (b *batcher) writeLoop() {
	d := &b.durableState
	defer close(d.writerDone)
	var w writerState
	for {
		select {
		case wb, ok := <-d.writeReq:
			if !ok {
				b.flushAcks(&w) // the batcher has stopped: the last ones
				b.publishSpool()
				return
			}
			b.writeBatch(wb)
			b.c.spoolThrough.Store(wb.through) // written, or kept in memory only
			b.flushAcks(&w)
			b.publishSpool()
			d.writeRes <- wb
		case <-d.ackWake:
			b.flushAcks(&w)
			b.publishSpool()
		}
	}
}

// writeBatch appends wb's records to the spool and sets their spool ids.
// What it cannot write stays in memory only (spool id 0): a record too
// large for the spool alone, or the rest of the batch after a failure.
func (b *batcher) writeBatch(wb *spoolBatch) {
	d := &b.durableState
	wb.arena = b.q.arena
	for done, n := 0, wb.len(); done < n; {
		first, k, err := d.spool.appendFrom(wb, done)
		for i := range k {
			wb.rec(done + i).spoolID = first + uint64(i)
		}
		done += k
		wb.wrote += k
		if err == nil {
			break
		}
		if errors.Is(err, errSpoolRecordTooLarge) {
			done++ // that one alone stays in memory only
			continue
		}
		wb.err = err
		break
	}
	if wb.wrote > 0 && d.syncEvery {
		wb.syncErr = d.spool.syncData()
	}
}

// skipSpool counts n entries kept in memory only.
func (b *batcher) skipSpool(n int) {
	b.c.spoolSkipped.Add(uint64(n))
	b.durableState.reports[opAppend].memoryOnly += n
}

// reportSpool reports a spool failure to the ErrorHandler, at most every
// spoolReportEvery per kind; those in between are counted in Stats (and,
// for appends, summed up in the next report's MemoryOnly).
func (b *batcher) reportSpool(op spoolOp, err error) {
	r := &b.durableState.reports[op]
	now := time.Now()
	if !r.last.IsZero() && now.Sub(r.last) < spoolReportEvery {
		return
	}
	r.last = now
	b.rep.report(&SpoolError{Op: op.String(), MemoryOnly: r.memoryOnly, Err: err})
	r.memoryOnly = 0
}

// syncSpool makes what the spool holds durable now.
func (b *batcher) syncSpool() {
	if err := b.durableState.spool.sync(); err != nil && !errors.Is(err, errSpoolClosed) {
		b.c.spoolErrors.Add(1)
		b.reportSpool(opSync, err)
	}
}

// spill gives back the memory of the backlog's spooled entries, oldest
// first, while memory is near its limits (see queue.near), down to half
// that; they become runs on disk only. Entries kept in memory only stay.
//
// Under the Block policy it spills only during an outage: while Kafka
// takes entries, only slower than they come, Write waits for room as it
// does without a spool. Spilling then would not deliver anything sooner:
// writing the backlog out and reading it back costs the batcher's time,
// and delivery would slow down further; Block says the log calls may
// wait instead. Under the other policies, whose alternative is a drop,
// the disk takes the backlog whatever its cause.
func (b *batcher) spill() {
	q, bl := b.q, &b.durableState.bl
	if bl.spooled == 0 || !q.near() {
		return
	}
	if b.cfg.OverflowPolicy == Block && !b.outage() {
		return
	}
	all := bl.takeMem(b.durableState.spillBuf[:0], bl.mem.len())
	out := all[:0] // the spilled records, packed at the front of all
	i := 0
	for ; i < len(all); i++ {
		r := &all[i]
		if r.spoolID == 0 {
			bl.pushMem(r)
			continue
		}
		bl.spilled(r)
		out = append(out, *r)
		if len(out) == spillChunk {
			q.release(out)
			out = out[:0]
			if b.spillDone() {
				i++
				break
			}
		}
	}
	q.release(out)
	for ; i < len(all); i++ {
		bl.pushMem(&all[i])
	}
	clear(all)
	b.durableState.spillBuf = all[:0]
}

// outage reports whether Kafka is failing the batcher: no request has
// succeeded yet, or a partition or a topic's metadata is failing (in its
// backoff).
func (b *batcher) outage() bool {
	if !b.connected {
		return true
	}
	for _, p := range b.active {
		if p.attempt > 0 {
			return true
		}
	}
	for _, t := range b.topics {
		if t.attempt > 0 && len(t.waiting) > 0 {
			return true
		}
	}
	return false
}

// spillDone reports whether memory is down to half the point where spill
// starts.
func (b *batcher) spillDone() bool {
	q := b.q
	return q.held() < q.nearEntries/2 && int(q.heldBytes.Load()) < q.nearBytes/2
}

// routeBacklog routes up to limit entries from the front of the backlog:
// only whole batches unless all, reading the runs on disk as it reaches
// them.
func (b *batcher) routeBacklog(limit int, all bool) {
	d := &b.durableState
	bl := &d.bl
	n := bl.len()
	if !all {
		n -= n % b.cfg.BatchSizeLimit
	}
	n = min(n, limit)
	if n <= 0 {
		return
	}
	b.q.eager.Store(false)
	formats := b.cfg.formats()
	for n > 0 && !b.halted {
		// With callbacks that make values, a batch at a time while there
		// is room for them (formatmem.go): the rest waits in the backlog.
		piece := n
		if formats {
			if !b.formatRoom() {
				return
			}
			piece = min(n, b.cfg.BatchSizeLimit)
		}
		if run := bl.frontRun(); run != nil {
			if b.now.Before(d.readRetry) {
				return
			}
			var k int
			var ok bool
			b.taken, k, ok = b.readRun(run, min(piece, run.n, spoolPollEvery), b.taken[:0])
			n -= k
			b.routeAll(b.taken)
			clear(b.taken)
			if !ok {
				return // a read error: try again later
			}
			b.spoolPoll()
			continue
		}
		k := min(piece, bl.memBefore(), spoolPollEvery)
		bl.eachMem(k, b.routeAll)
		n -= k
		b.spoolPoll()
	}
}

// spoolPollEvery is how many backlog entries routeBacklog routes (reading
// them back from disk if need be) between two looks at the spool writer:
// few enough that a chunk takes well under SpoolInterval even slowed down
// tenfold or more (the race detector, a starved CPU); a look costs two
// channel polls.
const spoolPollEvery = 64

// spoolPoll keeps the spool writer fed while the batcher is busy routing
// a long backlog (a replay, a run spilled during an outage), which on a
// loaded machine can take many SpoolIntervals: it takes back a batch the
// writer has finished and, if the spool timer has fired meanwhile, hands
// it the entries queued since. Without it the entries accepted meanwhile
// would wait in memory, where a kill -9 loses them, until the routing is
// done.
func (b *batcher) spoolPoll() {
	d := &b.durableState
	if d.writing {
		select {
		case wb := <-d.writeRes:
			b.written(wb)
		default:
		}
	}
	if d.spoolArmed {
		select {
		case <-d.spoolTimer.C:
			d.spoolArmed, d.spoolTick = false, true
		default:
		}
	}
	if d.spoolTick && !d.writing {
		d.spoolTick = false
		b.checkpoint(b.q.seq.Load()) // the time the entries are stamped with
		b.spoolQueued()
	}
	b.armSpool()
}

// readRun reads up to want records of the first run back from disk,
// appends them to dst and returns it with how many of the run's records it
// consumed (those lost to damage included: they are dropped, counted as
// Dropped.Corrupt). It removes the run once read to its end. ok is false
// after a read error (reported; reading resumes after spoolRetry).
func (b *batcher) readRun(run *diskRun, want int, dst []record) (_ []record, consumed int, ok bool) {
	d := &b.durableState
	bl := &d.bl
	if run.rd == nil {
		run.rd = d.spool.reader(run.next, run.end)
	}
	run.rd.end = run.end // a spilled run may have grown since
	d.touched = true
	lose := func(k uint64) {
		b.q.dropLost(run.seq, k, errLostRecords)
		run.seq += k
		run.n -= int(k)
		bl.onDisk -= int(k)
		consumed += int(k)
	}
	defer func() {
		if run.n == 0 {
			bl.popRun()
		}
	}()
	for consumed < want && run.n > 0 {
		id, more, err := run.rd.read(&d.srec)
		if err != nil {
			b.c.spoolErrors.Add(1)
			b.reportSpool(opRead, err)
			d.readRetry = time.Now().Add(spoolRetry)
			return dst, consumed, false
		}
		if !more {
			// The reader found no more of the run's records: damage it
			// counted as such, or files removed under it.
			lose(uint64(run.n))
			break
		}
		if !run.replay && id > run.next {
			lose(min(id-run.next, uint64(run.n)))
		}
		r, good := b.readBack(&d.srec, id, run.seq)
		run.next = id + 1
		if !good {
			lose(1)
			continue
		}
		dst = append(dst, r)
		run.seq++
		run.n--
		bl.onDisk--
		consumed++
	}
	return dst, consumed, true
}

// errLostRecords is the cause of the drops of entries the spool could not
// read back.
var errLostRecords = errors.New("kafkasink: SpoolDir: records lost to damaged or missing files")

// readBack copies a record read from the spool into the batcher's memory
// for read-back records, laid out as Write lays out an entry (see
// record.fill). It returns false if the record does not decode.
func (b *batcher) readBack(sr *spoolRecord, id, seq uint64) (record, bool) {
	nh, ok := countHeaders(sr.headers)
	if !ok {
		return record{}, false
	}
	need := len(sr.loggerName) + len(sr.message) + len(sr.data) + len(sr.key) + len(sr.headers)
	d := &b.durableState
	a := b.q.arena
	if d.rbChunk == nil || d.rbChunk.room() < need {
		if d.rbChunk != nil {
			a.release(d.rbChunk.id, 1)
		}
		d.rbChunk = a.get(need, false)
	}
	c := d.rbChunk
	c.refs.Add(1)
	r := record{
		seq:      seq,
		time:     sr.time,
		level:    sr.level,
		src:      c.id,
		off:      uint32(c.used),
		nameLen:  uint32(len(sr.loggerName)),
		msgLen:   uint32(len(sr.message)),
		dataLen:  uint32(len(sr.data)),
		keyLen:   -1,
		spoolID:  id,
		fromDisk: true,
		ext:      noChunk,
	}
	c.used += copy(c.mem[c.used:], sr.loggerName)
	c.used += copy(c.mem[c.used:], sr.message)
	c.used += copy(c.mem[c.used:], sr.data)
	if sr.key != nil {
		r.keyLen = int32(len(sr.key))
		c.used += copy(c.mem[c.used:], sr.key)
	}
	if nh > 0 {
		r.hdrLen = uint32(len(sr.headers))
		r.nhdrs = uint32(nh)
		c.used += copy(c.mem[c.used:], sr.headers)
	}
	return r, true
}

// countHeaders counts the headers appendHeaders encoded in h, checking
// that they decode: for each, a key (its varint length, then its bytes)
// and a value (its length, -1 for null, then its bytes).
func countHeaders(h []byte) (int, bool) {
	n := 0
	for len(h) > 0 {
		for field := 0; field < 2; field++ {
			l, k := binary.Varint(h)
			if k <= 0 || l > int64(len(h)-k) || l < -1 || (l == -1 && field == 0) {
				return 0, false
			}
			h = h[k+int(max(l, 0)):]
		}
		n++
	}
	return n, n <= math.MaxInt32 // Kafka's header count is an int32 varint
}

// expireBacklog drops the backlog's entries with seq ≤ limit (accepted
// more than RetryTimeLimit ago), reading those on disk back for the
// Fallback, at most maxExpireRead of them per call.
func (b *batcher) expireBacklog(limit uint64) {
	d := &b.durableState
	bl := &d.bl
	read := 0
	for bl.len() > 0 {
		if run := bl.frontRun(); run != nil {
			if run.seq > limit || read >= maxExpireRead || b.now.Before(d.readRetry) {
				return
			}
			want := int(min(uint64(run.n), limit-run.seq+1, uint64(maxExpireRead-read)))
			var k int
			var ok bool
			b.expired, k, ok = b.readRun(run, want, b.expired[:0])
			read += k
			b.drop(ReasonRetriesExhausted, nil, b.expired...)
			clear(b.expired)
			if !ok {
				return
			}
			continue
		}
		k := min(bl.memBefore(), bl.memBelow(limit+1))
		if k == 0 {
			return
		}
		b.expired = bl.takeMem(b.expired[:0], k)
		b.drop(ReasonRetriesExhausted, nil, b.expired...)
		clear(b.expired)
	}
}

// flushAcks acknowledges in the spool, in one call, the records finalized
// since the last call. The writer goroutine calls it (w is its state):
// after each batch it writes, and when the batcher wakes it for them
// (ackWake), so that neither the batcher nor Write waits for the spool's
// lock.
func (b *batcher) flushAcks(w *writerState) {
	ids := b.q.takeAcks(w.ackSpare)
	if len(ids) > 0 {
		if err := b.durableState.spool.ack(ids); err != nil && !errors.Is(err, errSpoolClosed) {
			b.c.spoolErrors.Add(1)
			if now := time.Now(); w.lastReport.IsZero() || now.Sub(w.lastReport) >= spoolReportEvery {
				w.lastReport = now
				b.rep.report(&SpoolError{Op: "ack", Err: err})
			}
		}
	}
	w.ackSpare = ids[:0]
}

// writerState is the writer goroutine's own.
type writerState struct {
	ackSpare   []uint64
	lastReport time.Time // the last ack failure reported
}

// publishSpool copies the spool's figures into the counters Stats reads,
// so that Stats never waits for the spool's lock. The writer goroutine
// calls it after its writes and acks, the batcher after its reads.
func (b *batcher) publishSpool() {
	d := &b.durableState
	st := d.spool.stats()
	c := b.c
	c.spoolBytes.Store(st.bytes)
	c.spoolRecords.Store(st.records)
	c.spoolSegments.Store(int64(st.segments))
	c.spoolAppended.Store(st.appended)
	c.spoolReadBack.Store(st.readBack)
}

// durableRound is the batcher's spool work at the end of each round: the
// writer woken for the acknowledgements, the spool timer, the published
// figures.
func (b *batcher) durableRound() {
	d := &b.durableState
	if b.q.hasAcks.Load() {
		select {
		case d.ackWake <- struct{}{}:
		default: // already woken
		}
	}
	b.armSpool()
	if d.touched {
		d.touched = false
		b.publishSpool()
	}
}

// syncLoop is the spool's sync goroutine (SpoolSync): it fsyncs what was
// written and acknowledged since the last time, every syncPeriod, off the
// batcher's goroutine, until stopSync.
func (b *batcher) syncLoop() {
	d := &b.durableState
	defer close(d.syncDone)
	t := time.NewTicker(d.syncPeriod)
	defer t.Stop()
	var last time.Time // the last report
	for {
		select {
		case <-t.C:
			err := d.spool.sync()
			if err == nil || errors.Is(err, errSpoolClosed) {
				continue
			}
			b.c.spoolErrors.Add(1)
			if now := time.Now(); last.IsZero() || now.Sub(last) >= spoolReportEvery {
				last = now
				b.rep.report(&SpoolError{Op: "sync", Err: err})
			}
		case <-d.syncStop:
			return
		}
	}
}

// stopSync stops the sync goroutine and waits for it.
func (b *batcher) stopSync() {
	d := &b.durableState
	close(d.syncStop)
	<-d.syncDone
}

// leave gives back the memory of spooled records Close leaves on disk for
// the next sink (not acknowledged, not dropped), and drops the others
// (memory only), for reason Closed. It returns how many it left.
func (b *batcher) leave(t *topicState, recs []record) int {
	kept := recs[:0]
	var left []record
	for _, r := range recs {
		if r.spoolID != 0 {
			left = append(left, r)
		} else {
			kept = append(kept, r)
		}
	}
	b.q.release(left)
	b.aborted += len(kept)
	if t != nil {
		b.dropIn(t, ReasonClosed, b.lastErr, kept...)
	} else {
		b.drop(ReasonClosed, b.lastErr, kept...)
	}
	return len(left)
}

// abortDurable is abortAll in durable mode: what is spooled stays in the
// spool for the next sink; only what is in memory only is dropped.
func (b *batcher) abortDurable() {
	d := &b.durableState
	b.spoolNow() // the last entries, if the batcher had not written them
	left := b.leave(nil, append(b.strays, b.q.takeAll(nil)...))
	b.strays = nil
	for _, t := range b.topics {
		// Records of a request still running stay in the spool (its
		// outcome is unknown: the next sink may send them again).
		left += b.leave(t, t.takeHeld())
	}
	mem := d.bl.takeMem(nil, d.bl.mem.len())
	left += b.leave(nil, mem)
	left += d.bl.onDisk
	d.bl.closeReaders()
	d.bl = backlog{}
	d.left = left
	b.releaseReadBack() // the writer acknowledges the drops as it stops
}

// releaseReadBack gives back the batcher's chunk for read-back records.
func (b *batcher) releaseReadBack() {
	if d := &b.durableState; d.rbChunk != nil {
		b.q.arena.release(d.rbChunk.id, 1)
		d.rbChunk = nil
	}
}

// unsafeString returns the bytes of p as a string without copying: only
// for a string that does not outlive p's contents (the spool's append
// copies what it is given).
func unsafeString(p []byte) string {
	if len(p) == 0 {
		return ""
	}
	return unsafe.String(unsafe.SliceData(p), len(p))
}

// spoolConfigError turns openSpool's error into the ConfigError New
// returns, naming SpoolDir.
func spoolConfigError(err error) error {
	var se *spoolError
	if errors.As(err, &se) {
		return &ConfigError{Field: "SpoolDir", Reason: fmt.Sprintf("%q: %s: %v", se.dir, se.op, se.err), Err: se.err}
	}
	return &ConfigError{Field: "SpoolDir", Reason: err.Error(), Err: err}
}
