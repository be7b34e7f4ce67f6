package core

import (
	"fmt"
	"slices"
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
	invalid  error // the name is not a valid topic name
}

// partition is one topic partition: its records waiting to be sent, in
// order, and its request in flight, if any.
type partition struct {
	t       *topicState
	id      int32
	pending recQueue // records waiting to be sent, in order; a request in flight reads the first ones
	active  bool     // in batcher.active
	retryAt time.Time
	attempt int // consecutive failed attempts
	maxRecs int // cap on records per request after a too-large error; 0 for none
}

// routeAll routes recs, starting a new batch every BatchSizeLimit records.
// Once Close gives up on delivery, it leaves the rest to abortAll.
func (b *batcher) routeAll(recs []record) {
	for i := range recs {
		if i%64 == 0 && !b.halted && b.aborting() {
			b.halted = true
		}
		if b.halted {
			b.strays = append(b.strays, recs[i:]...)
			return
		}
		b.route(&recs[i])
		if b.routed++; b.routed%b.cfg.BatchSizeLimit == 0 {
			b.nextBatch()
		}
	}
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
	// A panicking callback costs its entry, not the process: this
	// goroutine is not the caller's.
	defer func() {
		if v := recover(); v != nil {
			name := callback(b.inCall.Load())
			b.calling(noCallback)
			b.drop(ReasonNotRetriable, &FormatError{Callback: name.String(), Err: fmt.Errorf("panic: %v", v)}, *r)
		}
	}()
	e := r.entry()
	t := b.topicFor(e)
	if t.invalid != nil {
		b.drop(ReasonNotRetriable, &ProduceError{Topic: t.name, Partition: -1, Records: 1, Err: t.invalid}, *r)
		return
	}
	if !b.decide(r, e) {
		return
	}
	if t.parts == nil || b.now.Sub(t.fetched) > metadataMaxAge {
		b.fetchMetadata(t)
	}
	if t.parts == nil {
		t.waiting = append(t.waiting, *r)
		return
	}
	b.assign(t, *r)
}

// topicFor returns the state of e's topic, as the TopicDecider chooses it.
func (b *batcher) topicFor(e Entry) *topicState {
	name := b.cfg.Topic
	if d := b.cfg.TopicDecider; d != nil {
		b.calling(callTopicDecider)
		if n := d(e); n != "" {
			name = n
		}
		b.calling(noCallback)
	}
	t := b.topics[name]
	if t == nil {
		t = &topicState{name: strings.Clone(name)}
		if err := checkTopicName(name); err != nil {
			t.invalid = err
		}
		b.topics[t.name] = t
	}
	return t
}

// decide sets r's key, headers and value, calling the KeyDecider,
// HeaderDecider and Formatter. It drops r and returns false if the
// Formatter fails or makes it too large.
func (b *batcher) decide(r *record, e Entry) bool {
	cfg := b.cfg
	r.value = r.data
	key := e.Key
	if cfg.KeyDecider != nil {
		b.calling(callKeyDecider)
		key = cfg.KeyDecider(e)
		b.calling(noCallback)
	}
	if cfg.Formatter != nil {
		b.calling(callFormatter)
		v, err := cfg.Formatter.Format(b.fmtBuf[:0], e)
		b.calling(noCallback)
		b.fmtBuf = v[:0]
		if err != nil {
			b.drop(ReasonNotRetriable, &FormatError{Callback: "Formatter", Err: err}, *r)
			return false
		}
		if len(v) > cfg.MaxEntryBytes {
			b.drop(ReasonTooLarge, nil, *r)
			return false
		}
		r.value = b.keep(r, v, len(v)+len(key))
	}
	if key != nil {
		r.key = b.keep(r, key, len(key))
	}
	r.headers = cfg.Headers
	var extra []Header
	if cfg.HeaderDecider != nil {
		b.calling(callHeaderDecider)
		extra = cfg.HeaderDecider(e)
		b.calling(noCallback)
	}
	if len(e.Headers) > 0 || len(extra) > 0 {
		// e.Headers' values are in r's chunk, which lives as long as r.
		all := make([]Header, 0, len(cfg.Headers)+len(e.Headers)+len(extra))
		all = append(all, cfg.Headers...)
		all = append(all, e.Headers...)
		for _, h := range extra {
			all = append(all, Header{Key: h.Key, Value: slices.Clone(h.Value)})
		}
		r.headers = all
	}
	return true
}

// keep copies p into batcher-owned memory that lives as long as r; need is
// the room to reserve so that r's value and key share one chunk.
func (b *batcher) keep(r *record, p []byte, need int) []byte {
	if r.ext == nil {
		if b.ext == nil || cap(b.ext.buf)-len(b.ext.buf) < need {
			if b.ext != nil {
				b.ext.release()
			}
			b.ext = b.q.arena.get(need)
		}
		r.ext = b.ext
		r.ext.refs.Add(1)
	}
	off := len(r.ext.buf)
	r.ext.buf = append(r.ext.buf, p...)
	return r.ext.buf[off:len(r.ext.buf):len(r.ext.buf)]
}

// assign queues r on its partition: by key hash, or the sticky partition.
func (b *batcher) assign(t *topicState, r record) {
	var p *partition
	if r.key != nil {
		p = t.parts[int(murmur2(r.key)&0x7fffffff)%len(t.parts)]
	} else {
		p = t.parts[t.sticky]
	}
	b.enqueue(p, r)
}

func (b *batcher) enqueue(p *partition, recs ...record) {
	p.pending.push(recs...)
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
		if t.parts[j].attempt == 0 {
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
