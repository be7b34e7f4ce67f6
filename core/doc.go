// Package core is kafkasink's periodic-batching Kafka writer: the part of
// the sink that knows nothing about any logger. The adapters
// [github.com/kafkasink/kafkasink/zapsink] and
// [github.com/kafkasink/kafkasink/zerologsink] turn their logger's entries
// into an [Entry] and hand it to a [Sink].
//
// # Data flow
//
// [Sink.Write] copies the entry's JSON into sink-owned memory and appends it
// to a bounded queue; it never waits on the network. A background goroutine,
// the batcher, takes a batch from the queue when BatchSizeLimit entries are
// queued or Period has passed (the first entry at once), decides each
// entry's topic, key and headers, formats it, encodes each partition's
// records as one Kafka record batch and sends it with kafka-go's low-level
// client (Client.RawProduce): one request per partition, at most one in
// flight per partition (so order holds per partition), at most MaxInFlight
// in all. Entries without a key fill one partition per batch, skipping
// partitions that are failing; entries with a key go where the Java client
// would put them.
//
// The queue is bounded by QueueLimit entries and QueueByteLimit bytes; past
// ShedThreshold of either, entries below ShedLevel are shed first; when it
// is full, OverflowPolicy decides.
//
// # Record values
//
// By default a record's value is the logger's own JSON. [SerilogJSON] and
// [CLEF], set as Config.Formatter, write it in the shapes Serilog writes
// (Serilog.Sinks.Kafka's default JsonFormatter, and the compact CLEF),
// reading zap's, zerolog's and slog's JSON alike, so that one consumer
// reads the records of Go and .NET services.
//
// # Delivery
//
// Every accepted entry is delivered at least once, or dropped and counted
// with its reason ([Stats], [Drops]) and written to Config.Fallback; nothing
// is lost silently. Failed requests are retried with exponential backoff,
// only the failed records, until RetryTimeLimit has passed since their
// Write; one failing destination (an unknown topic, a partition without a
// leader) does not hold up the others. A record Kafka can never
// take (too large, invalid topic, authorization) is dropped alone; the rest
// of its batch goes on. A retried request that the broker had in fact
// written produces a duplicate: delivery is at-least-once.
//
// # Errors
//
// Write returns ErrQueueFull (queue full, or shed), ErrTooLarge or
// ErrClosed for an entry it refuses. Background errors ([ProduceError],
// [DropError], …) go to Config.ErrorHandler, or as rate-limited lines to
// stderr. The sink never logs through a logger.
//
// # User code: the rule
//
// ErrorHandler, Fallback, TopicDecider, KeyDecider, HeaderDecider and
// Formatter are the user's code, and may block, panic, call [Sink.Stats]
// or log into the very logger the sink serves. So the sink holds to one
// rule: it never calls user code while it holds any of its locks, and never
// calls ErrorHandler or Fallback on a logging goroutine.
//
//   - Write calls no user code at all. What it refuses is counted and noted
//     for the reporter: one goroutine of the sink's that calls ErrorHandler
//     and writes Fallback, from bounded buffers, summing up what piles up
//     while they are slow and counting what does not fit
//     (Stats.FallbackDropped). Once Close has been called, Write only
//     counts.
//   - The deciders and the Formatter run on the batcher goroutine, outside
//     every lock; a panic costs its entry alone ([FormatError] names the
//     callback).
//   - Close returns by its context's deadline whatever a callback does; a
//     callback stuck forever keeps its goroutine until it returns, and
//     Close's error says what it left behind ([AbandonedError],
//     [ErrCallbackBlocked]).
//
// The package's tests enforce the rule with callbacks that block, panic,
// call Stats and log into their own logger.
//
// # Structure
//
// The admission queue (queue.go) holds what Write accepted until it is
// delivered or dropped; Write and the batcher both go through its methods
// (admit, take, takeExpired, takeOldest, finalize, addWaiter, …), and every
// drop goes through one function, queue.drop: count, note for the
// reporter, copy for the Fallback, release. The batcher (batcher.go and
// the files it names) owns topics, partitions and requests in flight; the
// reporter (report.go) owns the callbacks with side effects.
//
// # Lifecycle
//
// [New] validates the [Config] (a [*ConfigError] names the bad field) and
// starts the batcher and the reporter; it does not touch the network.
// [Sink.Flush] waits for everything accepted so far; [Sink.Close] flushes,
// stops and returns by its context's deadline, dropping and reporting what
// it could not deliver. These two, with a context, are the sink's only
// ways to flush.
//
// One Sink may serve several loggers. Each adapter's New builds a sink and
// owns it (the adapter's Close closes it); its other constructor
// (zapsink.NewCore, zerologsink.NewWriter) borrows a Sink built here with
// New, and its Close only flushes: whoever called New closes the Sink.
// Adapters bound their own waits, which take no context (zap's Sync, their
// Close), by Config.SyncTimeout, read with [Sink.Config].
//
// A program that exits without Close (or, for zap, Sync) loses what is
// still queued: call it before exiting, e.g. with defer where the sink is
// attached.
package core
