package kafkatest

import (
	"errors"
	"fmt"
	"net"
	"os"
	"slices"
	"strconv"
	"sync"
	"testing"

	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/sasl"
)

const (
	// DefaultTopic is the topic every cluster is seeded with.
	DefaultTopic = "logs"

	// DefaultPartitions is the partition count of [DefaultTopic] and of
	// every topic created automatically or by [Cluster.CreateTopic] with a
	// non-positive count.
	DefaultPartitions = 3

	// DefaultBrokers is the number of brokers a cluster starts with.
	DefaultBrokers = 3
)

// Cluster is an in-process Kafka cluster: a [kfake.Cluster] plus what it
// takes to read back from it, restart it and shut it down.
//
// A Cluster is safe for concurrent use. Its zero value is not usable: get
// one from [Start] or [StartCluster].
type Cluster struct {
	// mu guards k, known and closed. It is held across kfake calls that
	// go through the cluster's run loop (ListenAddrs, Close), because a
	// closed kfake cluster answers those by blocking forever.
	mu     sync.Mutex
	k      *kfake.Cluster // nil while stopped
	known  []string       // every listen address the cluster has had
	closed bool

	opts    []kfake.Opt // everything NewCluster got, replayed by Restart
	dataDir string      // removed by Close if ownDir
	ownDir  bool

	mech sasl.Mechanism // nil without SASL
	tls  *Certs         // nil without TLS
}

// Start starts a cluster for the test t and closes it in t.Cleanup. It skips
// the test under -short and fails it if the cluster cannot start.
//
// The cluster has [DefaultBrokers] brokers listening on random ports of
// 127.0.0.1 and topic [DefaultTopic] with [DefaultPartitions] partitions. It
// creates an unknown topic, with [DefaultPartitions] partitions, for a client
// whose Metadata request asks for it (kafka-go's Writer does if its
// AllowAutoTopicCreation is set). Its log lives in t.TempDir(), so it
// survives [Cluster.Restart].
//
// opts go to [kfake.NewCluster] after these defaults, so they override them,
// and may include this package's [SASL] and [TLS] options.
func Start(t testing.TB, opts ...kfake.Opt) *Cluster {
	t.Helper()
	if testing.Short() {
		t.Skip("kafkatest: skipping in-process Kafka cluster under -short")
	}
	c, err := start(t.TempDir(), false, opts)
	if err != nil {
		t.Fatalf("kafkatest: %v", err)
	}
	t.Cleanup(c.Close)
	return c
}

// StartCluster is [Start] for code without a [testing.TB], such as examples
// and benchmarks. The log lives in a new temporary directory that
// [Cluster.Close] removes. The caller must call Close.
func StartCluster(opts ...kfake.Opt) (*Cluster, error) {
	dir, err := os.MkdirTemp("", "kafkatest-")
	if err != nil {
		return nil, fmt.Errorf("kafkatest: %w", err)
	}
	c, err := start(dir, true, opts)
	if err != nil {
		os.RemoveAll(dir)
		return nil, fmt.Errorf("kafkatest: %w", err)
	}
	return c, nil
}

func start(dir string, ownDir bool, opts []kfake.Opt) (*Cluster, error) {
	c := &Cluster{dataDir: dir, ownDir: ownDir}
	all := []kfake.Opt{
		kfake.NumBrokers(DefaultBrokers),
		kfake.SeedTopics(DefaultPartitions, DefaultTopic),
		kfake.AllowAutoTopicCreation(),
		kfake.DefaultNumPartitions(DefaultPartitions),
		kfake.DataDir(dir),
	}
	for _, o := range opts {
		switch o := o.(type) {
		case saslOpt:
			mech, err := o.mechanism()
			if err != nil {
				return nil, err
			}
			c.mech = mech
			all = append(all, kfake.EnableSASL())
		case tlsOpt:
			c.tls = o.certs
		}
		all = append(all, o)
	}
	k, err := kfake.NewCluster(all...)
	if err != nil {
		return nil, err
	}
	c.k = k
	c.opts = all
	c.listenAddrsLocked()
	return c, nil
}

// Addrs returns the host:port of every running broker, to give the producer
// under test as its bootstrap servers. While the cluster is stopped it
// returns the addresses [Cluster.Restart] will start brokers on.
func (c *Cluster) Addrs() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.k == nil {
		return slices.Clone(c.known)
	}
	return c.listenAddrsLocked()
}

// listenAddrsLocked returns the running cluster's addresses, adding them to
// known.
func (c *Cluster) listenAddrsLocked() []string {
	addrs := c.k.ListenAddrs()
	for _, a := range addrs {
		if !slices.Contains(c.known, a) {
			c.known = append(c.known, a)
		}
	}
	return addrs
}

// Kfake returns the running [kfake.Cluster], for fault injection and
// topology changes (see the package documentation). It returns nil while the
// cluster is stopped, and a new value after each [Cluster.Restart]: faults
// and control functions do not survive a restart.
//
// Do not call Close on it: use [Cluster.Stop] or [Cluster.Close]. A closed
// kfake cluster blocks forever in most of its methods.
func (c *Cluster) Kfake() *kfake.Cluster {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.k
}

// ClientOpts returns the options a franz-go client needs to reach the
// cluster: its seed brokers and, if the cluster was started with them, the
// [SASL] login and the [TLS] trust. Tests use it to produce records or to
// build their own consumers.
func (c *Cluster) ClientOpts() []kgo.Opt {
	opts := []kgo.Opt{kgo.SeedBrokers(c.Addrs()...)}
	if c.mech != nil {
		opts = append(opts, kgo.SASL(c.mech))
	}
	if c.tls != nil {
		opts = append(opts, kgo.DialTLSConfig(c.tls.Client.Clone()))
	}
	return opts
}

// CreateTopic creates topic with the given number of partitions, or
// [DefaultPartitions] if partitions is not positive, failing t if it cannot.
// It goes straight to the cluster, so faults and SASL do not apply. For topic
// configs (such as max.message.bytes) call [kfake.Cluster.CreateTopic]
// through [Cluster.Kfake].
func (c *Cluster) CreateTopic(t testing.TB, topic string, partitions int) {
	t.Helper()
	k := c.Kfake()
	if k == nil {
		t.Fatalf("kafkatest: CreateTopic(%q) on a stopped cluster", topic)
	}
	if partitions <= 0 {
		partitions = DefaultPartitions
	}
	if err := k.CreateTopic(topic, int32(partitions), nil); err != nil {
		t.Fatalf("kafkatest: CreateTopic(%q, %d): %v", topic, partitions, err)
	}
}

// Stop shuts every broker down, as if the Kafka processes died: listeners
// close and open connections drop. The log and the ports are kept for
// [Cluster.Restart]. Stop on a stopped or closed cluster does nothing.
func (c *Cluster) Stop() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.stopLocked()
}

func (c *Cluster) stopLocked() {
	if c.k == nil {
		return
	}
	c.listenAddrsLocked()
	c.k.Close()
	c.k = nil
}

// Restart stops the cluster if it is running, then starts brokers again with
// the same options and the same log, so records written before the restart
// can still be read (unless the cluster was started with kfake.DataDir("")). A broker comes back on every address the cluster has
// listened on: those removed with [kfake.Cluster.RemoveNode] and those added
// with [kfake.Cluster.AddNode] too. Faults and control functions installed
// through [Cluster.Kfake] do not survive.
//
// Restart fails if a port was taken in the meantime or the cluster is
// closed.
func (c *Cluster) Restart() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return errors.New("kafkatest: Restart on a closed cluster")
	}
	c.stopLocked()
	ports := make([]int, 0, len(c.known))
	for _, a := range c.known {
		p, err := port(a)
		if err != nil {
			return fmt.Errorf("kafkatest: restart: %w", err)
		}
		ports = append(ports, p)
	}
	opts := append(c.opts[:len(c.opts):len(c.opts)], kfake.Ports(ports...))
	k, err := kfake.NewCluster(opts...)
	if err != nil {
		return fmt.Errorf("kafkatest: restart: %w", err)
	}
	c.k = k
	c.listenAddrsLocked()
	return nil
}

// Close shuts the cluster down for good and, for a cluster from
// [StartCluster], removes its log. Close is idempotent.
func (c *Cluster) Close() {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return
	}
	c.closed = true
	c.stopLocked()
	if c.ownDir {
		os.RemoveAll(c.dataDir)
	}
}

func port(hostport string) (int, error) {
	_, p, err := net.SplitHostPort(hostport)
	if err != nil {
		return 0, err
	}
	return strconv.Atoi(p)
}
