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
// partitions that are failing; those of a failed request move to a
// partition that works only where no newer entry has been sent, so that
// every partition's records are in the order they were accepted; entries
// with a key go where the Java client would put them.
//
// The queue is bounded by QueueLimit entries and QueueByteLimit bytes; past
// ShedThreshold of either, entries below ShedLevel are shed first; when it
// is full, OverflowPolicy decides. QueueByteLimit covers the entries'
// copies and the values the Formatter and the deciders make for them: the
// batcher formats an entry only when its value has room (see
// Config.QueueByteLimit for the two things that may go past it).
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
// # Durable mode
//
// With Config.SpoolDir set, the sink keeps every accepted entry on disk
// until Kafka has acknowledged it, so that an outage longer than memory, a
// crash or a redeploy loses nothing beyond a bounded window. Write is
// unchanged: it copies the entry into memory and does no disk I/O. The
// batcher takes every queued entry each SpoolInterval (10ms by default),
// and hands them to a writer goroutine, which appends them in one write to
// segment files (each record with its length and a CRC32C); only then are
// they routed and sent. A write still under way when the interval ends is
// followed at once by the next; a long backlog being routed (a replay, a
// run read back after an outage) is routed in chunks, with the writer fed
// between them. An entry leaves the spool when it is finalized:
// acknowledged by Kafka, or dropped and counted. The spool, not kafka-go,
// holds every record until then: nothing waits in a place where it could
// expire unseen.
//
// Memory stays bounded by QueueLimit and QueueByteLimit during an outage
// of any length: when memory nears its limits, the batcher releases the
// memory of spooled entries, oldest first, and reads them back from disk,
// in acceptance order, when routing reaches them. The disk is bounded by
// SpoolByteLimit (1 GiB by default); past it, or when a write fails (a
// full disk, an I/O error), new entries are kept in memory only (counted
// in Stats.Spool.Skipped), what is on disk goes on being delivered, the
// disk is tried again a second later, and the failure is reported as a
// [*SpoolError]; once memory is full too, OverflowPolicy applies. Under
// the Block policy memory is released to the disk only during an outage:
// while Kafka is up but slower than the log calls, Write waits for room as
// it does without a spool (the entries are on disk all the same).
// RetryTimeLimit has no default in durable mode: entries wait on disk
// until they are delivered.
//
// [New] opens the spool and recovers what an earlier process left: a torn
// tail is truncated, a damaged record is skipped, a damaged or missing
// file costs its own records only; New never refuses to start because of
// a file, and counts the entries lost ([Drops].Corrupt) and reports the
// damage. The entries left there are replayed before any new one, in the
// order they were accepted (Stats.Replayed; Flush waits for them too).
// Another sink, of this process or another, holding the directory makes
// New fail ([ErrSpoolLocked]).
//
// What a crash can cost:
//
//   - kill -9, an OOM kill, a panic: the entries accepted in the last
//     SpoolInterval, not yet written; plus, if the writer is behind, the
//     entries it had not reached yet: when the CPU or the disk cannot keep
//     up with the log calls (a loaded machine, the race detector), or a
//     Formatter or decider holds up the batching goroutine, which hands
//     the writer its entries. Stats.Spool.Unwritten counts the entries not
//     yet through a write, what a kill would lose at that moment; it stays
//     near one SpoolInterval's entries while the writer keeps up.
//     Everything written is in the kernel's page cache and survives the
//     process.
//   - Power loss or a kernel crash: what the last fsync did not cover. By
//     default the spool is fsynced every second (SpoolSync); with
//     [SpoolSyncEveryWrite] every write is fsynced before its entries are
//     sent, and only the last SpoolInterval's entries are at risk. Entries
//     lost this way leave a gap that the next New counts as Corrupt.
//   - Duplicates: delivery is at-least-once across restarts. An entry
//     Kafka acknowledged just before the crash, whose acknowledgement had
//     not reached the spool (or, after power loss, its fsync), is sent
//     again by the next process; so are the entries of requests in flight
//     when Close gave up.
//
// Close, in durable mode, writes what is still in memory to the spool and
// syncs it, delivers until shortly before its deadline as usual, and then,
// instead of dropping what is undelivered, leaves it on disk for the next
// sink ([ErrLeftInSpool]): only entries the spool could not take are
// dropped. SpoolDir must be on a local file system.
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
//     [ErrCallbackBlocked]). Past the deadline Close waits only for the
//     sink's own work (dropping and counting what is left, at most 100ms,
//     on a machine too loaded to do it in the time it kept for that), so
//     that nothing is lost uncounted.
//
// The package's tests enforce the rule with callbacks that block, panic,
// call Stats and log into their own logger.
//
// # Structure
//
// The admission queue (queue.go) holds what Write accepted until it is
// delivered or dropped; Write and the batcher both go through its methods
// (admit, take, takeExpired, takeOldest, finalize, addWaiter, …), Close's
// steps and their time are in close.go, and every
// drop goes through one function, queue.drop: count, note for the
// reporter, copy for the Fallback, release. The batcher (batcher.go and
// the files it names) owns topics, partitions and requests in flight, and
// in durable mode the backlog of spooled entries (durable.go, backlog.go);
// the spool (spool.go and the spool_*.go files) is its storage; the
// reporter (report.go) owns the callbacks with side effects.
//
// # Lifecycle
//
// [New] validates the [Config] (a [*ConfigError] names the bad field) and
// starts the batcher and the reporter; it does not touch the network.
// [Sink.Flush] waits for everything accepted so far; [Sink.Close] flushes,
// stops and returns by its context's deadline, dropping and reporting what
// it could not deliver (in durable mode, leaving it in the spool). These
// two, with a context, are the sink's only ways to flush.
//
// One Sink may serve several loggers. Each adapter's New builds a sink and
// owns it (the adapter's Close closes it); its other constructor
// (zapsink.NewCore, zerologsink.NewWriter) borrows a Sink built here with
// New, and its Close only flushes: whoever called New closes the Sink.
// Adapters bound their own waits, which take no context (zap's Sync, their
// Close), by Config.SyncTimeout, read with [Sink.Config].
//
// A program that exits without Close (or, for zap, Sync) loses what is
// still queued, unless SpoolDir is set: call it before exiting, e.g. with
// defer where the sink is attached.
package core
