// Package sinktest is a conformance suite for kafkasink's logger adapters,
// in the spirit of the standard library's [testing/slogtest]: any adapter
// that turns a logger's entries into [core.Entry] values for a [core.Sink]
// can run it, and each adapter does (zapsink and zerologsink).
//
// # Running it
//
// An adapter's test describes itself with a [Harness] and calls [Run]:
//
//	func TestConformance(t *testing.T) {
//		sinktest.Run(t, sinktest.Harness{
//			New: func(t *testing.T, cfg core.Config) sinktest.Logger {
//				return newTestLogger(t, cfg) // the adapter, wrapped
//			},
//			LevelKey: "level", MessageKey: "msg", TimeKey: "ts",
//		})
//	}
//
// [Harness.New] builds the adapter on a sink made from the [core.Config]
// the suite gives it (brokers, topic, deciders, batching), and returns it
// behind the small [Logger] interface. Run starts an in-process Kafka
// cluster with [kafkatest] (unless [Harness.Cluster] is set), runs each
// case as a subtest, and reads every record back with an independent
// franz-go consumer. [TestSink] runs the same cases without subtests and
// returns what failed, joined with [errors.Join].
//
// # What is checked
//
// Each case has a name, an explanation of the rule it checks, a function
// that logs through the adapter, and checks on what reached Kafka. The
// suite tags every entry with a unique "sinktest_id" field, so in every
// case it also checks that each entry logged before Close arrived exactly
// once, as one JSON object per record, with its level, message and fields
// (those added with With too) intact, and that Close returned nil.
// Beyond that, cases check routing with a TopicDecider by level and by
// field, keys from a KeyDecider (and per-key order), that Sync delivers
// without waiting for the batching period, that Close is idempotent and
// that logging after Close neither panics nor blocks, JSON escaping, large
// entries, and that nothing is lost or duplicated when 8 goroutines log 500
// entries each.
//
// The suite sets Period to an hour, BatchSizeLimit high and DelayFirstEntry,
// so that only Sync and Close can deliver entries: a case that passes shows
// that they flush.
//
// Failures read "got X, want Y", followed by the case's explanation.
//
// # Cost
//
// The suite needs real sockets and takes a few seconds; Run skips under
// -short, as [kafkatest.Start] does.
package sinktest
