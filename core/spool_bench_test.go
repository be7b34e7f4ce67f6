package core

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"
)

// benchRecords returns n realistic entries of about 200 bytes, all
// different.
func benchRecords(n int) []spoolRecord {
	recs := make([]spoolRecord, n)
	for i := range recs {
		recs[i] = spoolRecord{
			time:       time.Date(2026, 12, 1, 8, 0, 0, i*1000, time.UTC).UnixNano(),
			level:      InfoLevel,
			loggerName: "checkout",
			message:    "request served",
			data: fmt.Appendf(nil, `{"level":"info","ts":%d,"logger":"checkout","msg":"request served","request_id":"%016x","status":200,"bytes":%d,"latency_ms":%d.%03d}`,
				1796112000000+i, uint64(i)*0x9e3779b97f4a7c15, 512+i%4096, i%97, i%1000),
		}
	}
	return recs
}

const benchBatch = 64 // records per append: a sink batch

// syncPolicy decides when a benchmark syncs after an append.
type syncPolicy struct {
	name  string
	every bool          // after every append
	tick  time.Duration // else every tick (0: never)
}

var benchSyncPolicies = []syncPolicy{
	{name: "sync=never"},
	{name: "sync=interval", tick: 100 * time.Millisecond},
	{name: "sync=every", every: true, tick: time.Second}, // syncData after every append, sync every second
}

// BenchmarkSpoolAppend measures append throughput (records/s and bytes/s)
// in batches of 64 records, synced by policy, in two loads: "grow" appends
// only (an outage: the spool grows), "steady" acknowledges each batch after
// appending it (segments are deleted as they fill). The baseline,
// impl=raw, writes the same frame bytes to one file with one write per
// batch under the same sync policy, letting it grow ("grow") or truncating
// it every 32 MiB ("steady"). Compare with benchstat -col /impl.
func BenchmarkSpoolAppend(b *testing.B) {
	recs := benchRecords(benchBatch * 16)
	var frameBytes int64
	for i := range recs {
		frameBytes += int64(frameHeaderSize + recs[i].bodyLen())
	}
	for _, steady := range []bool{false, true} {
		load := "load=grow/"
		if steady {
			load = "load=steady/"
		}
		for _, p := range benchSyncPolicies {
			b.Run(load+p.name+"/impl=raw", func(b *testing.B) {
				f, err := os.Create(filepath.Join(benchDir(b), "raw"))
				if err != nil {
					b.Fatal(err)
				}
				defer f.Close()
				var frames [16][]byte
				for k := range frames {
					for j := range benchBatch {
						r := &recs[k*benchBatch+j]
						frames[k] = appendFrame(frames[k], r, uint64(j), r.bodyLen())
					}
				}
				b.SetBytes(frameBytes / int64(len(recs)))
				b.ReportAllocs()
				var off int64
				last := time.Now()
				b.ResetTimer()
				cpu0 := processCPU()
				for i := 0; i < b.N; i += benchBatch {
					fr := frames[(i/benchBatch)%16]
					if _, err := f.WriteAt(fr, off); err != nil {
						b.Fatal(err)
					}
					if off += int64(len(fr)); steady && off > defaultSegmentBytes {
						f.Truncate(0)
						off = 0
					}
					if p.every || (p.tick > 0 && time.Since(last) >= p.tick) {
						if err := f.Sync(); err != nil {
							b.Fatal(err)
						}
						last = time.Now()
					}
				}
				b.StopTimer() // the deferred close (a final sync) is not part of the figure
				b.ReportMetric(float64(processCPU()-cpu0)/float64(b.N), "cpu-ns/record")
				b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "records/s")
			})
			b.Run(load+p.name+"/impl=spool", func(b *testing.B) {
				s, _, err := openSpool(benchDir(b), spoolOptions{})
				if err != nil {
					b.Fatal(err)
				}
				defer s.close()
				ids := make([]uint64, benchBatch)
				b.SetBytes(frameBytes / int64(len(recs)))
				b.ReportAllocs()
				last := time.Now()
				b.ResetTimer()
				cpu0 := processCPU()
				for i := 0; i < b.N; i += benchBatch {
					batch := recs[(i/benchBatch)%16*benchBatch:][:benchBatch]
					first, _, err := s.append(batch)
					if err != nil {
						b.Fatal(err)
					}
					if steady {
						for j := range ids {
							ids[j] = first + uint64(j)
						}
						if err := s.ack(ids); err != nil {
							b.Fatal(err)
						}
					}
					if p.tick > 0 && time.Since(last) >= p.tick {
						if err := s.sync(); err != nil {
							b.Fatal(err)
						}
						last = time.Now()
					} else if p.every {
						if err := s.syncData(); err != nil { // journals on an interval: see syncData
							b.Fatal(err)
						}
					}
				}
				b.StopTimer() // the deferred close (a final sync) is not part of the figure
				b.ReportMetric(float64(processCPU()-cpu0)/float64(b.N), "cpu-ns/record")
				b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "records/s")
			})
		}
	}
}

// benchDir is where the benchmarks put their files: a new directory under
// KAFKASINK_SPOOL_BENCH_DIR (e.g. /dev/shm, to measure the spool's own cost
// without the disk's), or under the system's temporary directory.
func benchDir(b *testing.B) string {
	base := os.Getenv("KAFKASINK_SPOOL_BENCH_DIR")
	if base == "" {
		return b.TempDir()
	}
	dir, err := os.MkdirTemp(base, "spoolbench")
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { os.RemoveAll(dir) })
	return dir
}

// benchSpoolBytes is the size of the spool BenchmarkSpoolReplay reads:
// KAFKASINK_SPOOL_BENCH_BYTES, default 64 MiB (the report's 1 GiB figures
// come from KAFKASINK_SPOOL_BENCH_BYTES=1073741824).
func benchSpoolBytes(b *testing.B) int64 {
	if s := os.Getenv("KAFKASINK_SPOOL_BENCH_BYTES"); s != "" {
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			b.Fatalf("KAFKASINK_SPOOL_BENCH_BYTES: %v", err)
		}
		return n
	}
	return 64 << 20
}

// BenchmarkSpoolReplay measures reading a spool back after a restart:
// open (the recovery scan, checking every frame) and then reading every
// record, as the sink replays. One iteration is the whole spool; records/s
// is the figure. The raw baseline reads the same files sequentially with
// the same buffer size, checking nothing (compare with benchstat -col
// /impl). The files are in the page cache
// (written just before): this measures the spool's CPU, not the disk.
// cpu-ns/record is the process's CPU time per record (getrusage), a
// figure other load on a shared machine disturbs less than wall time.
func BenchmarkSpoolReplay(b *testing.B) {
	size := benchSpoolBytes(b)
	dir := benchDir(b)
	s, _, err := openSpool(dir, spoolOptions{})
	if err != nil {
		b.Fatal(err)
	}
	recs := benchRecords(benchBatch * 16)
	var total int
	for written := int64(0); written < size; {
		batch := recs[(total/benchBatch)%16*benchBatch:][:benchBatch]
		if _, _, err := s.append(batch); err != nil {
			b.Fatal(err)
		}
		total += benchBatch
		written = s.stats().bytes
	}
	if err := s.close(); err != nil {
		b.Fatal(err)
	}
	bytesOnDisk := dirBytes(b, dir, ".seg")

	b.Run("impl=raw", func(b *testing.B) {
		files, _ := filepath.Glob(filepath.Join(dir, "*.seg"))
		buf := make([]byte, scanBufSize)
		b.SetBytes(bytesOnDisk)
		cpu0 := processCPU()
		for b.Loop() {
			for _, name := range files {
				f, err := os.Open(name)
				if err != nil {
					b.Fatal(err)
				}
				for off := int64(0); ; {
					n, err := f.ReadAt(buf, off)
					off += int64(n)
					if err != nil {
						break
					}
				}
				f.Close()
			}
		}
		b.ReportMetric(float64(processCPU()-cpu0)/(float64(total)*float64(b.N)), "cpu-ns/record")
		b.ReportMetric(float64(total)*float64(b.N)/b.Elapsed().Seconds(), "records/s")
	})
	b.Run("impl=open", func(b *testing.B) {
		b.SetBytes(bytesOnDisk)
		cpu0 := processCPU()
		for b.Loop() {
			s, rec, err := openSpool(dir, spoolOptions{})
			if err != nil || rec.records != uint64(total) {
				b.Fatalf("open: %d records, %v", rec.records, err)
			}
			s.close()
		}
		b.ReportMetric(float64(processCPU()-cpu0)/(float64(total)*float64(b.N)), "cpu-ns/record")
		b.ReportMetric(float64(total)*float64(b.N)/b.Elapsed().Seconds(), "records/s")
	})
	b.Run("impl=open+read", func(b *testing.B) {
		b.SetBytes(bytesOnDisk)
		b.ReportAllocs()
		cpu0 := processCPU()
		for b.Loop() {
			s, _, err := openSpool(dir, spoolOptions{})
			if err != nil {
				b.Fatal(err)
			}
			r := s.reader(0, 0)
			n := 0
			for {
				var rec spoolRecord
				_, ok, err := r.read(&rec)
				if err != nil {
					b.Fatal(err)
				}
				if !ok {
					break
				}
				n++
			}
			r.close()
			s.close()
			if n != total {
				b.Fatalf("read %d records, want %d", n, total)
			}
		}
		b.ReportMetric(float64(processCPU()-cpu0)/(float64(total)*float64(b.N)), "cpu-ns/record")
		b.ReportMetric(float64(total)*float64(b.N)/b.Elapsed().Seconds(), "records/s")
	})
}
