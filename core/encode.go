package core

import (
	"bytes"
	"encoding/binary"
	"hash/crc32"
	"sync"
	"time"

	"github.com/segmentio/kafka-go/compress"
)

// The sink encodes its record batches itself (Kafka's v2 batch format) and
// hands kafka-go the bytes (Client.RawProduce): one pass over the records
// with varints appended to a pooled buffer, where kafka-go's encoder reads
// each record through interfaces and io.Copy.

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// batchBufs recycles encoding buffers of up to maxPooledBatch bytes: a few
// from a free list the GC leaves alone, the rest through a sync.Pool.
var (
	batchBufFree = make(chan *[]byte, 8)
	batchBufs    = sync.Pool{New: func() any { return new([]byte) }}
)

func getBuf() *[]byte {
	select {
	case b := <-batchBufFree:
		return b
	default:
		return batchBufs.Get().(*[]byte)
	}
}

const maxPooledBatch = 4 << 20

// Offsets in a v2 record batch, after its int32 size prefix.
const (
	batchHeaderSize   = 61 // from baseOffset to the record count
	offBatchLength    = 8
	offCRC            = 17
	offAttributes     = 21
	offLastDelta      = 23
	offFirstTimestamp = 27
	offMaxTimestamp   = 35
	offRecordCount    = 57
)

// encodeBatch appends to dst the record set of recs as a produce request
// carries it: its int32 size, then one v2 record batch, its records
// compressed with codec if not nil. Their bytes are in a's chunks; every
// record also gets the nstatic headers encoded in static (Config.Headers)
// before its own. now stamps records whose entry has no time.
func encodeBatch(dst []byte, recs []record, a *arena, static []byte, nstatic int, codec compress.Codec, now time.Time) ([]byte, error) {
	start := len(dst)
	dst = binary.BigEndian.AppendUint32(dst, 0) // size, set below
	batch := len(dst)
	dst = append(dst, make([]byte, batchHeaderSize)...)

	nowMs := now.UnixMilli()
	first := timestampMs(&recs[0], nowMs)
	maxTs := first
	var body []byte
	if codec == nil {
		body = dst
	} else {
		bp := getBuf()
		defer func() { putBuf(bp, body) }()
		body = (*bp)[:0]
	}
	for i := range recs {
		r := &recs[i]
		ts := timestampMs(r, nowMs)
		maxTs = max(maxTs, ts)
		body = appendRecord(body, a, r, static, nstatic, ts-first, int64(i))
	}
	if codec == nil {
		dst = body
	} else {
		var out bytes.Buffer
		out.Grow(len(body) / 2)
		w := codec.NewWriter(&out)
		if _, err := w.Write(body); err != nil {
			return dst[:start], err
		}
		if err := w.Close(); err != nil {
			return dst[:start], err
		}
		dst = append(dst, out.Bytes()...)
	}

	h := dst[batch:]
	be := binary.BigEndian
	be.PutUint64(h[0:], 0)                              // base offset
	be.PutUint32(h[offBatchLength:], uint32(len(h)-12)) // bytes after this field
	be.PutUint32(h[12:], 0xffffffff)                    // partition leader epoch: -1
	h[16] = 2                                           // magic
	var attrs uint16
	if codec != nil {
		attrs = uint16(codec.Code()) & 7
	}
	be.PutUint16(h[offAttributes:], attrs)
	be.PutUint32(h[offLastDelta:], uint32(len(recs)-1))
	be.PutUint64(h[offFirstTimestamp:], uint64(first))
	be.PutUint64(h[offMaxTimestamp:], uint64(maxTs))
	be.PutUint64(h[43:], 0xffffffffffffffff) // producer id: -1
	be.PutUint16(h[51:], 0xffff)             // producer epoch: -1
	be.PutUint32(h[53:], 0xffffffff)         // base sequence: -1
	be.PutUint32(h[offRecordCount:], uint32(len(recs)))
	be.PutUint32(h[offCRC:], crc32.Checksum(h[offAttributes:], castagnoli))
	be.PutUint32(dst[start:], uint32(len(h)))
	return dst, nil
}

func timestampMs(r *record, nowMs int64) int64 {
	if r.time == 0 {
		return nowMs
	}
	return r.time / int64(time.Millisecond)
}

// appendRecord appends one record of a v2 batch: r's key and value, then
// the static headers and r's own.
func appendRecord(dst []byte, a *arena, r *record, static []byte, nstatic int, tsDelta, offDelta int64) []byte {
	key, value, hdrs := a.bytes(r.key), a.bytes(r.val), a.bytes(r.hdrs)
	nh := int64(nstatic + int(r.nhdrs))
	size := 1 + varintLen(tsDelta) + varintLen(offDelta) + bytesLen(key, key == nil) +
		bytesLen(value, false) + varintLen(nh) + len(static) + len(hdrs)
	dst = binary.AppendVarint(dst, int64(size))
	dst = append(dst, 0) // attributes
	dst = binary.AppendVarint(dst, tsDelta)
	dst = binary.AppendVarint(dst, offDelta)
	dst = appendBytes(dst, key, key == nil)
	dst = appendBytes(dst, value, false)
	dst = binary.AppendVarint(dst, nh)
	dst = append(dst, static...)
	return append(dst, hdrs...)
}

func appendBytes(dst, b []byte, null bool) []byte {
	if null {
		return binary.AppendVarint(dst, -1)
	}
	dst = binary.AppendVarint(dst, int64(len(b)))
	return append(dst, b...)
}

func bytesLen(b []byte, null bool) int {
	if null {
		return 1
	}
	return varintLen(int64(len(b))) + len(b)
}

// varintLen is the length of x as a zig-zag varint.
func varintLen(x int64) int {
	u := uint64(x<<1) ^ uint64(x>>63)
	n := 1
	for u >= 0x80 {
		u >>= 7
		n++
	}
	return n
}

// putBuf returns a buffer to the pool unless it grew too large.
func putBuf(bp *[]byte, b []byte) {
	if cap(b) <= maxPooledBatch {
		*bp = b[:0]
		select {
		case batchBufFree <- bp:
		default:
			batchBufs.Put(bp)
		}
	}
}
