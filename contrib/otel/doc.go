// Package kafkaotel exports a kafkasink [core.Sink]'s [core.Stats] to
// OpenTelemetry: observable instruments on a [metric.Meter], read from one
// Stats snapshot per collection, and the delivery latency as an
// explicit-bucket histogram through an SDK [sdkmetric.Producer].
//
//	m := kafkaotel.New(sink, kafkaotel.Options{QueueCapacity: cfg.QueueLimit})
//	reader := sdkmetric.NewPeriodicReader(exporter, sdkmetric.WithProducer(m)) // the latency histogram
//	provider := sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader))
//	reg, err := m.Register(provider.Meter(kafkaotel.ScopeName))                 // everything else
//
// It lives in a module of its own, github.com/kafkasink/kafkasink/contrib/otel,
// so that the library's module never depends on OpenTelemetry.
//
// # Semantic conventions
//
// A sink is both what the OpenTelemetry SDK calls a batching log record
// processor (its queue) and a log record exporter (to Kafka). The instruments
// that the semantic conventions for OpenTelemetry SDK metrics define for
// those components (docs/otel/sdk-metrics.md of
// github.com/open-telemetry/semantic-conventions, status Development; the
// names here are those of its v1.43.0 Go constants, unchanged in the text of
// 2026-08) carry the sink's numbers:
//
//	otel.sdk.exporter.log.exported        Counter        {log_record}  every entry whose fate is settled: delivered (no error.type)
//	                                                                    or dropped (error.type: the reason, below)
//	otel.sdk.exporter.log.inflight        UpDownCounter  {log_record}  entries held: queued, in flight or waiting for a retry
//	otel.sdk.processor.log.queue.size     UpDownCounter  {log_record}  the same entries: the queue's limit counts them all
//	otel.sdk.processor.log.queue.capacity UpDownCounter  {log_record}  Options.QueueCapacity, if set
//
// so that, as for Stats, once the sink is idle
//
//	kafkasink.log.received + kafkasink.log.replayed = otel.sdk.exporter.log.exported + otel.sdk.exporter.log.inflight
//
// (kafkasink.log.replayed, the entries an earlier process left in
// SpoolDir, is zero and not registered without a spool: see "The spool's
// instruments").
//
// Each carries otel.component.type ([ComponentType], the Go type's name, as
// the conventions ask of a component with no standard type) and
// otel.component.name (Options.Name, by default ComponentType/n). The
// error.type values, one per [core.Drops] field, are:
//
//	queue_full        the queue was full (Drops.QueueFull; the value the conventions give a batching processor)
//	shed              shed by level while the queue was nearly full (Drops.Shed)
//	too_large         larger than MaxEntryBytes or than Kafka takes (Drops.TooLarge)
//	timeout           still undelivered when RetryTimeLimit ran out (Drops.RetriesExhausted)
//	already_shutdown  written after Close, or undelivered at Close's deadline (Drops.Closed; the conventions' value)
//	rejected          refused by Kafka for good: invalid topic, authorization… (Drops.NotRetriable)
//	corrupt           lost to a damaged spool file in durable mode (Drops.Corrupt)
//
// The entries a Write refuses (queue full, shed, too large, closed) never
// reach an exporter in the SDK's terms, but a sink has one component and one
// count of them, so they are counted here as failed exports. The
// conventions' otel.sdk.processor.log.processed is not reported: it counts
// records when a processor hands them to its exporter, which Stats does
// not count apart.
//
// # kafkasink metrics
//
// What the conventions have no instrument for has a kafkasink.* name:
//
//	kafkasink.log.received       Counter        {log_record}  entries given to Write
//	kafkasink.log.accepted       Counter        {log_record}  entries taken into the queue
//	kafkasink.log.dropped        Counter        {log_record}  dropped entries by kafkasink.level ("debug", "info", …, "none")
//	kafkasink.log.retried        Counter        {log_record}  entries sent again after a failed attempt
//	kafkasink.log.delivered.size Counter        By            record value bytes Kafka acknowledged
//	kafkasink.produce.requests   Counter        {request}     produce requests Kafka acknowledged
//	kafkasink.produce.inflight   UpDownCounter  {request}     produce requests in flight
//	kafkasink.queue.usage        UpDownCounter  By            memory held for the entries, in whole chunks (what QueueByteLimit bounds)
//	kafkasink.queue.oldest_age   Gauge          s             how long the oldest entry held has waited
//	kafkasink.fallback.dropped   Counter        {log_record}  dropped entries the Fallback never received
//	kafkasink.topic.delivered    Counter        {log_record}  by messaging.destination.name: entries delivered to the topic
//	kafkasink.topic.dropped      Counter        {log_record}  by messaging.destination.name: entries dropped after routing
//	kafkasink.delivery.duration  Histogram      s             time from the log call to Kafka's acknowledgement
//
// # The spool's instruments
//
// For a sink in durable mode (core.Config.SpoolDir), Stats.Replayed and
// the [core.SpoolStats] figures:
//
//	kafkasink.log.replayed       Counter        {log_record}  entries an earlier process left in SpoolDir
//	kafkasink.spool.usage        UpDownCounter  By            bytes of the spool's files (what SpoolByteLimit bounds)
//	kafkasink.spool.records      UpDownCounter  {log_record}  entries on disk not yet delivered or dropped
//	kafkasink.spool.segments     UpDownCounter  {segment}     segment files
//	kafkasink.spool.appended     Counter        {log_record}  entries written to the spool
//	kafkasink.spool.read_back    Counter        {log_record}  entries read back: replayed, or spilled out of memory
//	kafkasink.spool.skipped      Counter        {log_record}  entries kept in memory only: the spool full or failing
//	kafkasink.spool.errors       Counter        {error}       failed writes, reads and fsyncs of the spool's files
//	kafkasink.spool.unwritten    UpDownCounter  {log_record}  entries not yet through a spool write: what a kill -9 would lose
//
// They are zero for a sink without a SpoolDir, so [Options.Spool] decides,
// once, whether Register registers them: by default ([SpoolAuto]) [New]
// does if the sink's Config has a SpoolDir, and [NewFunc], which sees
// only Stats and cannot tell, always does; [SpoolAlways] and [SpoolNever]
// say so outright. The choice is never made from the values, so an
// instrument does not come and go between collections.
//
// # The latency histogram
//
// The metrics API has no asynchronous histogram: a histogram instrument
// records one value at a time, and the sink keeps only bucket counts
// ([core.Latency], cumulative since the sink started). Replaying them into a
// synchronous histogram would invent the values. So [Metrics] is also an
// [sdkmetric.Producer], the SDK's interface for metrics aggregated elsewhere
// (as the OpenCensus and Prometheus bridges use it): give it to a reader
// with [sdkmetric.WithProducer], and every collection carries
// kafkasink.delivery.duration as a cumulative explicit-bucket histogram,
// bounds [core.LatencyBounds] in seconds, start time the call to New, under
// the scope [ScopeName]. A reader asking for delta temporality gets it
// cumulative all the same. Without the SDK (another implementation of the
// API), the histogram is not available; the instruments are.
package kafkaotel
