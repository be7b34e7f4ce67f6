package bench_test

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/twmb/franz-go/pkg/kfake"
	"go.uber.org/goleak"

	"github.com/kafkasink/kafkasink/integration/kafkatest"
)

// brokerEnv makes the test binary a broker: TestMain then runs a kfake
// cluster instead of the tests, prints its addresses on a line, and stops
// when its stdin closes.
const brokerEnv = "KAFKASINK_BENCH_BROKER"

func TestMain(m *testing.M) {
	if os.Getenv(brokerEnv) == "1" {
		runBroker()
		return
	}
	goleak.VerifyTestMain(m)
}

func runBroker() {
	c, err := kafkatest.StartCluster(kfake.NumBrokers(1), kfake.SeedTopics(benchPartitions, "logs"),
		kfake.BlackholeProduce(), kfake.DataDir(""))
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	fmt.Println(strings.Join(c.Addrs(), ","))
	io.Copy(io.Discard, os.Stdin) // until the parent closes it
	c.Close()
}

// benchPartitions is the partition count of the benchmark topic.
const benchPartitions = 4

// childBroker starts a one-broker kfake cluster that acknowledges and
// discards what it is sent, in a child process, so that the broker's CPU
// is not the logging process's: the benchmarks measure the logging
// process alone. It returns the broker's addresses.
func childBroker(tb testing.TB) []string {
	tb.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), brokerEnv+"=1")
	cmd.Stderr = os.Stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		tb.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		tb.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() {
		stdin.Close()
		cmd.Wait()
	})
	line, err := bufio.NewReader(stdout).ReadString('\n')
	if err != nil {
		tb.Fatalf("child broker: %v", err)
	}
	return strings.Split(strings.TrimSpace(line), ",")
}
