package core

import (
	"fmt"
	"strings"
	"time"
)

// topicState is what the batcher knows of one topic.
type topicState struct {
	name     string
	parts    []*partition // nil until metadata is known
	waiting  []record     // records waiting for metadata
	fetching bool         // a metadata request is in flight
	retryAt  time.Time    // next metadata attempt after a failure
	attempt  int
	sticky   int // partition for records without a key
	fetched  time.Time
	stats    *topicCounters
}

// partition is one topic partition: its records waiting to be sent, in
// order, and its request in flight, if any.
type partition struct {
	t       *topicState
	id      int32
	pending recQueue // records waiting to be sent, in order; a request in flight reads the first ones
	active  bool     // in batcher.active
	retryAt time.Time
	attempt int    // consecutive failed attempts
	maxRecs int    // cap on records per request after a too-large error; 0 for none
	sent    uint64 // the highest seq it has sent (in flight or delivered); 0 for none
}

// routeAll routes recs, starting a new batch every BatchSizeLimit records.
// Once Close gives up on delivery, it leaves the rest to abortAll: it
// looks before every record whose routing runs user callbacks, which may
// take any time, and every 64 records otherwise.
func (b *batcher) routeAll(recs []record) { b.routeSome(recs, false) }

// routeFitting is routeAll, except that it stops before an entry it has
// no room to format (see formatRoom). It returns how many of recs it took
// (routed, dropped, or left to abortAll).
func (b *batcher) routeFitting(recs []record) int { return b.routeSome(recs, b.cfg.formats()) }

func (b *batcher) routeSome(recs []record, fitting bool) int {
	for i := range recs {
		if (!b.plain || i%64 == 0) && !b.halted && b.aborting() {
			b.halted = true
		}
		if b.halted {
			b.strays = append(b.strays, recs[i:]...)
			return len(recs)
		}
		if fitting && !b.formatRoom() {
			return i
		}
		b.route(&recs[i])
		if b.routed++; b.routed%b.cfg.BatchSizeLimit == 0 {
			b.nextBatch()
		}
	}
	return len(recs)
}

// nextBatch sends the next batch of unkeyed records of every topic to the
// next partition.
func (b *batcher) nextBatch() {
	for _, t := range b.topics {
		if t.parts != nil && t.parts[t.sticky].pending.len() > 0 {
			b.advanceSticky(t)
		}
	}
}

// route decides the record's topic, key, headers and value, and queues it
// on its partition, or on its topic until the topic's metadata is known.
func (b *batcher) route(r *record) {
	if r.time == 0 {
		// The logger gave no time: the nearest the sink knows without a
		// clock read per Write is now, when it takes the entry.
		r.time, r.stamped = b.now.UnixNano(), true
	}
	var t *topicState
	if b.plain {
		// No callbacks: the JSON, the entry's key and headers, Config.Topic.
		r.val, r.key, r.hdrs = r.dataSpan(), r.keySpan(), r.hdrSpan()
		t = b.defaultTopic()
	} else if t = b.decide(r); t == nil {
		return // dropped
	}
	if t.parts == nil || b.now.Sub(t.fetched) > metadataMaxAge {
		b.fetchMetadata(t)
	}
	if t.parts == nil {
		t.waiting = append(t.waiting, *r)
		return
	}
	b.assign(t, r)
}

// defaultTopic returns the state of Config.Topic.
func (b *batcher) defaultTopic() *topicState {
	if b.dflt == nil {
		b.dflt = b.topic(b.cfg.Topic)
	}
	return b.dflt
}

// topic returns the state of the topic named name, making it if new.
func (b *batcher) topic(name string) *topicState {
	t := b.topics[name]
	if t == nil {
		t = &topicState{name: strings.Clone(name)}
		t.stats = b.c.topics.add(t.name)
		b.topics[t.name] = t
	}
	return t
}

// decide runs the callbacks for r: the TopicDecider, KeyDecider, Formatter
// and HeaderDecider, and sets r's key, headers and value. It returns r's
// topic, or nil if it dropped r: the Formatter failed or made it too
// large, the topic is invalid, or a callback panicked.
func (b *batcher) decide(r *record) (t *topicState) {
	defer b.dropPanicked(r, &t)
	cfg := b.cfg
	e := b.entry(r)
	name := cfg.Topic
	if d := cfg.TopicDecider; d != nil {
		b.calling(callTopicDecider)
		if n := d(e); n != "" {
			name = n
		}
		b.calling(noCallback)
	}
	if name == cfg.Topic {
		t = b.defaultTopic()
	} else if t = b.topics[name]; t == nil {
		// A name Kafka refuses gets no state: names made from log content
		// would each keep some (and a line of Stats.Topics) for good.
		if err := checkTopicName(name); err != nil {
			b.drop(ReasonNotRetriable, &ProduceError{Topic: strings.Clone(name), Partition: -1, Records: 1, Err: err}, *r)
			return nil
		}
		t = b.topic(name)
	}

	var key []byte // the KeyDecider's, copied
	if cfg.KeyDecider != nil {
		b.calling(callKeyDecider)
		key = cfg.KeyDecider(e)
		b.calling(noCallback)
	}
	var value []byte // the Formatter's, copied
	if cfg.Formatter != nil {
		b.calling(callFormatter)
		v, err := cfg.Formatter.Format(b.fmtBuf[:0], e)
		b.calling(noCallback)
		b.fmtBuf = v[:0]
		if err != nil {
			b.dropIn(t, ReasonNotRetriable, &FormatError{Callback: "Formatter", Err: err}, *r)
			return nil
		}
		if len(v) > cfg.MaxEntryBytes {
			b.dropIn(t, ReasonTooLarge, nil, *r)
			return nil
		}
		value = v
	}
	var hdrs []byte // the entry's and the HeaderDecider's, encoded
	nh := int(r.nhdrs)
	if cfg.HeaderDecider != nil {
		b.calling(callHeaderDecider)
		extra := cfg.HeaderDecider(e)
		b.calling(noCallback)
		if len(extra) > 0 {
			hdrs = append(b.hdrBuf[:0], b.q.arena.bytes(r.hdrSpan())...)
			hdrs = appendHeaders(hdrs, extra)
			b.hdrBuf = hdrs
			nh += len(extra)
		}
	}
	if decidedSize(r, value, key, cfg.KeyDecider != nil, hdrs) > cfg.MaxEntryBytes {
		b.dropIn(t, ReasonTooLarge, nil, *r)
		return nil
	}
	b.keep(r, value, key, cfg.KeyDecider != nil, hdrs, nh)
	return t
}

// dropPanicked, deferred by decide, drops r if a callback panicked, and
// makes decide return nil (*t): a panicking callback costs its entry, not
// the process, since this goroutine is not the caller's. Past the
// TopicDecider, *t is r's topic, whose Dropped counts it too.
func (b *batcher) dropPanicked(r *record, t **topicState) {
	v := recover()
	if v == nil {
		return
	}
	name := callback(b.inCall.Load())
	b.calling(noCallback)
	err := &FormatError{Callback: name.String(), Err: fmt.Errorf("panic: %v", v)}
	if *t != nil {
		b.dropIn(*t, ReasonNotRetriable, err, *r)
	} else {
		b.drop(ReasonNotRetriable, err, *r)
	}
	*t = nil
}

// decidedSize is r's size as Write counts an entry's (value, key and
// headers), with what the callbacks made: value and hdrs unless nil, and
// key if a KeyDecider decided it.
func decidedSize(r *record, value, key []byte, keyDecided bool, hdrs []byte) int {
	size := int(r.dataLen) + max(0, int(r.keyLen)) + int(r.hdrLen)
	if value != nil {
		size += len(value) - int(r.dataLen)
	}
	if keyDecided {
		size += len(key) - max(0, int(r.keyLen))
	}
	if hdrs != nil {
		size += len(hdrs) - int(r.hdrLen)
	}
	return size
}

// entry returns the Entry of r for the callbacks. Its JSON and Key alias
// the sink's memory; its names are interned strings.
func (b *batcher) entry(r *record) Entry {
	a := b.q.arena
	e := Entry{
		Time:       r.entryTime(),
		Level:      r.level,
		LoggerName: b.names.intern(a.bytes(r.nameSpan())),
		Message:    b.names.intern(a.bytes(r.msgSpan())),
		JSON:       a.bytes(r.dataSpan()),
		Key:        a.bytes(r.keySpan()),
	}
	if r.nhdrs > 0 {
		e.Headers = decodeHeaders(a.bytes(r.hdrSpan()), nil)
	}
	return e
}

// keep sets r's value, key and headers: the entry's own bytes, but for
// those the callbacks made (value, the key if decided, hdrs; nil for
// none), which it copies into a chunk of the batcher's (ext), counted in
// QueueByteLimit (formatmem.go), that lives as long as r: the shared one,
// or for more than a quarter of a chunk, one of r's own.
func (b *batcher) keep(r *record, value, key []byte, decided bool, hdrs []byte, nh int) {
	r.val, r.key, r.hdrs, r.nhdrs = r.dataSpan(), r.keySpan(), r.hdrSpan(), uint32(nh)
	if decided && key == nil {
		r.key = nullSpan
	}
	need := len(value) + len(key) + len(hdrs)
	if need == 0 {
		if decided && key != nil {
			r.key = emptySpan
		}
		if value != nil {
			r.val = emptySpan
		}
		return
	}
	a := b.q.arena
	var c *chunk
	if need > a.size/4 {
		c = b.extChunk(need) // its one reference is r's
	} else {
		if b.ext == nil || b.ext.room() < need {
			if b.ext != nil {
				a.release(b.ext.id, 1)
			}
			b.ext = b.extChunk(need)
		}
		c = b.ext
		c.refs.Add(1)
	}
	r.ext = c.id
	if value != nil {
		r.val = span{c.id, c.add(value), int32(len(value))}
	}
	if decided && key != nil {
		r.key = span{c.id, c.add(key), int32(len(key))}
	}
	if hdrs != nil {
		r.hdrs = span{c.id, c.add(hdrs), int32(len(hdrs))}
	}
}

// assign queues r on its partition: by key hash, or the sticky partition.
func (b *batcher) assign(t *topicState, r *record) {
	var p *partition
	if r.key.n >= 0 {
		p = t.parts[int(murmur2(b.q.arena.bytes(r.key))&0x7fffffff)%len(t.parts)]
	} else {
		p = t.parts[t.sticky]
	}
	p.pending.push(*r)
	b.activate(p)
}

func (b *batcher) enqueue(p *partition, recs ...record) {
	p.pending.push(recs...)
	b.activate(p)
}

// activate puts p among the partitions dispatch looks at.
func (b *batcher) activate(p *partition) {
	if !p.active {
		p.active = true
		b.active = append(b.active, p)
	}
}

// advanceSticky moves t's sticky partition to the next one that is not
// failing, if there is one.
func (b *batcher) advanceSticky(t *topicState) {
	n := len(t.parts)
	for i := 1; i <= n; i++ {
		j := (t.sticky + i) % n
		if t.parts[j].takesUnkeyed(b.now) {
			t.sticky = j
			return
		}
	}
	t.sticky = (t.sticky + 1) % n
}

// FormatError reports that Config.Formatter failed for an entry, or that a
// TopicDecider, KeyDecider, HeaderDecider or Formatter panicked; Callback
// names which. The entry is dropped alone, counted as Dropped.NotRetriable.
type FormatError struct {
	Callback string // "Formatter", "TopicDecider", "KeyDecider" or "HeaderDecider"
	Err      error
}

// Error names the callback and gives its error.
func (e *FormatError) Error() string {
	name := e.Callback
	if name == "" {
		name = "Formatter"
	}
	return "kafkasink: " + name + ": " + e.Err.Error()
}

// Unwrap returns Err, the callback's error or its recovered panic.
func (e *FormatError) Unwrap() error { return e.Err }

// takesUnkeyed reports whether the sticky partitioner may give p the next
// batch of records without a key: p has not failed; or it failed, its
// backoff is over and nothing waits on it (its records moved to other
// partitions), so nothing else will ever try it again: the batch does,
// and if it fails too, p's next backoff is longer and the records move on.
func (p *partition) takesUnkeyed(now time.Time) bool {
	return p.attempt == 0 || p.pending.len() == 0 && !now.Before(p.retryAt)
}
