package core

import (
	"context"
	"errors"
	"io/fs"
	"strings"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"
)

// Tests of how soon accepted entries reach the spool when the spool's
// writer or the batcher is slow (a slow disk, a long backlog to route),
// in synctest's clock, and of Stats.Spool.Unwritten, which counts those
// not there yet: what a kill -9 would lose.

// slowSegFS is the operating system's file system, with every write to a
// segment file taking delay (in synctest, fake time) once delay is set.
type slowSegFS struct {
	osFS
	delay atomic.Int64
}

func (f *slowSegFS) OpenFile(name string, flag int, perm fs.FileMode) (spoolFile, error) {
	file, err := f.osFS.OpenFile(name, flag, perm)
	if err != nil || !strings.HasSuffix(name, ".seg") {
		return file, err
	}
	return &slowSegFile{spoolFile: file, fs: f}, nil
}

type slowSegFile struct {
	spoolFile
	fs *slowSegFS
}

func (f *slowSegFile) WriteAt(p []byte, off int64) (int, error) {
	time.Sleep(time.Duration(f.fs.delay.Load()))
	return f.spoolFile.WriteAt(p, off)
}

// TestDurableSlowWriteKeepsTheTick: an entry accepted while a write is
// under way goes into the next write as soon as that one is back, if the
// spool timer fired meanwhile, not a fresh SpoolInterval later; and
// Stats.Spool.Unwritten counts the entries not yet through a write at
// each step.
func TestDurableSlowWriteKeepsTheTick(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		slow := &slowSegFS{}
		s := newSpoolSink(t, Config{SpoolDir: t.TempDir(), SpoolInterval: 10 * time.Millisecond,
			BatchSizeLimit: 100, Period: time.Hour, DelayFirstEntry: true}, newFake(1), slow, 0)
		defer closeSink(t, s)
		check := func(when string, appended, unwritten uint64) {
			t.Helper()
			synctest.Wait()
			if st := s.Stats(); st.Spool.Appended != appended || st.Spool.Unwritten != unwritten {
				t.Fatalf("%s: Spool.Appended %d, Unwritten %d; want %d, %d", when, st.Spool.Appended, st.Spool.Unwritten, appended, unwritten)
			}
		}
		write(t, s, 0, 1) // the segment file is created: not slowed
		time.Sleep(11 * time.Millisecond)
		check("11ms after the first entry", 1, 0)

		slow.delay.Store(int64(30 * time.Millisecond))
		write(t, s, 1, 2) // taken at 10ms, written from 10ms to 40ms
		time.Sleep(15 * time.Millisecond)
		write(t, s, 2, 3) // the timer fires at 25ms, during the write
		time.Sleep(time.Millisecond)
		check("16ms: entry 1 being written, entry 2 queued", 1, 2)
		time.Sleep(25 * time.Millisecond)
		check("41ms: entry 1 written, entry 2 being written", 2, 1)
		time.Sleep(30 * time.Millisecond)
		check("71ms: entry 2 written, taken at 40ms when the first write came back", 3, 0)
	})
}

// TestDurableSpoolsWhileRoutingBacklog: while the batcher routes a long
// backlog (here the replay of 1000 entries, each taking 50µs in the
// Formatter: 50ms in all), the entries accepted meanwhile are written to
// the spool within SpoolInterval and a chunk of that routing, not once it
// is all done.
func TestDurableSpoolsWhileRoutingBacklog(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		dir := t.TempDir()
		down, _ := downFake(1)
		cfg := Config{SpoolDir: dir, SpoolInterval: 10 * time.Millisecond, BatchSizeLimit: 100, MaxInFlight: 5,
			Period: time.Hour, DelayFirstEntry: true, ErrorHandler: func(error) {}}
		s := newTestSink(t, cfg, down)
		write(t, s, 0, 1000)
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		if err := s.Close(ctx); !errors.Is(err, ErrLeftInSpool) {
			t.Fatalf("Close = %v, want ErrLeftInSpool (the 1000 entries left for the next sink)", err)
		}

		var formatted atomic.Int64
		cfg.Formatter = FormatterFunc(func(dst []byte, e Entry) ([]byte, error) {
			formatted.Add(1)
			time.Sleep(50 * time.Microsecond)
			return append(dst, e.JSON...), nil
		})
		s2 := newTestSink(t, cfg, newFake(1))
		defer closeSink(t, s2)
		time.Sleep(5 * time.Millisecond) // routing the replay, 100 formatted so far
		write(t, s2, 1000, 1001)
		time.Sleep(30 * time.Millisecond)
		synctest.Wait()
		st := s2.Stats()
		if n := formatted.Load(); n >= 1000 {
			t.Fatalf("%d entries formatted 35ms in, want fewer than the 1000 replayed: the routing is not slow enough to test anything", n)
		}
		if st.Spool.Appended != 1 || st.Spool.Unwritten != 0 {
			t.Errorf("35ms in, 30ms after the Write, while the replay is still being routed: Spool.Appended %d, Unwritten %d; want 1, 0",
				st.Spool.Appended, st.Spool.Unwritten)
		}
	})
}
