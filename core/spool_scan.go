package core

import (
	"bytes"
	"io"
)

// segScanner reads the frames of one segment file in order, through one
// reused buffer, and resynchronizes past damage: it is shared by recovery
// (which scans every segment at open) and spoolReader (which reads records
// back). It never reads at or past size.
type segScanner struct {
	f      spoolFile
	size   int64  // bytes of the file to consider
	buf    []byte // holds the file's bytes [bufOff, bufOff+len(buf))
	bufOff int64
}

// scanBufSize is the read size of a scanner: large enough that a read
// covers many records, small enough to keep a replay's memory bounded.
const scanBufSize = 256 << 10

// at returns the file's bytes [off, off+n), or fewer if the file (size)
// ends first. The slice is valid until the next call.
func (s *segScanner) at(off int64, n int) ([]byte, error) {
	n = int(min(int64(n), s.size-off))
	if n <= 0 {
		return nil, nil
	}
	if off >= s.bufOff && off+int64(n) <= s.bufOff+int64(len(s.buf)) {
		i := int(off - s.bufOff)
		return s.buf[i : i+n], nil
	}
	want := int(min(int64(max(n, scanBufSize)), s.size-off))
	if cap(s.buf) < want {
		s.buf = make([]byte, want)
	} else if cap(s.buf) > 2*scanBufSize && want <= scanBufSize {
		s.buf = make([]byte, scanBufSize) // let one huge record's buffer go
	}
	s.buf = s.buf[:want]
	k, err := s.f.ReadAt(s.buf, off)
	s.buf = s.buf[:k]
	s.bufOff = off
	if k < n {
		if err == nil || err == io.EOF {
			err = io.ErrUnexpectedEOF // the file is shorter than we were told
		}
		return nil, err
	}
	return s.buf[:n], nil
}

// frame is one frame found by a scanner.
type frame struct {
	off  int64 // where it starts
	size int   // header and body
	id   uint64
	body []byte // valid until the scanner's next call
}

// scanResult says what next found at an offset.
type scanResult int

const (
	scanFrame scanResult = iota // a valid frame
	scanEnd                     // the end of the considered bytes, cleanly
	scanTorn                    // an incomplete frame runs to the end: a torn write
	scanBad                     // damage; see skip for where the next valid frame starts
)

// next checks the frame at off. On scanTorn and scanBad, skip is the
// offset of the next valid frame after off, or size if there is none.
func (s *segScanner) next(off int64) (fr frame, res scanResult, skip int64, err error) {
	if off >= s.size {
		return fr, scanEnd, 0, nil
	}
	c, size, id, b, err := s.check(off)
	if err != nil {
		return fr, 0, 0, err
	}
	if c == frameOK {
		return frame{off: off, size: size, id: id, body: b[frameHeaderSize:size]}, scanFrame, 0, nil
	}
	p, err := s.resync(off + 1)
	if err != nil {
		return fr, 0, 0, err
	}
	if c == frameShort && p >= s.size {
		// The frame runs past the end, and nothing valid follows: a torn
		// write. (If a valid frame follows, its length field was damaged.)
		return fr, scanTorn, p, nil
	}
	return fr, scanBad, p, nil
}

// check reads and checks the frame at off.
func (s *segScanner) check(off int64) (c frameCheck, size int, id uint64, b []byte, err error) {
	avail := s.size - off
	if b, err = s.at(off, frameHeaderSize); err != nil {
		return 0, 0, 0, nil, err
	}
	c, size, id, need := checkFrame(b, avail)
	if need > len(b) {
		if b, err = s.at(off, need); err != nil {
			return 0, 0, 0, nil, err
		}
		c, size, id, _ = checkFrame(b, avail)
	}
	return c, size, id, b, nil
}

// resync returns the offset of the first valid frame at or after off, or
// size if there is none.
func (s *segScanner) resync(off int64) (int64, error) {
	for off < s.size {
		b, err := s.at(off, scanBufSize)
		if err != nil {
			return 0, err
		}
		i := bytes.Index(b, frameMagic[:])
		if i < 0 {
			// The magic may straddle the end of b: step back 3 bytes.
			if off+int64(len(b)) >= s.size {
				return s.size, nil
			}
			off += int64(max(1, len(b)-len(frameMagic)+1))
			continue
		}
		off += int64(i)
		c, _, _, _, err := s.check(off)
		if err != nil {
			return 0, err
		}
		if c == frameOK {
			return off, nil
		}
		off++
	}
	return s.size, nil
}
