package core

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"testing/synctest"
	"time"
)

// Unit tests of durable mode (Config.SpoolDir) over the fake transport:
// the batcher as the spool's writer, spilling and reading back, acks,
// Close leaving entries on disk, the replay before new entries, disk
// trouble. The crash tests (kill -9 of a child process) and the
// broker-backed ones are in integration/core.

// bigEntry is entry i padded to about 200 bytes, so that a small
// QueueByteLimit fills up with a few thousand of them.
func bigEntry(i int) Entry {
	return Entry{Level: InfoLevel, JSON: fmt.Appendf(nil, `{"i":%d,"pad":"%s"}`+"\n", i, strings.Repeat("p", 180))}
}

func bigValue(i int) string { return fmt.Sprintf(`{"i":%d,"pad":"%s"}`, i, strings.Repeat("p", 180)) }

func bigValues(from, to int) []string {
	var out []string
	for i := from; i < to; i++ {
		out = append(out, bigValue(i))
	}
	return out
}

// newSpoolSink starts a sink over f with its spool on fs (nil: the
// operating system's) and segments of segBytes (0: the default).
func newSpoolSink(t *testing.T, cfg Config, f *fakeTransport, fs spoolFS, segBytes int64) *Sink {
	t.Helper()
	r, err := cfg.resolve()
	if err != nil {
		t.Fatal(err)
	}
	r.spoolFS, r.spoolSegmentBytes = fs, segBytes
	s, err := newSink(r, f)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// downFake returns a fake whose produce requests fail, as if the brokers
// were down, until up is called.
func downFake(partitions int) (f *fakeTransport, up func()) {
	f = newFake(partitions)
	var isUp atomic.Bool
	f.fail = func(fakeCall) (map[int]error, error) {
		if isUp.Load() {
			return nil, nil
		}
		return nil, syscall.ECONNREFUSED
	}
	return f, func() { isUp.Store(true) }
}

// checkIdentity checks the accounting identity of Stats once the sink is
// idle or closed.
func checkIdentity(t *testing.T, st Stats) {
	t.Helper()
	if got, want := st.Received+st.Replayed, st.Delivered+st.Dropped.Total()+uint64(st.QueueDepth); got != want {
		t.Errorf("Received %d + Replayed %d = %d, want Delivered %d + Dropped %d + QueueDepth %d = %d",
			st.Received, st.Replayed, got, st.Delivered, st.Dropped.Total(), st.QueueDepth, want)
	}
}

// spoolLeft opens dir's spool (the sink must be closed) and returns how
// many records it would replay.
func spoolLeft(t *testing.T, dir string) uint64 {
	t.Helper()
	sp, rec, err := openSpool(dir, spoolOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer sp.close()
	return rec.records
}

func TestDurableDeliversAndAcknowledges(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		dir := t.TempDir()
		f := newFake(1)
		s := newTestSink(t, Config{SpoolDir: dir, BatchSizeLimit: 10, Period: time.Second}, f)
		write(t, s, 0, 1000)
		flushCtx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		if err := s.Flush(flushCtx); err != nil {
			t.Fatalf("Flush = %v", err)
		}
		st := s.Stats()
		if st.Spool.Appended != 1000 || st.Spool.Skipped != 0 {
			t.Errorf("Spool.Appended %d, Skipped %d; want 1000, 0", st.Spool.Appended, st.Spool.Skipped)
		}
		closeSink(t, s)
		if got, want := f.delivered(), values(0, 1000); !slices.Equal(got, want) {
			t.Errorf("delivered %d entries, want the 1000 in order", len(got))
		}
		st = s.Stats()
		if st.Delivered != 1000 || st.QueueDepth != 0 || st.Dropped.Total() != 0 || st.Replayed != 0 {
			t.Errorf("stats %+v, want 1000 delivered, nothing held, dropped or replayed", st)
		}
		checkIdentity(t, st)
		if n := spoolLeft(t, dir); n != 0 {
			t.Errorf("the spool offers %d records after everything was delivered, want 0 (all acknowledged)", n)
		}
	})
}

func TestDurableWritesWithinSpoolInterval(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := newFake(1)
		s := newTestSink(t, Config{SpoolDir: t.TempDir(), SpoolInterval: 50 * time.Millisecond,
			BatchSizeLimit: 10, Period: time.Hour, DelayFirstEntry: true}, f)
		defer closeSink(t, s)
		for round := range 3 {
			write(t, s, round, round+1)
			time.Sleep(49 * time.Millisecond)
			synctest.Wait()
			if got := s.Stats().Spool.Appended; got != uint64(round) {
				t.Fatalf("round %d: %d entries on disk 49ms after the Write, want %d (not yet)", round, got, round)
			}
			time.Sleep(2 * time.Millisecond)
			synctest.Wait()
			if got := s.Stats().Spool.Appended; got != uint64(round+1) {
				t.Fatalf("round %d: %d entries on disk 51ms after the Write, want %d", round, got, round+1)
			}
		}
		if n := len(f.snapshot()); n != 0 {
			t.Errorf("%d requests before Period or a full batch, want 0: spooling is not sending", n)
		}
	})
}

// TestDurableOutageLongerThanMemory writes 20 times QueueByteLimit while
// the brokers are down: nothing is dropped (Block never times out, so a
// Write would fail if memory did not free up), memory holds no more than
// the limit, and once the brokers are back every entry arrives, in order,
// read back from disk.
func TestDurableOutageLongerThanMemory(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		const limit = 256 << 10
		n := 20 * limit / 200
		f, up := downFake(1)
		s := newTestSink(t, Config{SpoolDir: t.TempDir(), QueueByteLimit: limit, MaxEntryBytes: 4096, MaxBatchBytes: 64 << 10,
			OverflowPolicy: Block, BlockTimeout: time.Hour, BatchSizeLimit: 100, Period: 100 * time.Millisecond,
			MaxBackoff: time.Second, ErrorHandler: func(error) {}}, f)
		maxBytes := int64(0)
		for i := 0; i < n; i++ {
			if err := s.Write(bigEntry(i)); err != nil {
				t.Fatalf("Write(%d) = %v during the outage (stats %+v)", i, err, s.Stats())
			}
			if i%1000 == 0 {
				maxBytes = max(maxBytes, s.Stats().QueueBytes)
			}
		}
		time.Sleep(time.Second)
		synctest.Wait()
		st := s.Stats()
		if st.Dropped.Total() != 0 || st.QueueDepth != n || st.Spool.Records != uint64(n) {
			t.Fatalf("during the outage: dropped %d, QueueDepth %d, on disk %d; want 0, %d, %d", st.Dropped.Total(), st.QueueDepth, st.Spool.Records, n, n)
		}
		if maxBytes > limit || st.QueueBytes > limit {
			t.Errorf("queue memory reached %d bytes, want at most QueueByteLimit %d", max(maxBytes, st.QueueBytes), limit)
		}
		up()
		ctx, cancel := context.WithTimeout(context.Background(), time.Hour)
		defer cancel()
		if err := s.Flush(ctx); err != nil {
			t.Fatalf("Flush after the outage = %v", err)
		}
		closeSink(t, s)
		if got, want := f.delivered(), bigValues(0, n); !slices.Equal(got, want) {
			t.Errorf("delivered %d entries, want the %d in order", len(got), n)
		}
		st = s.Stats()
		if st.Spool.ReadBack == 0 {
			t.Errorf("nothing read back from disk: the outage never spilled")
		}
		checkIdentity(t, st)
		t.Logf("%d entries, %d read back from disk, queue memory at most %d bytes", n, st.Spool.ReadBack, max(maxBytes, st.QueueBytes))
	})
}

func TestDurableCloseLeavesEntriesForTheNextSink(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		dir := t.TempDir()
		f, _ := downFake(1)
		cfg := Config{SpoolDir: dir, BatchSizeLimit: 10, Period: 10 * time.Millisecond, ErrorHandler: func(error) {}}
		s := newTestSink(t, cfg, f)
		write(t, s, 0, 500)
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		err := s.Close(ctx)
		var ue *UndeliveredError
		if !errors.As(err, &ue) || !errors.Is(err, ErrLeftInSpool) || ue.Count != 500 {
			t.Fatalf("Close = %v, want an UndeliveredError for 500 entries, ErrLeftInSpool", err)
		}
		st := s.Stats()
		if st.Dropped.Total() != 0 || st.QueueDepth != 500 {
			t.Errorf("after Close: dropped %d, QueueDepth %d; want 0 and the 500 left on disk", st.Dropped.Total(), st.QueueDepth)
		}
		checkIdentity(t, st)

		// The next sink delivers them first, then its own, in order.
		f2 := newFake(1)
		s2 := newTestSink(t, cfg, f2)
		if got := s2.Stats().Replayed; got != 500 {
			t.Errorf("Replayed = %d, want 500", got)
		}
		write(t, s2, 500, 600)
		ctx2, cancel2 := context.WithTimeout(context.Background(), time.Minute)
		defer cancel2()
		if err := s2.Flush(ctx2); err != nil {
			t.Fatalf("Flush = %v, want the replayed and the new entries delivered", err)
		}
		closeSink(t, s2)
		if got, want := f2.delivered(), values(0, 600); !slices.Equal(got, want) {
			t.Errorf("the next sink delivered %v…, want the 500 left, then the 100 new, in order", got[:min(5, len(got))])
		}
		st = s2.Stats()
		if st.Received != 100 || st.Accepted != 100 || st.Delivered != 600 || st.Spool.ReadBack != 500 {
			t.Errorf("stats %+v, want 100 received and accepted, 600 delivered, 500 read back", st)
		}
		checkIdentity(t, st)
		if n := spoolLeft(t, dir); n != 0 {
			t.Errorf("%d records left after the replay, want 0", n)
		}
	})
}

// TestDurableInFlightLeftAtClose: a request still in flight when Close
// gives up is neither acknowledged nor dropped: its records stay in the
// spool, and the next sink sends them again (a duplicate if the first had
// in fact been written).
func TestDurableInFlightLeftAtClose(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		dir := t.TempDir()
		f := newFake(1)
		f.block = make(chan struct{}) // never answers
		cfg := Config{SpoolDir: dir, BatchSizeLimit: 10, Period: 10 * time.Millisecond}
		s := newTestSink(t, cfg, f)
		write(t, s, 0, 10)
		time.Sleep(time.Second)
		synctest.Wait()
		if st := s.Stats(); st.InFlight != 1 {
			t.Fatalf("InFlight %d, want the one request", st.InFlight)
		}
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		if err := s.Close(ctx); !errors.Is(err, ErrLeftInSpool) {
			t.Fatalf("Close = %v, want ErrLeftInSpool", err)
		}
		if n := spoolLeft(t, dir); n != 10 {
			t.Errorf("%d records left in the spool, want the 10 in flight", n)
		}
		if st := s.Stats(); st.InFlight != 0 {
			t.Errorf("InFlight %d after Close gave the request up, want 0", st.InFlight)
		}
	})
}

func TestDurableFlushDuringCloseLeaving(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f, _ := downFake(1)
		s := newTestSink(t, Config{SpoolDir: t.TempDir(), BatchSizeLimit: 10, ErrorHandler: func(error) {}}, f)
		write(t, s, 0, 20)
		flushed := make(chan error, 1)
		go func() { flushed <- s.Flush(context.Background()) }()
		synctest.Wait()
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		s.Close(ctx)
		err := <-flushed
		var ue *UndeliveredError
		if !errors.As(err, &ue) || !errors.Is(err, ErrLeftInSpool) || ue.Count != 20 {
			t.Errorf("Flush during Close = %v, want 20 undelivered, ErrLeftInSpool", err)
		}
	})
}

// TestDurableDiskTrouble fails every segment write, as a full disk does:
// entries are delivered from memory, counted as skipped, the failure is
// reported; once writes work again, new entries go to disk again.
func TestDurableDiskTrouble(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		dir := t.TempDir()
		ffs := &faultFS{dir: dir}
		ffs.set(func(f *faultFS) { f.writeErr, f.writeMatch = syscall.ENOSPC, ".seg" })
		var mu sync.Mutex
		var spoolErrs []*SpoolError
		f := newFake(1)
		s := newSpoolSink(t, Config{SpoolDir: dir, BatchSizeLimit: 10, Period: 10 * time.Millisecond, ErrorHandler: func(err error) {
			var se *SpoolError
			if errors.As(err, &se) {
				mu.Lock()
				spoolErrs = append(spoolErrs, se)
				mu.Unlock()
			}
		}}, f, ffs, 0)
		write(t, s, 0, 100)
		time.Sleep(100 * time.Millisecond)
		synctest.Wait()
		st := s.Stats()
		if st.Delivered != 100 || st.Spool.Skipped != 100 || st.Spool.Appended != 0 || st.Spool.Errors == 0 {
			t.Errorf("with the disk full: delivered %d, skipped %d, appended %d, errors %d; want 100, 100, 0, >0",
				st.Delivered, st.Spool.Skipped, st.Spool.Appended, st.Spool.Errors)
		}
		mu.Lock()
		if len(spoolErrs) == 0 || spoolErrs[0].Op != "append" || !errors.Is(spoolErrs[0], syscall.ENOSPC) {
			t.Errorf("ErrorHandler got %v, want a SpoolError for the append, ENOSPC", spoolErrs)
		}
		mu.Unlock()

		ffs.set(func(f *faultFS) { f.writeErr = nil })
		time.Sleep(2 * spoolRetry)
		write(t, s, 100, 200)
		closeSink(t, s)
		st = s.Stats()
		if st.Spool.Appended != 100 || st.Spool.Skipped != 100 || st.Delivered != 200 {
			t.Errorf("once the disk works: appended %d, skipped %d, delivered %d; want 100, 100, 200", st.Spool.Appended, st.Spool.Skipped, st.Delivered)
		}
		if got, want := f.delivered(), values(0, 200); !slices.Equal(got, want) {
			t.Errorf("delivered %d entries, want the 200 in order", len(got))
		}
		checkIdentity(t, st)
	})
}

// TestDurableSpoolFull: past SpoolByteLimit, entries stay in memory only;
// deliveries free room and spooling resumes.
func TestDurableSpoolFull(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f, up := downFake(1)
		s := newSpoolSink(t, Config{SpoolDir: t.TempDir(), SpoolByteLimit: 1 << 20, MaxEntryBytes: 4096, BatchSizeLimit: 100,
			Period: 10 * time.Millisecond, MaxBackoff: time.Second, ErrorHandler: func(error) {}}, f, nil, 64<<10)
		n := (1 << 20) / 200 * 3 / 2 // more than the spool holds
		for i := 0; i < n; i++ {
			if err := s.Write(bigEntry(i)); err != nil {
				t.Fatalf("Write(%d) = %v", i, err)
			}
		}
		time.Sleep(time.Second)
		synctest.Wait()
		st := s.Stats()
		if st.Spool.Skipped == 0 || st.Spool.Appended == 0 || st.Spool.Bytes > 1<<20 {
			t.Errorf("spool full: appended %d, skipped %d, %d bytes; want some of each, at most 1 MiB", st.Spool.Appended, st.Spool.Skipped, st.Spool.Bytes)
		}
		skipped := st.Spool.Skipped
		up()
		ctx, cancel := context.WithTimeout(context.Background(), time.Hour)
		defer cancel()
		if err := s.Flush(ctx); err != nil {
			t.Fatalf("Flush = %v", err)
		}
		time.Sleep(2 * spoolRetry)
		appended := s.Stats().Spool.Appended
		for i := n; i < n+10; i++ {
			if err := s.Write(bigEntry(i)); err != nil {
				t.Fatalf("Write(%d) = %v", i, err)
			}
		}
		closeSink(t, s)
		st = s.Stats()
		if st.Spool.Skipped != skipped || st.Spool.Appended != appended+10 || st.Delivered != uint64(n+10) {
			t.Errorf("after the outage: skipped %d (was %d), appended %d (was %d), delivered %d; want no more skipped, 10 more appended, %d delivered",
				st.Spool.Skipped, skipped, st.Spool.Appended, appended, st.Delivered, n+10)
		}
		if got, want := f.delivered(), bigValues(0, n+10); !slices.Equal(got, want) {
			t.Errorf("delivered %d entries, want the %d in order", len(got), n+10)
		}
		checkIdentity(t, st)
	})
}

func TestDurableSecondSinkOnOneDir(t *testing.T) {
	dir := t.TempDir()
	s, err := New(Config{SpoolDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close(context.Background())
	_, err = New(Config{SpoolDir: dir})
	var ce *ConfigError
	if !errors.As(err, &ce) || ce.Field != "SpoolDir" || !errors.Is(err, ErrSpoolLocked) || !strings.Contains(err.Error(), dir) {
		t.Fatalf("a second New on the directory = %v, want a ConfigError naming SpoolDir and the directory, ErrSpoolLocked", err)
	}
}

func TestDurableUnwritableDir(t *testing.T) {
	file := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(file, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := New(Config{SpoolDir: filepath.Join(file, "spool")})
	var ce *ConfigError
	if !errors.As(err, &ce) || ce.Field != "SpoolDir" || !errors.Is(err, syscall.ENOTDIR) {
		t.Fatalf("New with SpoolDir under a file = %v, want a ConfigError naming SpoolDir, ENOTDIR", err)
	}
}

// TestDurableDamagedSpool: New starts on a spool with a damaged record,
// delivers the rest, counts and reports the damage.
func TestDurableDamagedSpool(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		dir := t.TempDir()
		f, _ := downFake(1)
		cfg := Config{SpoolDir: dir, BatchSizeLimit: 10, ErrorHandler: func(error) {}}
		s := newTestSink(t, cfg, f)
		write(t, s, 0, 100)
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		s.Close(ctx)
		flipByteOf(t, dir, value(50)) // inside entry 50's JSON

		var reported []error
		cfg.ErrorHandler = func(err error) { reported = append(reported, err) }
		f2 := newFake(1)
		s2 := newTestSink(t, cfg, f2)
		closeSink(t, s2)
		want := append(values(0, 50), values(51, 100)...)
		if got := f2.delivered(); !slices.Equal(got, want) {
			t.Errorf("delivered %d entries, want the 99 undamaged in order", len(got))
		}
		st := s2.Stats()
		if st.Dropped.Corrupt != 1 || st.Replayed != 100 || st.Delivered != 99 {
			t.Errorf("Dropped.Corrupt %d, Replayed %d, Delivered %d; want 1, 100, 99", st.Dropped.Corrupt, st.Replayed, st.Delivered)
		}
		checkIdentity(t, st)
		var se *SpoolError
		if len(reported) == 0 || !errors.As(reported[0], &se) || se.Op != "recover" {
			t.Errorf("reported %v, want a SpoolError for the recovery first", reported)
		}
	})
}

func TestDurableNoDefaultRetryTimeLimit(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f, up := downFake(1)
		s := newTestSink(t, Config{SpoolDir: t.TempDir(), BatchSizeLimit: 10, MaxBackoff: time.Minute, ErrorHandler: func(error) {}}, f)
		if got := s.Config().RetryTimeLimit; got != 0 {
			t.Errorf("Config().RetryTimeLimit = %v, want 0 (no limit) with a spool", got)
		}
		write(t, s, 0, 100)
		time.Sleep(time.Hour) // far past the memory-only default of 10 minutes
		up()
		closeSink(t, s)
		st := s.Stats()
		if st.Delivered != 100 || st.Dropped.Total() != 0 {
			t.Errorf("after an hour's outage: delivered %d, dropped %d; want 100, 0", st.Delivered, st.Dropped.Total())
		}
	})
}

// TestDurableExplicitRetryTimeLimit: an explicit limit still drops what
// waited too long, on disk only or in memory; the drops are acknowledged
// in the spool and handed to the Fallback.
func TestDurableExplicitRetryTimeLimit(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		dir := t.TempDir()
		f, _ := downFake(1)
		var fb fallbackCounter
		const limit = 256 << 10
		n := 5 * limit / 200
		s := newTestSink(t, Config{SpoolDir: dir, RetryTimeLimit: time.Minute, QueueByteLimit: limit, MaxEntryBytes: 4096,
			MaxBatchBytes: 64 << 10, OverflowPolicy: Block, BlockTimeout: time.Hour, BatchSizeLimit: 100,
			Period: 100 * time.Millisecond, MaxBackoff: time.Second, ErrorHandler: func(error) {}, Fallback: &fb}, f)
		for i := 0; i < n; i++ {
			if err := s.Write(bigEntry(i)); err != nil {
				t.Fatalf("Write(%d) = %v", i, err)
			}
		}
		time.Sleep(3 * time.Minute)
		synctest.Wait()
		st := s.Stats()
		if st.Dropped.RetriesExhausted != uint64(n) || st.QueueDepth != 0 || st.Spool.Records != 0 {
			t.Errorf("after RetryTimeLimit: RetriesExhausted %d, QueueDepth %d, on disk %d; want %d, 0, 0",
				st.Dropped.RetriesExhausted, st.QueueDepth, st.Spool.Records, n)
		}
		if st.Spool.ReadBack == 0 {
			t.Errorf("nothing read back: the test did not spill")
		}
		if err := s.Close(context.Background()); !errors.Is(err, ErrDropped) {
			t.Errorf("Close = %v, want ErrDropped", err)
		}
		if got := fb.lines() + int(s.Stats().FallbackDropped); got != n {
			t.Errorf("Fallback lines %d + FallbackDropped %d = %d, want every expired entry, %d", fb.lines(), s.Stats().FallbackDropped, got, n)
		}
		checkIdentity(t, s.Stats())
		if left := spoolLeft(t, dir); left != 0 {
			t.Errorf("%d records left in the spool, want 0: expired entries are acknowledged", left)
		}
	})
}

// fallbackCounter counts the lines written to it.
type fallbackCounter struct {
	mu sync.Mutex
	n  int
}

func (f *fallbackCounter) Write(p []byte) (int, error) {
	f.mu.Lock()
	f.n += strings.Count(string(p), "\n")
	f.mu.Unlock()
	return len(p), nil
}

func (f *fallbackCounter) lines() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.n
}

func TestDurableSyncPolicy(t *testing.T) {
	for _, tt := range []struct {
		name      string
		sync      time.Duration
		wantSyncs bool // segment fsyncs before Close
	}{
		{"every write", SpoolSyncEveryWrite, true},
		{"interval", time.Hour, false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				dir := t.TempDir()
				ffs := &faultFS{dir: dir}
				s := newSpoolSink(t, Config{SpoolDir: dir, SpoolSync: tt.sync, BatchSizeLimit: 10}, newFake(1), ffs, 0)
				write(t, s, 0, 10)
				time.Sleep(time.Second)
				synctest.Wait()
				ffs.mu.Lock()
				syncs := ffs.syncs[".seg"]
				ffs.mu.Unlock()
				if (syncs > 0) != tt.wantSyncs {
					t.Errorf("%d segment fsyncs before Close, want some: %v", syncs, tt.wantSyncs)
				}
				closeSink(t, s)
			})
		})
	}
}

// TestDurableHeadersAndKeysReadBack: what the disk holds (key, headers,
// logger name, message, time) comes back as it went in.
func TestDurableHeadersAndKeysReadBack(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		dir := t.TempDir()
		f, _ := downFake(3)
		cfg := Config{SpoolDir: dir, BatchSizeLimit: 10, ErrorHandler: func(error) {}}
		s := newTestSink(t, cfg, f)
		at := time.Unix(1700000000, 0)
		for i := range 30 {
			e := Entry{Time: at.Add(time.Duration(i)), Level: WarnLevel, LoggerName: "db", Message: "slow",
				JSON: []byte(value(i)), Headers: []Header{{Key: "h", Value: []byte(fmt.Sprint(i))}, {Key: "null"}}}
			if i%2 == 0 {
				e.Key = []byte(fmt.Sprint("k", i%3))
			}
			if err := s.Write(e); err != nil {
				t.Fatal(err)
			}
		}
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		s.Close(ctx)

		var entries []Entry
		cfg.TopicDecider = func(e Entry) string {
			e.JSON, e.Key = slices.Clone(e.JSON), slices.Clone(e.Key)
			entries = append(entries, e)
			return ""
		}
		f2 := newFake(3)
		s2 := newTestSink(t, cfg, f2)
		closeSink(t, s2)
		if len(entries) != 30 {
			t.Fatalf("the decider saw %d replayed entries, want 30", len(entries))
		}
		for i, e := range entries {
			if string(e.JSON) != value(i) || !e.Time.Equal(at.Add(time.Duration(i))) || e.Level != WarnLevel ||
				e.LoggerName != "db" || e.Message != "slow" || len(e.Headers) != 2 || string(e.Headers[0].Value) != fmt.Sprint(i) ||
				e.Headers[1].Value != nil || (i%2 == 0) != (e.Key != nil) {
				t.Errorf("replayed entry %d = %+v, want it as written", i, e)
			}
		}
		byKey := map[string]int32{}
		for _, c := range f2.snapshot() {
			for j, k := range c.Keys {
				if k == "" {
					continue
				}
				if p, ok := byKey[k]; ok && p != c.Partition {
					t.Errorf("key %s replayed to partitions %d and %d", k, p, c.Partition)
				}
				byKey[k] = c.Partition
				if len(c.Headers[j]) != 2 {
					t.Errorf("record headers %v, want 2", c.Headers[j])
				}
			}
		}
	})
}

// flipByteOf flips a byte inside text, in the one segment of the spool in
// dir.
func flipByteOf(t *testing.T, dir, text string) {
	t.Helper()
	segs, _ := filepath.Glob(filepath.Join(dir, "*.seg"))
	if len(segs) != 1 {
		t.Fatalf("segments %v, want one", segs)
	}
	b, err := os.ReadFile(segs[0])
	if err != nil {
		t.Fatal(err)
	}
	i := strings.Index(string(b), text)
	if i < 0 {
		t.Fatalf("%q not in the segment", text)
	}
	b[i+2] ^= 0xff
	if err := os.WriteFile(segs[0], b, 0o644); err != nil {
		t.Fatal(err)
	}
}
