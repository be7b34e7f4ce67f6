// Package kafkatest runs an in-process Kafka cluster for end-to-end tests of
// the sink and reads back, with an independent client, what landed in it.
//
// The cluster is [kfake] from franz-go: no Docker, no JVM, a few
// milliseconds to start. The producer under test (kafka-go) writes to it
// over real sockets; this package reads back with franz-go's kgo, so a bug
// in one client cannot hide behind the same bug in the other.
//
// This package is test machinery. It lives in the integration module,
// which users of the sink never require, so that kfake and franz-go stay
// out of their builds: the integration suites, the examples and their
// benchmarks use it.
//
// # Starting a cluster
//
//	c := kafkatest.Start(t) // 3 brokers, topic "logs" with 3 partitions
//	sink, err := core.New(core.Config{Brokers: c.Addrs()})
//	// ... write 100 entries, flush ...
//	recs := c.ReadN(t, kafkatest.DefaultTopic, 100, 5*time.Second)
//
// [Start] skips the test under -short and closes the cluster in t.Cleanup.
// Options are [kfake.Opt] values, applied after the defaults so they win:
//
//	kafkatest.Start(t, kfake.NumBrokers(1), kfake.SeedTopics(1, "audit"))
//	kafkatest.Start(t, kfake.BrokerConfigs(map[string]string{"message.max.bytes": "10000"}))
//	kafkatest.Start(t, kfake.DataDir("")) // keep the log in memory
//
// Unknown topics are created on first use with [DefaultPartitions]
// partitions, but only for a client that asks: kafka-go's Writer must set
// AllowAutoTopicCreation, or it fails at once with UNKNOWN_TOPIC_OR_PARTITION.
// [StartCluster] is the same without a [testing.TB], for examples and
// benchmarks; call [Cluster.Close].
//
// # Reading back
//
// [Cluster.ReadN] waits until a topic holds n records, then returns all it
// holds after a short settling time, duplicates included. [Cluster.ReadAll]
// and [Cluster.Read] return what the topic holds now. All three ask each
// partition for its end offset (ListOffsets) and consume up to it, so they
// never wait for silence. Records come sorted by partition, then offset,
// with key, value, headers, timestamp and the batch's compression codec.
// [ReadTopic] does the same against any cluster, such as a real one.
//
// Reads go through the protocol (Metadata, ListOffsets, Fetch): remove
// faults on those requests before reading. Counting by offsets assumes
// non-transactional producers, which is all the sink uses.
//
// # SASL and TLS
//
// [SASL] and [TLS] are options for Start and StartCluster that also make the
// cluster's readers, and [Cluster.ClientOpts], log in and trust the
// certificate:
//
//	certs := kafkatest.NewCerts(t) // certs.CAFile is the CA in PEM
//	c := kafkatest.Start(t, kafkatest.TLS(certs), kafkatest.SASL(kafkatest.ScramSHA256, "u", "p"))
//
// With SASL, every request but ApiVersions and the SASL exchange needs a
// login; a failed or missing login makes kfake close the connection without
// an error response (kafka-go reports unexpected EOF). Add more logins with
// [kfake.User]. With TLS, every listener, including those of
// [kfake.Cluster.AddNode], accepts TLS only, with the one server
// certificate.
//
// # Restarts
//
// [Cluster.Stop] closes every broker and drops every connection;
// [Cluster.Restart] starts them again on the same ports. The log lives in a
// temporary directory, so records written before the restart are still
// there. Faults and controls are lost: install them again on the new
// [Cluster.Kfake].
//
// # Faults and topology in kfake
//
// [Cluster.Kfake] returns the [kfake.Cluster]. In the pinned version:
//
// Faults fail matching requests with an error code, each field of
// [kfake.Fault] narrowing the match (nil or zero matches all):
//
//	h := c.Kfake().Fault(kfake.Fault{
//		Keys:       []kmsg.Key{kmsg.Produce},
//		Topic:      "logs",
//		Partitions: []int32{0},
//		Nodes:      []int32{1},
//		Err:        kerr.NotLeaderForPartition, // nil: UNKNOWN_SERVER_ERROR
//		Count:      3,                          // 0: once; -1: until h.Remove()
//		When:       func(kmsg.Request) bool { ... }, // optional; runs on the cluster goroutine
//		Observe:    false,                      // true: only count matches
//	})
//	h.Wait(ctx, 3) // until 3 requests were faulted
//	h.Hits()       // requests faulted so far
//	h.Remove()
//
// A faulted partition is answered before anything is written, except
// REQUEST_TIMED_OUT and NOT_ENOUGH_REPLICAS_AFTER_APPEND on Produce: those
// records are appended anyway, as a real broker may have done, so a retry
// duplicates them.
//
// Controls intercept whole requests on the cluster's loop:
//
//	func (*kfake.Cluster) ControlKey(key int16, fn func(kmsg.Request) (kmsg.Response, error, bool))
//	func (*kfake.Cluster) Control(fn func(kmsg.Request) (kmsg.Response, error, bool)) // every key
//
// fn returns handled=false to pass the request on (to observe it), or
// handled=true with a response to send, with an error to close the
// connection, or with neither to never answer. A control that handles a
// request is dropped unless fn calls KeepControl; DropControl drops it
// anyway. Inside fn, SleepControl(wakeup func()) holds the request until
// wakeup returns (later requests on the same connection wait behind it, and
// Close wakes every sleeper), and CurrentNode returns the broker's node ID.
// Controls run before the SASL check and before faults, and a control that
// answers bypasses faults. fn may call the admin methods below.
//
// Topology and data, each run on the cluster's loop:
//
//	MoveTopicPartition(topic string, partition, nodeID int32) error // move the leader
//	ShufflePartitionLeaders()                                     // new random leader for every partition
//	LeaderFor(topic string, partition int32) int32                // -1 if unknown
//	RemoveNode(nodeID int32) error // closes the listener, re-elects every leader at random
//	AddNode(nodeID int32, port int) (int32, int, error) // -1: next ID; port 0: random; same port: broker restart
//	CreateTopic(topic string, partitions int32, configs map[string]string) error
//	DeleteTopic(topic string) error
//	DeleteRecords(topic string, partition int32, offset int64) error
//	PartitionInfos(topic string) []*kfake.PartitionInfo // HighWatermark, LogStartOffset, Leader, NumBytes...
//
// RemoveNode does not close the removed broker's open connections, and they
// keep being answered (NOT_LEADER for its former partitions); stop the whole
// cluster to drop connections. There is no replication: acks=all behaves as
// acks=1. A partition's produced batch larger than the topic's
// max.message.bytes, else the broker's message.max.bytes (default 1048588),
// fails with MESSAGE_TOO_LARGE. [kfake.BlackholeProduce] acknowledges produces and
// discards them, for benchmarks; nothing can be read back then.
//
// Once a kfake cluster is closed, its methods that go through the loop
// (ListenAddrs, CreateTopic, LeaderFor, MoveTopicPartition, ...) block
// forever: close it only through [Cluster.Stop] or [Cluster.Close], after
// which [Cluster.Kfake] returns nil.
package kafkatest
