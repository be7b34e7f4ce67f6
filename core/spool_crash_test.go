//go:build linux

package core

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math/rand/v2"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// The tests here run the spool in a child process (this test binary,
// re-executed into TestSpoolChild) and kill it, or limit its file size.
// The child reports its progress on stdout, one line per step, written
// with one unbuffered write after the step returned:
//
//	a N    append returned: records < N are written
//	k N    ack returned: records < N with N%3 == 0 are acknowledged
//	s N    sync returned
//	e MSG  an error the parent expects or reports
//	ok     the child's scenario finished

const (
	envChild = "KAFKASINK_SPOOL_CHILD"
	envDir   = "KAFKASINK_SPOOL_DIR"
	envFrom  = "KAFKASINK_SPOOL_FROM"
	envSeed  = "KAFKASINK_SPOOL_SEED"
	envKill  = "KAFKASINK_SPOOL_KILL" // "W:B": die by SIGKILL in the W-th segment write, after B bytes of it
)

// TestSpoolChild is not a test: it is the child process of the others.
func TestSpoolChild(t *testing.T) {
	mode := os.Getenv(envChild)
	if mode == "" {
		t.Skip("the child process of the spool's crash tests")
	}
	err := spoolChild(mode, os.Getenv(envDir))
	if err != nil {
		fmt.Fprintf(os.Stdout, "e %v\n", err)
		os.Exit(1)
	}
	os.Exit(0)
}

func say(format string, args ...any) {
	os.Stdout.Write(fmt.Appendf(nil, format+"\n", args...)) // one write, unbuffered
}

func spoolChild(mode, dir string) error {
	from, _ := strconv.Atoi(os.Getenv(envFrom))
	seed, _ := strconv.ParseUint(os.Getenv(envSeed), 10, 64)
	rng := rand.New(rand.NewPCG(seed, 7))
	o := spoolOptions{segmentBytes: 64 << 10}
	if k := os.Getenv(envKill); k != "" {
		var w, b int
		fmt.Sscanf(k, "%d:%d", &w, &b)
		o.fs = &killFS{at: w, bytes: b}
	}
	switch mode {
	case "hold": // hold the spool until stdin closes
		s, _, err := openSpool(dir, o)
		if err != nil {
			return err
		}
		say("ok")
		io.Copy(io.Discard, os.Stdin)
		return s.close()
	case "try": // try to open it, and say how that went
		s, _, err := openSpool(dir, o)
		if err != nil {
			say("e %v", err)
			return nil
		}
		say("ok")
		return s.close()
	case "append": // append, ack, sync until killed
		s, _, err := openSpool(dir, o)
		if err != nil {
			return err
		}
		n := from
		var acks []uint64
		for i := 0; ; i++ {
			batch := testRecords(n, n+1+rng.IntN(100))
			first, k, err := s.append(batch)
			if err != nil {
				return err
			}
			for j := 0; j < k; j++ {
				if (n+j)%3 == 0 {
					acks = append(acks, first+uint64(j))
				}
			}
			n += k
			say("a %d", n)
			if rng.IntN(3) == 0 {
				if err := s.ack(acks); err != nil {
					return err
				}
				acks = acks[:0]
				say("k %d", n)
			}
			if rng.IntN(10) == 0 {
				if err := s.sync(); err != nil {
					return err
				}
				say("s %d", n)
			}
		}
	case "fsize": // append into a file size limit, then past it once lifted
		var lim syscall.Rlimit
		if err := syscall.Getrlimit(syscall.RLIMIT_FSIZE, &lim); err != nil {
			return err
		}
		small := lim
		small.Cur = 200 << 10
		if err := syscall.Setrlimit(syscall.RLIMIT_FSIZE, &small); err != nil {
			return err
		}
		o.segmentBytes = 1 << 20 // one segment reaches the limit
		s, _, err := openSpool(dir, o)
		if err != nil {
			return err
		}
		n := from
		for {
			_, k, err := s.append(testRecords(n, n+50))
			n += k
			if err != nil {
				if !errors.Is(err, syscall.EFBIG) {
					return fmt.Errorf("append at the file size limit: %w, want EFBIG", err)
				}
				break
			}
			say("a %d", n)
		}
		say("a %d", n)
		say("e EFBIG")
		// Fails again while the limit holds, then works once it is lifted.
		if _, k, err := s.append(testRecords(n, n+50)); !errors.Is(err, syscall.EFBIG) || k == 50 {
			return fmt.Errorf("second append at the limit: %d written, %v", k, err)
		}
		if err := syscall.Setrlimit(syscall.RLIMIT_FSIZE, &lim); err != nil {
			return err
		}
		if _, k, err := s.append(testRecords(n, n+50)); err != nil || k != 50 {
			return fmt.Errorf("append after the limit was lifted: %d written, %v", k, err)
		}
		say("a %d", n+50)
		if err := s.close(); err != nil {
			return err
		}
		say("ok")
		return nil
	}
	return fmt.Errorf("unknown child mode %q", mode)
}

// killFS is the OS file system, except that the process kills itself
// (SIGKILL, as kill -9) in the middle of a segment write: the at-th one,
// after writing bytes of it.
type killFS struct {
	osFS
	at, bytes int
	writes    int
}

func (k *killFS) OpenFile(name string, flag int, perm fs.FileMode) (spoolFile, error) {
	f, err := os.OpenFile(name, flag, perm)
	if err != nil {
		return nil, err
	}
	if !strings.HasSuffix(name, ".seg") {
		return f, nil
	}
	return &killFile{File: f, fs: k}, nil
}

type killFile struct {
	*os.File
	fs *killFS
}

func (f *killFile) WriteAt(p []byte, off int64) (int, error) {
	if off == 0 {
		return f.File.WriteAt(p, off) // a header: not counted
	}
	f.fs.writes++
	if f.fs.writes == f.fs.at {
		f.File.WriteAt(p[:min(len(p)-1, f.fs.bytes)], off)
		syscall.Kill(os.Getpid(), syscall.SIGKILL)
		select {} // SIGKILL cannot be caught: this is never reached
	}
	return f.File.WriteAt(p, off)
}

// child is a running child process and its progress lines.
type child struct {
	cmd   *exec.Cmd
	lines *bufio.Scanner
	stdin io.WriteCloser
}

func startChild(t *testing.T, mode, dir string, env ...string) *child {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestSpoolChild$", "-test.count=1")
	cmd.Env = append(os.Environ(), append([]string{envChild + "=" + mode, envDir + "=" + dir}, env...)...)
	cmd.Stderr = os.Stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	in, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	c := &child{cmd: cmd, lines: bufio.NewScanner(out), stdin: in}
	t.Cleanup(func() {
		c.cmd.Process.Kill()
		c.cmd.Wait()
	})
	return c
}

// line returns the child's next progress line, or "" at the end of its
// output.
func (c *child) line() string {
	if !c.lines.Scan() {
		return ""
	}
	return c.lines.Text()
}

func TestSpoolSecondOpenerOtherProcess(t *testing.T) {
	dir := t.TempDir()

	// The child holds the spool: this process cannot open it, and the
	// error names the holder.
	holder := startChild(t, "hold", dir)
	if l := holder.line(); l != "ok" {
		t.Fatalf("holding child said %q", l)
	}
	_, _, err := openSpool(dir, spoolOptions{})
	if !errors.Is(err, errSpoolLocked) || !strings.Contains(err.Error(), "SpoolDir") ||
		!strings.Contains(err.Error(), strconv.Itoa(holder.cmd.Process.Pid)) {
		t.Fatalf("open while another process holds the spool: %v, want errSpoolLocked naming SpoolDir and pid %d", err, holder.cmd.Process.Pid)
	}
	// Released when the holder closes it.
	holder.stdin.Close()
	if err := holder.cmd.Wait(); err != nil {
		t.Fatalf("holding child: %v", err)
	}
	s, _ := openTestSpool(t, dir, spoolOptions{})

	// This process holds it: a child cannot open it.
	tryer := startChild(t, "try", dir)
	if l := tryer.line(); !strings.HasPrefix(l, "e ") || !strings.Contains(l, "in use by another spool") {
		t.Fatalf("child opening a held spool said %q, want the lock error", l)
	}
	s.close()

	// kill -9 of a holder leaves no stale lock.
	holder = startChild(t, "hold", dir)
	if l := holder.line(); l != "ok" {
		t.Fatalf("holding child said %q", l)
	}
	holder.cmd.Process.Kill()
	holder.cmd.Wait()
	s, _ = openTestSpool(t, dir, spoolOptions{})
	s.close()
}

// crashModel is what the parent knows of the records children appended
// and acknowledged across restarts of one spool.
type crashModel struct {
	present []int // the record numbers on disk and pending, in order, as last read
	next    int   // the number the next child starts from
}

// crashCheck reopens the spool after a child died and checks what it
// holds against what the child had reported: every record the child had
// appended (line "a N") and not acknowledged ("k N", for N%3 == 0) is
// there, in order, acknowledged ones are not, records the child had no
// time to report are a contiguous run, and damage is only a torn tail.
func crashCheck(t *testing.T, dir string, m *crashModel, appended, acked int, label string) spoolRecovery {
	t.Helper()
	s, rec, err := openSpool(dir, spoolOptions{})
	if err != nil {
		t.Fatalf("%s: reopen: %v", label, err)
	}
	defer s.close()
	if rec.corruptRecs != 0 || rec.missingRecs != 0 || rec.badSegments != 0 || rec.tornRecords > 1 || len(rec.errs) > 0 {
		t.Fatalf("%s: recovery found more than a torn tail: %+v", label, rec)
	}
	_, nums := readAll(t, s, 0)
	if !slices.IsSorted(nums) {
		t.Fatalf("%s: records out of order: %v", label, nums)
	}
	isAcked := func(n int) bool { return n%3 == 0 && n < acked }
	i := 0
	for _, n := range m.present { // earlier children's records stay pending

		if i >= len(nums) || nums[i] != n {
			t.Fatalf("%s: record %d of an earlier child is gone (read %v…)", label, n, head(nums[min(i, len(nums)):]))
		}
		i++
	}
	// This child's records: all of [m.next, appended) but the acked ones,
	// then maybe more that it had not reported.
	for n := m.next; n < appended; n++ {
		if isAcked(n) {
			if i < len(nums) && nums[i] == n {
				t.Fatalf("%s: record %d came back although its ack had returned", label, n)
			}
			continue
		}
		if n%3 == 0 && (i >= len(nums) || nums[i] != n) {
			continue // acknowledged after the last line the parent read: may be gone
		}
		if i >= len(nums) || nums[i] != n {
			got := "nothing"
			if i < len(nums) {
				got = strconv.Itoa(nums[i])
			}
			t.Fatalf("%s: record %d, appended before the kill, is missing (read %s)", label, n, got)
		}
		i++
	}
	extra := nums[i:]
	if len(extra) > 0 && extra[0] != appended && !(extra[0] == appended+1 && appended%3 == 0) {
		t.Fatalf("%s: records beyond the last report start at %d, want %d", label, extra[0], appended)
	}
	for j, n := range extra {
		if j > 0 && n != extra[j-1]+1 && !(n == extra[j-1]+2 && (n-1)%3 == 0) {
			t.Fatalf("%s: records beyond the last report are not a contiguous run: %v", label, extra)
		}
	}
	// Keep this child's records that are not multiples of 3 pending for
	// the next rounds to check; ack the others (those of earlier children,
	// which were checked twice now, and multiples of 3 whose ack did not
	// make it) to keep the spool small.
	m.present = m.present[:0]
	var reack []uint64
	ids, _ := readAll(t, s, 0)
	for j, n := range nums {
		if n >= m.next && n%3 != 0 {
			m.present = append(m.present, n)
		} else {
			reack = append(reack, ids[j])
		}
	}
	if err := s.ack(reack); err != nil {
		t.Fatal(err)
	}
	m.next = max(appended, m.next)
	if len(nums) > 0 {
		m.next = max(m.next, nums[len(nums)-1]+1)
	}
	return rec
}

func crashSeed(t *testing.T) uint64 {
	seed := uint64(time.Now().UnixNano())
	if s := os.Getenv(envSeed); s != "" {
		seed, _ = strconv.ParseUint(s, 10, 64)
	}
	t.Logf("seed %d (set %s to repeat)", seed, envSeed)
	return seed
}

// TestSpoolKill9 kills a child appending to the spool at random points
// (SIGKILL from outside, whatever it is doing), restarting it on the same
// directory each time.
func TestSpoolKill9(t *testing.T) {
	dir := t.TempDir()
	seed := crashSeed(t)
	rng := rand.New(rand.NewPCG(seed, 1))
	m := &crashModel{}
	torn := 0
	const rounds = 10
	for round := 0; round < rounds; round++ {
		c := startChild(t, "append", dir, envFrom+"="+strconv.Itoa(m.next), envSeed+"="+strconv.FormatUint(seed+uint64(round), 10))
		appended, acked := m.next, m.next
		stop := 1 + rng.IntN(150)
		for i := 0; i < stop; i++ {
			l := c.line()
			if l == "" || strings.HasPrefix(l, "e ") {
				t.Fatalf("round %d: child ended: %q", round, l)
			}
			n, _ := strconv.Atoi(l[2:])
			switch l[0] {
			case 'a':
				appended = n
			case 'k':
				acked = n
			}
		}
		c.cmd.Process.Kill()
		c.cmd.Wait()
		rec := crashCheck(t, dir, m, appended, acked, fmt.Sprintf("round %d (killed after %d lines)", round, stop))
		torn += rec.tornRecords
	}
	t.Logf("%d rounds, %d killed mid-write (torn frame truncated), %d records pending at the end", rounds, torn, len(m.present))
}

// TestSpoolKillMidWrite makes the child kill itself inside a segment write,
// after a random number of its bytes: the torn frame is truncated and
// counted, every record of earlier appends is there.
func TestSpoolKillMidWrite(t *testing.T) {
	dir := t.TempDir()
	seed := crashSeed(t)
	rng := rand.New(rand.NewPCG(seed, 2))
	m := &crashModel{}
	const rounds = 12
	torn := 0
	for round := 0; round < rounds; round++ {
		kill := fmt.Sprintf("%d:%d", 2+rng.IntN(40), rng.IntN(3000))
		c := startChild(t, "append", dir, envFrom+"="+strconv.Itoa(m.next),
			envSeed+"="+strconv.FormatUint(seed+uint64(round), 10), envKill+"="+kill)
		appended, acked := m.next, m.next
		for {
			l := c.line()
			if l == "" {
				break
			}
			if strings.HasPrefix(l, "e ") {
				t.Fatalf("round %d: child failed: %q", round, l)
			}
			n, _ := strconv.Atoi(l[2:])
			switch l[0] {
			case 'a':
				appended = n
			case 'k':
				acked = n
			}
		}
		err := c.cmd.Wait()
		var ee *exec.ExitError
		if !errors.As(err, &ee) || ee.Sys().(syscall.WaitStatus).Signal() != syscall.SIGKILL {
			t.Fatalf("round %d: child ended with %v, want killed by SIGKILL", round, err)
		}
		rec := crashCheck(t, dir, m, appended, acked, fmt.Sprintf("round %d (killed in write %s)", round, kill))
		torn += rec.tornRecords
	}
	if torn == 0 {
		t.Fatalf("%d kills inside writes, none left a torn frame", rounds)
	}
	t.Logf("%d rounds, %d torn frames truncated", rounds, torn)
}

// TestSpoolFileSizeLimit runs a child under RLIMIT_FSIZE: the write that
// reaches the limit fails with EFBIG, the files stay consistent, and
// appends work again once the limit is lifted.
func TestSpoolFileSizeLimit(t *testing.T) {
	dir := t.TempDir()
	c := startChild(t, "fsize", dir)
	appended, sawEFBIG, done := 0, false, false
	for l := c.line(); l != ""; l = c.line() {
		switch {
		case l == "ok":
			done = true
		case l == "e EFBIG":
			sawEFBIG = true
		case strings.HasPrefix(l, "a "):
			appended, _ = strconv.Atoi(l[2:])
		default:
			t.Fatalf("child: %q", l)
		}
	}
	if err := c.cmd.Wait(); err != nil || !done || !sawEFBIG {
		t.Fatalf("child: %v, finished %v, hit EFBIG %v", err, done, sawEFBIG)
	}
	s, rec := openTestSpool(t, dir, spoolOptions{})
	if err := rec.problem(); err != nil {
		t.Fatalf("recovery after EFBIG: %v", err)
	}
	_, nums := readAll(t, s, 0)
	if !slices.Equal(nums, seq(0, appended)) {
		t.Fatalf("read back %d records, want the %d the child appended", len(nums), appended)
	}
}

// openFDs counts this process's open file descriptors.
func openFDs(t *testing.T) int {
	t.Helper()
	entries, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Fatal(err)
	}
	return len(entries)
}

// TestSpoolBoundedHandles keeps hundreds of segments live, never syncing,
// and acknowledges a record in each: the spool's open files stay bounded.
func TestSpoolBoundedHandles(t *testing.T) {
	before := openFDs(t)
	s, _ := openTestSpool(t, t.TempDir(), spoolOptions{segmentBytes: 1 << 10})
	for n := 0; n < 2000; n += 10 {
		mustAppend(t, s, testRecords(n, n+10))
	}
	segs := s.stats().segments
	if segs < 100 {
		t.Fatalf("%d segments, want hundreds", segs)
	}
	for id := uint64(1); id <= 2000; id += 7 {
		if err := s.ack([]uint64{id}); err != nil {
			t.Fatal(err)
		}
	}
	limit := maxUnsynced + maxOpenJournals + 2 // the lock file, the active segment
	if got := openFDs(t) - before; got > limit {
		t.Fatalf("%d files open for %d live segments, want at most %d", got, segs, limit)
	}
	if err := s.sync(); err != nil {
		t.Fatal(err)
	}
	_, nums := readAll(t, s, 0)
	if want := 2000 - (2000+6)/7; len(nums) != want {
		t.Fatalf("read back %d records, want %d", len(nums), want)
	}
}
