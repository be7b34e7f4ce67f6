// Package hostiletest runs a sink's callbacks the way users break them,
// against an in-process Kafka cluster, through any logger adapter: an
// ErrorHandler that logs every error into the very logger the sink serves
// (with the brokers down, under DropOldest with a small QueueByteLimit, and
// after Close), one that calls Stats, one that blocks forever, one that is
// slow, one that panics; a Fallback that blocks forever, one that is slow,
// one that panics.
//
// An adapter's test describes itself with a [Harness] and calls [Run], as
// with [github.com/kafkasink/kafkasink/integration/sinktest]:
//
//	func TestHostileCallbacks(t *testing.T) {
//		hostiletest.Run(t, hostiletest.Harness{
//			New: func(t *testing.T, cfg core.Config) (sinktest.Logger, *core.Sink) {
//				kc := newCore(t, zapsink.Config{Sink: cfg, Level: zapcore.DebugLevel})
//				return zapLogger{l: zap.New(kc), close: kc.Close}, kc.Sink()
//			},
//		})
//	}
//
// # What every scenario checks
//
// Each scenario runs on its own goroutine under [Guard]: a deadlock or a
// call that never returns fails it after [HangAfter] with the stack of
// every goroutine. A crash (a stack overflow, a panic that escapes) ends
// the test binary, which fails too.
//
// Beyond what each scenario checks of its own, every one ends by closing
// the sink, releasing every callback it blocked, reading the topic back
// with an independent franz-go consumer, counting the records by their
// unique ids, and checking:
//
//   - every log call returned (a log call that waits on a callback makes
//     the scenario hang);
//   - ErrorHandler and Fallback never ran on a goroutine that was inside a
//     log call, Flush or Close (the goroutine ids are compared), and never
//     while the sink held its lock (a probe calls Stats from another
//     goroutine during a callback and must get an answer);
//   - the TopicDecider ran on one goroutine, the batcher, never on a
//     caller's;
//   - Close returned by its deadline (with generous slack for a loaded
//     machine), whatever the callbacks did;
//   - Received == Delivered + Dropped.Total(), QueueDepth == 0, and
//     Received is every entry logged, the test's and the callbacks' own;
//   - entries the Fallback received + Stats.FallbackDropped ==
//     Dropped.Total(), and no entry reached the Fallback twice;
//   - every entry is in Kafka or counted as dropped: nothing is lost
//     silently; every entry delivered while the brokers were up is read
//     back;
//   - the ErrorHandler was called a bounded number of times (drops are
//     aggregated and rate-limited: a feedback loop would not be), and the
//     queue's bytes stayed within QueueByteLimit.
package hostiletest
