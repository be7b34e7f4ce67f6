//go:build linux

package core_test

// Durable mode with the logging process in a child (this test binary,
// re-executed into TestSinkChild) that is killed with SIGKILL, runs into a
// file size limit, or holds the spool directory; the brokers live here, in
// the parent, and survive the child.
//
// The child reports on stdout, one line per event, each written with one
// unbuffered write:
//
//	ready R          New returned; R entries replayed (Stats.Replayed)
//	a N S K U T      progress: N entries accepted (ids from+0 … from+N-1), S of them
//	                 on disk (Stats.Spool.Appended), K kept in memory only (Skipped),
//	                 U not yet through a spool write (Unwritten), at T (Unix ns); N is
//	                 read before the Stats
//	done D R C X Q   drain: after Flush and Close, Delivered, Replayed, Dropped.Corrupt,
//	                 Dropped.Total, QueueDepth
//	e MSG            an error

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/kafkasink/kafkasink/core"
	"github.com/kafkasink/kafkasink/integration/kafkatest"
)

const (
	envSinkChild   = "KAFKASINK_SINK_CHILD" // the child's mode: write, drain, hold or fsize
	envSinkDir     = "KAFKASINK_SINK_DIR"
	envSinkBrokers = "KAFKASINK_SINK_BROKERS"
	envSinkTopic   = "KAFKASINK_SINK_TOPIC"
	envSinkFrom    = "KAFKASINK_SINK_FROM" // the first id the child writes
)

// childRate is the entries a second a writing child logs: enough to fill
// memory during a short outage, few enough that the spool stays small.
const childRate = 40000

// TestSinkChild is not a test: it is the child process of the others.
func TestSinkChild(t *testing.T) {
	mode := os.Getenv(envSinkChild)
	if mode == "" {
		t.Skip("the child process of the durable-mode crash tests")
	}
	if err := sinkChild(mode); err != nil {
		childSay("e %v", err)
		os.Exit(1)
	}
	os.Exit(0)
}

func childSay(format string, args ...any) {
	os.Stdout.Write(fmt.Appendf(nil, format+"\n", args...)) // one write, unbuffered
}

func childConfig() core.Config {
	return core.Config{
		Brokers: strings.Split(os.Getenv(envSinkBrokers), ","), Topic: os.Getenv(envSinkTopic),
		SpoolDir: os.Getenv(envSinkDir), SpoolByteLimit: 64 << 20,
		QueueByteLimit: 4 << 20, MaxEntryBytes: 64 << 10, MaxBatchBytes: 256 << 10,
		BatchSizeLimit: 500, Period: 20 * time.Millisecond, MaxBackoff: 200 * time.Millisecond,
		OverflowPolicy: core.Block, BlockTimeout: time.Minute,
		ErrorHandler: func(err error) {
			var se *core.SpoolError
			if errors.As(err, &se) {
				childSay("e %v", err)
			}
		},
	}
}

func sinkChild(mode string) error {
	from, _ := strconv.Atoi(os.Getenv(envSinkFrom))
	switch mode {
	case "write": // log numbered entries until killed
		s, err := core.New(childConfig())
		if err != nil {
			return err
		}
		childSay("ready %d", s.Stats().Replayed)
		var accepted atomic.Int64
		go progress(s, &accepted, 2*time.Millisecond)
		writeAt(s, from, -1, &accepted)
		return nil
	case "drain": // deliver what the spool holds, then close
		s, err := core.New(childConfig())
		if err != nil {
			return err
		}
		childSay("ready %d", s.Stats().Replayed)
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		defer cancel()
		ferr := s.Flush(ctx)
		cerr := s.Close(ctx)
		st := s.Stats()
		childSay("done %d %d %d %d %d", st.Delivered, st.Replayed, st.Dropped.Corrupt, st.Dropped.Total(), st.QueueDepth)
		return errors.Join(ferr, cerr)
	case "hold": // hold the spool until stdin closes
		s, err := core.New(childConfig())
		if err != nil {
			return err
		}
		childSay("ready %d", s.Stats().Replayed)
		bufio.NewReader(os.Stdin).ReadString('\n')
		return s.Close(context.Background())
	case "fsize": // log into a file size limit, then past it once lifted
		return fsizeChild(from)
	}
	return fmt.Errorf("unknown child mode %q", mode)
}

// writeAt writes entries from id from on, n of them (-1: forever), at
// childRate, counting those accepted.
func writeAt(s *core.Sink, from, n int, accepted *atomic.Int64) {
	buf := make([]byte, 0, 256)
	start := time.Now()
	for i := 0; n < 0 || i < n; i++ {
		buf = spoolLine(buf, from+i)
		if err := s.Write(core.Entry{Level: core.InfoLevel, JSON: buf}); err != nil {
			childSay("e Write(%d): %v", from+i, err)
			return
		}
		accepted.Add(1)
		if i%50 == 49 {
			if ahead := time.Duration(i+1)*time.Second/childRate - time.Since(start); ahead > 0 {
				time.Sleep(ahead)
			}
		}
	}
}

// progress prints an "a" line every d.
func progress(s *core.Sink, accepted *atomic.Int64, d time.Duration) {
	for {
		n := accepted.Load()
		st := s.Stats()
		childSay("a %d %d %d %d %d", n, st.Spool.Appended, st.Spool.Skipped, st.Spool.Unwritten, time.Now().UnixNano())
		time.Sleep(d)
	}
}

// fsizeChild runs the sink under RLIMIT_FSIZE, so that the spool's segment
// cannot grow (EFBIG, as a full disk), and lifts the limit halfway.
func fsizeChild(from int) error {
	var lim syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_FSIZE, &lim); err != nil {
		return err
	}
	small := lim
	small.Cur = 256 << 10
	if err := syscall.Setrlimit(syscall.RLIMIT_FSIZE, &small); err != nil {
		return err
	}
	s, err := core.New(childConfig())
	if err != nil {
		return err
	}
	childSay("ready %d", s.Stats().Replayed)
	var accepted atomic.Int64
	stats := func() core.Stats {
		st := s.Stats()
		childSay("a %d %d %d %d %d", accepted.Load(), st.Spool.Appended, st.Spool.Skipped, st.Spool.Unwritten, time.Now().UnixNano())
		return st
	}
	waitStats := func(cond func(core.Stats) bool) error {
		for deadline := time.Now().Add(time.Minute); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
			if cond(s.Stats()) {
				return nil
			}
		}
		return fmt.Errorf("timed out; stats %+v", s.Stats())
	}
	// Past the limit: entries stay in memory only, and are delivered.
	writeAt(s, from, 5000, &accepted)
	if err := waitStats(func(st core.Stats) bool { return st.Spool.Skipped > 0 && st.Delivered == 5000 }); err != nil {
		return fmt.Errorf("the spool never hit the file size limit: %w", err)
	}
	full := stats()
	if err := syscall.Setrlimit(syscall.RLIMIT_FSIZE, &lim); err != nil {
		return err
	}
	time.Sleep(1500 * time.Millisecond) // past the sink's retry of the disk
	writeAt(s, from+5000, 5000, &accepted)
	if err := waitStats(func(st core.Stats) bool { return st.Delivered == 10000 }); err != nil {
		return err
	}
	after := stats()
	childSay("f %d %d %d %d", full.Spool.Skipped, full.Spool.Appended, after.Spool.Skipped, after.Spool.Appended)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cerr := s.Close(ctx)
	st := s.Stats()
	childSay("done %d %d %d %d %d", st.Delivered, st.Replayed, st.Dropped.Corrupt, st.Dropped.Total(), st.QueueDepth)
	return cerr
}

// sinkChildProc is a running child and the lines it has printed.
type sinkChildProc struct {
	t     *testing.T
	cmd   *exec.Cmd
	stdin interface{ Close() error }

	mu    sync.Mutex
	lines []string
	cond  *sync.Cond
	eof   bool
}

func startSinkChild(t *testing.T, mode, dir string, c *kafkatest.Cluster, topic string, from int) *sinkChildProc {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestSinkChild$", "-test.count=1")
	cmd.Env = append(os.Environ(), envSinkChild+"="+mode, envSinkDir+"="+dir,
		envSinkBrokers+"="+strings.Join(c.Addrs(), ","), envSinkTopic+"="+topic, envSinkFrom+"="+strconv.Itoa(from))
	cmd.Stderr = os.Stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	p := &sinkChildProc{t: t, cmd: cmd, stdin: stdin}
	p.cond = sync.NewCond(&p.mu)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			p.mu.Lock()
			p.lines = append(p.lines, sc.Text())
			p.cond.Broadcast()
			p.mu.Unlock()
		}
		p.mu.Lock()
		p.eof = true
		p.cond.Broadcast()
		p.mu.Unlock()
	}()
	t.Cleanup(func() {
		cmd.Process.Kill()
		p.wait()
	})
	return p
}

// line waits for a line starting with prefix and returns its fields, or
// fails the test if the child's output ends first.
func (p *sinkChildProc) line(prefix string) []string {
	p.t.Helper()
	p.mu.Lock()
	defer p.mu.Unlock()
	for i := 0; ; p.cond.Wait() {
		for ; i < len(p.lines); i++ {
			if l := p.lines[i]; strings.HasPrefix(l, prefix+" ") || l == prefix {
				return strings.Fields(l)[1:]
			}
		}
		if p.eof {
			p.t.Fatalf("child ended without a %q line; its output: %q", prefix, p.lines)
		}
	}
}

// wait waits for the child's output to end and the child to exit, and
// returns its lines.
func (p *sinkChildProc) wait() ([]string, error) {
	p.mu.Lock()
	for !p.eof {
		p.cond.Wait()
	}
	lines := p.lines
	p.mu.Unlock()
	return lines, p.cmd.Wait()
}

func atoi(t *testing.T, s string) int64 {
	t.Helper()
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		t.Fatalf("child line: %v", err)
	}
	return n
}

// killRound is what one killed writer reported.
type killRound struct {
	from     int
	replayed int64
	ran      time.Duration // from ready to the kill
	accepted int64         // the last progress line's N
	spooled  int64         // its S: ids from … from+S-1 were on disk
	skipped  int64
	// The last progress line at least SpoolInterval before the kill: its
	// N, and its U+K, the entries of those not through a spool write, or
	// kept in memory only, when it was written.
	window       int64
	windowUnsafe int64
	maxLag       int64 // the most entries accepted and not yet on disk, over the progress lines
	maxUnwritten int64 // the largest U, over the progress lines
}

// TestSpoolKill9 kills a logging child with SIGKILL at random points, a
// few rounds on one SpoolDir, the brokers up (the child delivering as it
// logs) or down (everything on disk, spilled out of memory); then a last
// child drains the spool with the brokers up. Every entry a child had on
// disk when it last reported is in Kafka; duplicates are counted, and so
// are the entries lost, exactly: those a child accepted in its last
// moments, before they reached the disk. Of those it accepted more than a
// SpoolInterval before the kill, no more are lost than its report then
// counted in Stats.Spool.Unwritten (and Skipped): on a loaded machine the
// writer can be far behind, but never more than it says.
func TestSpoolKill9(t *testing.T) {
	seed := uint64(time.Now().UnixNano())
	if s := os.Getenv("KAFKASINK_KILL_SEED"); s != "" {
		seed, _ = strconv.ParseUint(s, 10, 64)
	}
	t.Logf("seed %d (KAFKASINK_KILL_SEED)", seed)
	rng := rand.New(rand.NewPCG(seed, 9))
	const spoolInterval = 10 * time.Millisecond // the default, which the children use
	for _, down := range []bool{false, true} {
		name := "brokers up"
		if down {
			name = "brokers down"
		}
		t.Run(name, func(t *testing.T) {
			c := kafkatest.Start(t)
			topic := strings.ReplaceAll("durable-kill-"+name, " ", "-")
			c.CreateTopic(t, topic, 3)
			dir := t.TempDir()
			if down {
				c.Stop()
			}
			var rounds []killRound
			for r := range 4 {
				from := r * 10_000_000
				p := startSinkChild(t, "write", dir, c, topic, from)
				replayed := atoi(t, p.line("ready")[0])
				started := time.Now()
				time.Sleep(time.Duration(100+rng.IntN(500)) * time.Millisecond)
				killAt := time.Now()
				if err := p.cmd.Process.Kill(); err != nil {
					t.Fatal(err)
				}
				lines, _ := p.wait()
				kr := killRound{from: from, replayed: replayed, ran: killAt.Sub(started)}
				for _, l := range lines {
					f := strings.Fields(l)
					switch {
					case f[0] == "a" && len(f) == 6:
						n, s, k, u, at := atoi(t, f[1]), atoi(t, f[2]), atoi(t, f[3]), atoi(t, f[4]), atoi(t, f[5])
						kr.accepted, kr.spooled, kr.skipped = n, s, k
						kr.maxLag = max(kr.maxLag, n-s)
						kr.maxUnwritten = max(kr.maxUnwritten, u)
						if time.Unix(0, at).Before(killAt.Add(-spoolInterval)) {
							kr.window, kr.windowUnsafe = n, u+k
						}
					case f[0] == "e" && killTear(l):
						t.Logf("round %d: the child found what the kill before tore: %s", r, l)
					case f[0] == "e":
						t.Errorf("round %d: child: %s", r, l)
					}
				}
				if kr.accepted == 0 {
					t.Fatalf("round %d: the child reported no progress before the kill: %q", r, lines)
				}
				rounds = append(rounds, kr)
			}
			if down {
				if err := c.Restart(); err != nil {
					t.Fatal(err)
				}
			}
			p := startSinkChild(t, "drain", dir, c, topic, 0)
			p.line("ready")
			done := p.line("done")
			if _, err := p.wait(); err != nil {
				t.Fatalf("drain child: %v", err)
			}
			delivered, replayed, corrupt, dropped, depth := atoi(t, done[0]), atoi(t, done[1]), atoi(t, done[2]), atoi(t, done[3]), atoi(t, done[4])
			if depth != 0 || dropped != corrupt || delivered+corrupt != replayed {
				t.Errorf("drain: delivered %d, replayed %d, corrupt %d, dropped %d, still held %d; want everything replayed delivered or counted corrupt, nothing held",
					delivered, replayed, corrupt, dropped, depth)
			}

			var must int
			for _, kr := range rounds {
				must += int(kr.spooled)
			}
			counts := idCounts(t, c.ReadN(t, topic, must, time.Minute))
			var sum struct{ accepted, delivered, dups, lost, lostWindow int }
			for r, kr := range rounds {
				// Ids past the last report were accepted too, after it.
				extra := 0
				for id := kr.from + int(kr.accepted); counts[id] > 0; id++ {
					extra++
				}
				accepted := int(kr.accepted) + extra
				present, dups, missing := tally(counts, kr.from, kr.from+accepted)
				var onDisk, inWindow int
				for _, id := range missing {
					if id < kr.from+int(kr.spooled) {
						onDisk++
					}
					if id < kr.from+int(kr.window) {
						inWindow++
					}
				}
				t.Logf("round %d (killed %v after New): accepted %d (%d reported, %d on disk, %d replayed at start), delivered %d, duplicated %d, lost %d (of those accepted before the last %v: %d, with %d unwritten then); at most %d entries accepted and not yet on disk at a report, Spool.Unwritten at most %d",
					r, kr.ran.Round(time.Millisecond), accepted, kr.accepted, kr.spooled, kr.replayed, present, dups, len(missing), spoolInterval, inWindow, kr.windowUnsafe, kr.maxLag, kr.maxUnwritten)
				if onDisk > 0 {
					t.Errorf("round %d: %d entries the child had on disk are missing from Kafka, first %v", r, onDisk, missing[:min(5, len(missing))])
				}
				// The promise: a kill -9 loses the entries accepted in the
				// last SpoolInterval, and those the writer had not reached
				// yet, which Stats.Spool.Unwritten counts (plus any kept in
				// memory only). Of the entries accepted by the last report
				// an interval before the kill, no more are lost than that
				// report counted as not yet written.
				if int64(inWindow) > kr.windowUnsafe {
					t.Errorf("round %d: %d entries accepted more than %v before the kill are lost, but the report then counted %d not yet through a spool write (Unwritten + Skipped)",
						r, inWindow, spoolInterval, kr.windowUnsafe)
				}
				if kr.skipped != 0 {
					t.Errorf("round %d: %d entries kept in memory only: the disk was expected to take them all", r, kr.skipped)
				}
				sum.accepted += accepted
				sum.delivered += present
				sum.dups += dups
				sum.lost += len(missing)
				sum.lostWindow += inWindow
			}
			t.Logf("%s, %d kills: accepted %d, delivered %d, duplicated %d, lost %d (all after the last spool write; %d accepted more than %v before a kill, all counted as unwritten then); drain: %d replayed, %d corrupt (torn at a kill)",
				name, len(rounds), sum.accepted, sum.delivered, sum.dups, sum.lost, sum.lostWindow, spoolInterval, replayed, corrupt)
		})
	}
}

// killTear reports whether a child's error line is New's report of what a
// kill -9 during a write leaves, and nothing else: the last record of a
// segment torn (its entries were never reported on disk; the drain counts
// such a record as Corrupt), or the tail of an acknowledgement journal
// (those records are sent again: duplicates).
func killTear(line string) bool {
	const prefix = "e kafkasink: spool recover: kafkasink: SpoolDir recovery: "
	rest, ok := strings.CutPrefix(line, prefix)
	if !ok {
		return false
	}
	for part := range strings.SplitSeq(rest, ", ") {
		var n int
		if part == "1 torn record truncated" {
			continue
		}
		if _, err := fmt.Sscanf(part, "%d journal bytes truncated (their acknowledgements are lost: those records are sent again)", &n); err == nil && n > 0 {
			continue
		}
		return false
	}
	return true
}

// TestSpoolFileSizeLimit runs the logging child under RLIMIT_FSIZE, so
// that the spool cannot grow (EFBIG, as a full disk): the sink reports it,
// delivers from memory, counts the entries kept in memory only, and
// spools again once the limit is lifted. Every entry reaches Kafka.
func TestSpoolFileSizeLimit(t *testing.T) {
	c := kafkatest.Start(t)
	const topic = "durable-fsize"
	c.CreateTopic(t, topic, 3)
	p := startSinkChild(t, "fsize", t.TempDir(), c, topic, 0)
	p.line("ready")
	f := p.line("f")
	done := p.line("done")
	lines, err := p.wait()
	if err != nil {
		t.Fatalf("child: %v; output %q", err, lines)
	}
	fullSkipped, fullAppended, skipped, appended := atoi(t, f[0]), atoi(t, f[1]), atoi(t, f[2]), atoi(t, f[3])
	t.Logf("at the limit: %d kept in memory only, %d on disk; once lifted: %d and %d", fullSkipped, fullAppended, skipped, appended)
	if fullSkipped == 0 || appended <= fullAppended || skipped != fullSkipped {
		t.Errorf("skipped %d and appended %d at the limit, %d and %d after; want some skipped at the limit, none after, and appends again", fullSkipped, fullAppended, skipped, appended)
	}
	sawEFBIG := false
	for _, l := range lines {
		if strings.HasPrefix(l, "e ") && strings.Contains(l, "spool append") && strings.Contains(l, "file too large") {
			sawEFBIG = true
		}
	}
	if !sawEFBIG {
		t.Errorf("no SpoolError for the append reported; child output %q", lines)
	}
	if delivered := atoi(t, done[0]); delivered != 10000 {
		t.Errorf("delivered %d, want 10000", delivered)
	}
	counts := idCounts(t, c.ReadN(t, topic, 10000, time.Minute))
	if _, dups, missing := tally(counts, 0, 10000); len(missing) > 0 || dups > 0 {
		t.Errorf("%d entries missing from Kafka, %d duplicates; want none", len(missing), dups)
	}
}

// TestSpoolSecondProcess: while a child holds the spool, New on the same
// directory fails with a ConfigError naming SpoolDir and the holder's pid;
// once it closes, New works.
func TestSpoolSecondProcess(t *testing.T) {
	c := kafkatest.Start(t)
	dir := t.TempDir()
	p := startSinkChild(t, "hold", dir, c, "logs", 0)
	p.line("ready")
	_, err := core.New(core.Config{Brokers: c.Addrs(), SpoolDir: dir})
	var ce *core.ConfigError
	if !errors.As(err, &ce) || ce.Field != "SpoolDir" || !errors.Is(err, core.ErrSpoolLocked) ||
		!strings.Contains(err.Error(), strconv.Itoa(p.cmd.Process.Pid)) {
		t.Fatalf("New while another process holds SpoolDir = %v; want a ConfigError naming SpoolDir, ErrSpoolLocked, with the holder's pid %d", err, p.cmd.Process.Pid)
	}
	t.Logf("the second process gets: %v", err)
	p.stdin.Close()
	if _, err := p.wait(); err != nil {
		t.Fatalf("holder: %v", err)
	}
	s, err := core.New(core.Config{Brokers: c.Addrs(), SpoolDir: dir})
	if err != nil {
		t.Fatalf("New once the holder closed = %v", err)
	}
	if err := s.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
}

// TestKillTear: which error lines of a killed child's successor are what
// the kill left, and which are real errors.
func TestKillTear(t *testing.T) {
	const p = "e kafkasink: spool recover: kafkasink: SpoolDir recovery: "
	for _, c := range []struct {
		line string
		want bool
	}{
		{p + "1 torn record truncated", true},
		{p + "310 journal bytes truncated (their acknowledgements are lost: those records are sent again)", true},
		{p + "1 torn record truncated, 12 journal bytes truncated (their acknowledgements are lost: those records are sent again)", true},
		{p + "1 torn record truncated, 3 records lost to corruption", false},
		{p + "2 damaged bytes skipped", false},
		{p + "0 journal bytes truncated (their acknowledgements are lost: those records are sent again)", false},
		{"e kafkasink: spool append: write 000001.seg: no space left on device", false},
		{"e Write(12): kafkasink: queue full", false},
	} {
		if got := killTear(c.line); got != c.want {
			t.Errorf("killTear(%q) = %v, want %v", c.line, got, c.want)
		}
	}
}
