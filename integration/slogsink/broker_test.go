package slogsink_test

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kfake"

	"github.com/kafkasink/kafkasink/integration/kafkatest"
)

// brokerEnv, set in the environment of this test binary, makes
// TestBrokerProcess serve a broker for a benchmark in the parent process,
// so that the broker's CPU time is not the benchmark's.
const brokerEnv = "SLOGSINK_BENCH_BROKER"

// addrsPrefix starts the line on which the broker process prints its
// addresses.
const addrsPrefix = "broker-addrs: "

// TestBrokerProcess is not a test: run as a child process with brokerEnv
// set, it starts a one-broker cluster that acknowledges and discards what
// it gets (kfake.BlackholeProduce), prints its addresses, and serves until
// its standard input closes, which happens when the parent closes it or
// exits.
func TestBrokerProcess(t *testing.T) {
	if os.Getenv(brokerEnv) == "" {
		t.Skip("only runs as the broker process of BenchmarkSlogHandler")
	}
	c, err := kafkatest.StartCluster(kfake.NumBrokers(1), kfake.BlackholeProduce(), kfake.DataDir(""))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	fmt.Printf("\n%s%s\n", addrsPrefix, strings.Join(c.Addrs(), ","))
	_, _ = io.Copy(io.Discard, os.Stdin)
}

// brokerProcess is a broker running in a child process.
type brokerProcess struct {
	cmd   *exec.Cmd
	stdin io.Closer
	addrs []string
}

// startBroker starts a broker process for b and stops it when b ends.
func startBroker(b *testing.B) *brokerProcess {
	b.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestBrokerProcess$", "-test.count=1")
	cmd.Env = append(os.Environ(), brokerEnv+"=1")
	out := &addrsWriter{found: make(chan string, 1)}
	cmd.Stdout = out
	cmd.Stderr = os.Stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		b.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	p := &brokerProcess{cmd: cmd, stdin: stdin}
	b.Cleanup(p.stop)
	select {
	case addrs := <-out.found:
		p.addrs = strings.Split(addrs, ",")
	case <-time.After(time.Minute):
		b.Fatalf("the broker process printed no addresses in a minute; it wrote: %s", out.text())
	}
	return p
}

func (p *brokerProcess) pid() int { return p.cmd.Process.Pid }

func (p *brokerProcess) stop() {
	p.stdin.Close()
	_ = p.cmd.Wait()
}

// addrsWriter is the broker process's standard output: it passes on the
// addresses line.
type addrsWriter struct {
	mu    sync.Mutex
	buf   bytes.Buffer
	found chan string
	sent  bool
}

func (w *addrsWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.buf.Write(p)
	if !w.sent {
		s := w.buf.String()
		if i := strings.Index(s, addrsPrefix); i >= 0 {
			if j := strings.IndexByte(s[i:], '\n'); j >= 0 {
				w.found <- s[i+len(addrsPrefix) : i+j]
				w.sent = true
			}
		}
	}
	return len(p), nil
}

func (w *addrsWriter) text() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.buf.String()
}
