package core

import "time"

// record is one entry held by the sink, from Write until it is delivered
// or dropped: in the queue, then in the batcher's partitions and requests
// (and, in durable mode, in the batcher's backlog and the spool). It holds
// no pointers: its bytes are in chunks, named by id (see chunk).
//
// The entry's bytes lie back to back in chunk src from off: the logger's
// name, the message, the JSON, the key and the encoded headers.
type record struct {
	seq  uint64 // acceptance order: the seq-th entry accepted
	time int64  // Entry.Time in Unix nanoseconds; 0 if unknown

	src             uint32
	off             uint32
	nameLen, msgLen uint32
	dataLen         uint32
	keyLen          int32 // -1: the entry carries no key
	hdrLen          uint32
	nhdrs           uint32 // headers in hdrs: Kafka's count is a varint, and a uint16 would wrap at 65536
	level           Level
	stamped         bool // the entry had no time: time is when the batcher took it

	// Set by the batcher. (fromDisk and ext fill the room after level and
	// stamped, so that a record stays 104 bytes: TestRecordSize.)

	// fromDisk: read back from the spool. Its bytes are in a chunk of the
	// batcher's, and its queue memory was given back when it was spilled
	// (or it was replayed): finalizing it releases no queue memory.
	fromDisk bool
	ext      uint32 // chunk of the formatted value, decided key and headers; noChunk if none
	spoolID  uint64 // its record id in the spool; 0: not on disk (memory only)
	val      span   // the record value
	key      span   // the record key; n is -1 for none
	hdrs     span   // headers besides Config.Headers, encoded: the entry's, then HeaderDecider's
}

// entrySize is the room an entry takes in a chunk.
func entrySize(e *Entry, data []byte) int {
	n := len(e.LoggerName) + len(e.Message) + len(data) + len(e.Key)
	if len(e.Headers) > 0 {
		n += headersLen(e.Headers)
	}
	return n
}

// fill copies e into c and sets every field of r: the slot may hold an
// older record.
func (r *record) fill(seq uint64, c *chunk, e *Entry, data []byte) {
	*r = record{
		seq:     seq,
		time:    unixNano(e.Time),
		level:   e.Level,
		src:     c.id,
		off:     uint32(c.used),
		nameLen: uint32(len(e.LoggerName)),
		msgLen:  uint32(len(e.Message)),
		dataLen: uint32(len(data)),
		keyLen:  -1,
		ext:     noChunk,
	}
	c.used += copy(c.mem[c.used:], e.LoggerName)
	c.used += copy(c.mem[c.used:], e.Message)
	c.used += copy(c.mem[c.used:], data)
	if e.Key != nil {
		r.keyLen = int32(len(e.Key))
		c.used += copy(c.mem[c.used:], e.Key)
	}
	if len(e.Headers) > 0 {
		start := c.used
		c.used += len(appendHeaders(c.mem[start:start], e.Headers))
		r.hdrLen = uint32(c.used - start)
		r.nhdrs = uint32(len(e.Headers))
	}
}

// size is the bytes of the entry in its chunk.
func (r *record) size() int {
	n := int(r.nameLen+r.msgLen+r.dataLen+r.hdrLen) + max(0, int(r.keyLen))
	return n
}

func (r *record) nameSpan() span { return span{r.src, r.off, int32(r.nameLen)} }
func (r *record) msgSpan() span  { return span{r.src, r.off + r.nameLen, int32(r.msgLen)} }
func (r *record) dataSpan() span { return span{r.src, r.off + r.nameLen + r.msgLen, int32(r.dataLen)} }

// keySpan is the entry's own key.
func (r *record) keySpan() span {
	if r.keyLen < 0 {
		return nullSpan
	}
	return span{r.src, r.off + r.nameLen + r.msgLen + r.dataLen, r.keyLen}
}

// hdrSpan is the entry's own headers, encoded.
func (r *record) hdrSpan() span {
	return span{r.src, r.off + r.nameLen + r.msgLen + r.dataLen + uint32(max(0, r.keyLen)), int32(r.hdrLen)}
}

func (r *record) entryTime() time.Time {
	if r.time == 0 || r.stamped {
		return time.Time{}
	}
	return time.Unix(0, r.time)
}

// interner hands out strings for the logger names and messages of
// entries, which repeat: the callbacks get a string without an allocation
// per entry. It holds at most maxInterned strings; past that, a new one is
// allocated each time.
type interner struct{ m map[string]string }

const maxInterned = 4096

func (in *interner) intern(b []byte) string {
	if len(b) == 0 {
		return ""
	}
	if s, ok := in.m[string(b)]; ok {
		return s
	}
	s := string(b)
	if len(in.m) < maxInterned && len(b) <= 256 {
		in.m[s] = s
	}
	return s
}
