package core

import (
	"bytes"
	"encoding/binary"
	"errors"
	"hash/crc32"
	"slices"
)

// The byte layout of segment files, record frames and entry bodies. The
// prose description is in spool.go; everything is little-endian.

var (
	segMagic   = [8]byte{'K', 'S', 'S', 'P', 'O', 'O', 'L', 0}
	frameMagic = [4]byte{'k', 's', 'r', 0xf1}
)

const (
	spoolVersion = 1

	segHeaderSize   = 32 // magic 8, version 2, flags 2, segment number 8, first id 8, CRC 4
	frameHeaderSize = 20 // magic 4, body length 4, id 8, CRC 4

	// maxSpoolBody bounds one record's body, so that a corrupt length
	// field cannot make a reader allocate gigabytes.
	maxSpoolBody = 256 << 20

	// Body flags.
	bodyHasKey     = 1
	bodyHasHeaders = 2
	bodyFixed      = 10 // time 8, level 1, flags 1
)

var errSpoolRecordTooLarge = errors.New("kafkasink: spool: record larger than 256 MiB")

// segHeader is the header at the start of every segment file.
type segHeader struct {
	version uint16
	flags   uint16
	seg     uint64 // the segment's number, as in its file name
	first   uint64 // the id of its first record
}

// segNewRun is a segment header flag: the segment's first id does not
// follow on from the previous segment's last (the ids jumped ahead of a
// segment that could not be read), so a gap before it is no loss.
const segNewRun = 1

func appendSegHeader(dst []byte, h segHeader) []byte {
	start := len(dst)
	dst = append(dst, segMagic[:]...)
	dst = binary.LittleEndian.AppendUint16(dst, h.version)
	dst = binary.LittleEndian.AppendUint16(dst, h.flags)
	dst = binary.LittleEndian.AppendUint64(dst, h.seg)
	dst = binary.LittleEndian.AppendUint64(dst, h.first)
	return binary.LittleEndian.AppendUint32(dst, crc32.Checksum(dst[start:], castagnoli))
}

// parseSegHeader decodes a segment header; ok is false if b is short, not
// a segment header or fails its checksum. A header of another version
// parses (ok) with that version: the caller decides.
func parseSegHeader(b []byte) (h segHeader, ok bool) {
	if len(b) < segHeaderSize || !bytes.Equal(b[:8], segMagic[:]) {
		return h, false
	}
	le := binary.LittleEndian
	if le.Uint32(b[28:]) != crc32.Checksum(b[:28], castagnoli) {
		return h, false
	}
	return segHeader{version: le.Uint16(b[8:]), flags: le.Uint16(b[10:]), seg: le.Uint64(b[12:]), first: le.Uint64(b[20:])}, true
}

// bodyLen is the length of r's encoded body.
func (r *spoolRecord) bodyLen() int {
	n := bodyFixed + uvarintLen(uint64(len(r.loggerName))) + len(r.loggerName) +
		uvarintLen(uint64(len(r.message))) + len(r.message) + len(r.data)
	if r.key != nil {
		n += uvarintLen(uint64(len(r.key))) + len(r.key)
	}
	if r.headers != nil {
		n += uvarintLen(uint64(len(r.headers))) + len(r.headers)
	}
	return n
}

// appendFrame appends r as one frame with the given id; bodyLen is
// r.bodyLen(), checked against maxSpoolBody.
func appendFrame(dst []byte, r *spoolRecord, id uint64, bodyLen int) []byte {
	le := binary.LittleEndian
	start := len(dst)
	dst = slices.Grow(dst, frameHeaderSize+bodyLen)
	dst = append(dst, frameMagic[:]...)
	dst = le.AppendUint32(dst, uint32(bodyLen))
	dst = le.AppendUint64(dst, id)
	dst = le.AppendUint32(dst, 0) // CRC, set below
	dst = le.AppendUint64(dst, uint64(r.time))
	var flags byte
	if r.key != nil {
		flags |= bodyHasKey
	}
	if r.headers != nil {
		flags |= bodyHasHeaders
	}
	dst = append(dst, byte(r.level), flags)
	dst = binary.AppendUvarint(dst, uint64(len(r.loggerName)))
	dst = append(dst, r.loggerName...)
	dst = binary.AppendUvarint(dst, uint64(len(r.message)))
	dst = append(dst, r.message...)
	if r.key != nil {
		dst = binary.AppendUvarint(dst, uint64(len(r.key)))
		dst = append(dst, r.key...)
	}
	if r.headers != nil {
		dst = binary.AppendUvarint(dst, uint64(len(r.headers)))
		dst = append(dst, r.headers...)
	}
	dst = append(dst, r.data...)
	f := dst[start:]
	crc := crc32.Update(crc32.Checksum(f[4:16], castagnoli), castagnoli, f[frameHeaderSize:])
	le.PutUint32(f[16:], crc)
	return dst
}

// frameCheck is what checkFrame finds at an offset.
type frameCheck int

const (
	frameOK    frameCheck = iota
	frameShort            // fewer bytes than the frame needs: a torn tail, if at the end of the file
	frameBad              // not a frame, or one that fails its checksum
)

// checkFrame checks the frame at the start of b, of which avail bytes
// exist in the file from there (b may hold fewer: then it returns
// frameShort with need, the bytes it needs in b to decide). It returns
// the frame's total length and id.
func checkFrame(b []byte, avail int64) (c frameCheck, size int, id uint64, need int) {
	if avail < frameHeaderSize {
		if avail > 0 && !bytes.HasPrefix(frameMagic[:], b[:min(len(b), 4)]) {
			return frameBad, 0, 0, 0
		}
		return frameShort, 0, 0, 0
	}
	if len(b) < frameHeaderSize {
		return frameShort, 0, 0, frameHeaderSize
	}
	if !bytes.Equal(b[:4], frameMagic[:]) {
		return frameBad, 0, 0, 0
	}
	le := binary.LittleEndian
	n := le.Uint32(b[4:])
	if n < bodyFixed || n > maxSpoolBody {
		return frameBad, 0, 0, 0
	}
	size = frameHeaderSize + int(n)
	if int64(size) > avail {
		return frameShort, size, 0, 0
	}
	if len(b) < size {
		return frameShort, size, 0, size
	}
	crc := crc32.Update(crc32.Checksum(b[4:16], castagnoli), castagnoli, b[frameHeaderSize:size])
	if crc != le.Uint32(b[16:]) {
		return frameBad, size, 0, 0
	}
	return frameOK, size, le.Uint64(b[8:]), 0
}

// decodeBody decodes a checked frame's body into r. The byte slices alias
// b; the strings are copied, through names and msgs (a replay of many
// entries of a few loggers and messages allocates a few strings).
func decodeBody(b []byte, r *spoolRecord, names, msgs *nameCache) bool {
	if len(b) < bodyFixed {
		return false
	}
	r.time = int64(binary.LittleEndian.Uint64(b))
	r.level = Level(int8(b[8]))
	flags := b[9]
	b = b[bodyFixed:]
	var name, msg []byte
	var ok bool
	if name, b, ok = cutUvarint(b); !ok {
		return false
	}
	if msg, b, ok = cutUvarint(b); !ok {
		return false
	}
	r.key, r.headers = nil, nil
	if flags&bodyHasKey != 0 {
		if r.key, b, ok = cutUvarint(b); !ok {
			return false
		}
		r.key = r.key[:len(r.key):len(r.key)]
	}
	if flags&bodyHasHeaders != 0 {
		if r.headers, b, ok = cutUvarint(b); !ok {
			return false
		}
		r.headers = r.headers[:len(r.headers):len(r.headers)]
	}
	r.loggerName = names.get(name)
	r.message = msgs.get(msg)
	r.data = b
	return true
}

// cutUvarint splits a length-prefixed byte string off b.
func cutUvarint(b []byte) (s, rest []byte, ok bool) {
	n, k := binary.Uvarint(b)
	if k <= 0 || n > uint64(len(b)-k) {
		return nil, nil, false
	}
	return b[k : k+int(n)], b[k+int(n):], true
}

func uvarintLen(x uint64) int {
	n := 1
	for x >= 0x80 {
		x >>= 7
		n++
	}
	return n
}

// nameCache keeps the last few strings read back (logger names, or
// messages), so that replaying many entries of a few loggers and messages
// does not allocate a string per entry. Strings over 64 bytes are not
// kept: long messages are rarely repeated.
type nameCache struct {
	names [16]string
	next  int
}

func (c *nameCache) get(b []byte) string {
	if len(b) == 0 {
		return ""
	}
	if len(b) > 64 {
		return string(b)
	}
	for _, s := range c.names {
		if s == string(b) {
			return s
		}
	}
	s := string(b)
	c.names[c.next] = s
	c.next = (c.next + 1) % len(c.names)
	return s
}
