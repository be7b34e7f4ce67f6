package core

import (
	"bytes"
	"encoding/binary"
	"hash/crc32"
	"os"
)

// The manifest lists the live segments (number, first record id) so that
// recovery can tell a segment someone deleted from one the spool deleted
// after all its records were finalized. It is replaced atomically (a
// temporary file renamed over it) whenever a segment is created or
// deleted, and made durable by sync: a crash of the process leaves the
// old or the new one; a power cut before the sync may leave it
// unreadable, which disables the detection for that recovery only. Layout: magic "KSSMANIF" | version uint16 = 1 | count uint32 |
// count × (number uint64, first id uint64) | CRC32C of all before.

const manifestName = "MANIFEST"

var manifestMagic = [8]byte{'K', 'S', 'S', 'M', 'A', 'N', 'I', 'F'}

// manifestEntry is one segment the manifest lists.
type manifestEntry struct{ num, first uint64 }

// writeManifest replaces the manifest with the live segments.
func (s *spool) writeManifest() error {
	b := make([]byte, 0, 8+2+4+16*len(s.segs)+4)
	b = append(b, manifestMagic[:]...)
	b = binary.LittleEndian.AppendUint16(b, spoolVersion)
	b = binary.LittleEndian.AppendUint32(b, uint32(len(s.segs)))
	for _, seg := range s.segs {
		b = binary.LittleEndian.AppendUint64(b, seg.num)
		b = binary.LittleEndian.AppendUint64(b, seg.first)
	}
	b = binary.LittleEndian.AppendUint32(b, crc32.Checksum(b, castagnoli))
	// Not fsynced here: this runs on the append and ack paths, and the
	// manifest only serves missing-segment detection. sync makes it
	// durable with the directory.
	if err := s.replaceFile(manifestName, b, false); err != nil {
		return err
	}
	s.manifest = false
	s.manifestUnsynced = true
	return nil
}

// readManifest reads the manifest; ok is false if it is absent, unreadable
// or damaged.
func readManifest(fsys spoolFS, path string) (entries []manifestEntry, ok bool) {
	f, err := fsys.OpenFile(path, os.O_RDONLY, 0)
	if err != nil {
		return nil, false
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil || fi.Size() < 18 || fi.Size() > 64<<20 {
		return nil, false
	}
	b := make([]byte, fi.Size())
	if n, _ := f.ReadAt(b, 0); n != len(b) {
		return nil, false
	}
	le := binary.LittleEndian
	if !bytes.Equal(b[:8], manifestMagic[:]) || le.Uint16(b[8:]) != spoolVersion ||
		le.Uint32(b[len(b)-4:]) != crc32.Checksum(b[:len(b)-4], castagnoli) {
		return nil, false
	}
	count := int(le.Uint32(b[10:]))
	if 14+16*count+4 != len(b) {
		return nil, false
	}
	for i := 0; i < count; i++ {
		p := b[14+16*i:]
		entries = append(entries, manifestEntry{num: le.Uint64(p), first: le.Uint64(p[8:])})
	}
	return entries, true
}
