// Package kafkaprom exports a kafkasink [core.Sink]'s [core.Stats] to
// Prometheus: a [prometheus.Collector] that reads Stats once per scrape.
//
//	sink, err := core.New(cfg)
//	// ...
//	prometheus.MustRegister(kafkaprom.New(sink, kafkaprom.Options{}))
//	http.Handle("/metrics", promhttp.Handler())
//
// It lives in a module of its own, github.com/kafkasink/kafkasink/contrib/prometheus,
// so that the library's module never depends on the Prometheus client.
//
// # Metrics
//
// Names follow the Prometheus naming conventions: the kafkasink_ prefix,
// base units (seconds, bytes) in the name, _total on counters. Every series
// carries [Options.ConstLabels].
//
//	kafkasink_entries_received_total            counter    entries given to Write
//	kafkasink_entries_accepted_total            counter    entries taken into the queue
//	kafkasink_entries_delivered_total           counter    entries Kafka acknowledged
//	kafkasink_entries_dropped_total             counter    {reason} entries dropped, by reason
//	kafkasink_entries_dropped_by_level_total    counter    {level} the same entries, by level
//	kafkasink_entries_retried_total             counter    entries sent again after a failed attempt
//	kafkasink_produce_requests_total            counter    produce requests Kafka acknowledged
//	kafkasink_delivered_bytes_total             counter    record value bytes Kafka acknowledged
//	kafkasink_fallback_dropped_entries_total    counter    dropped entries the Fallback never received
//	kafkasink_queue_entries                     gauge      entries held: queued, in flight or waiting for a retry
//	kafkasink_queue_bytes                       gauge      memory held for them, in whole chunks (what QueueByteLimit bounds)
//	kafkasink_produce_requests_in_flight        gauge      produce requests in flight
//	kafkasink_oldest_entry_age_seconds          gauge      how long the oldest entry held has waited
//	kafkasink_topic_entries_delivered_total     counter    {topic} entries Kafka acknowledged, by topic
//	kafkasink_topic_entries_dropped_total       counter    {topic} entries dropped after routing, by topic
//	kafkasink_delivery_latency_seconds          histogram  time from the log call to Kafka's acknowledgement
//
// and, for a sink in durable mode (see "The spool's series" below),
//
//	kafkasink_entries_replayed_total            counter    entries an earlier process left in SpoolDir (Stats.Replayed)
//	kafkasink_spool_bytes                       gauge      bytes of the spool's files (what SpoolByteLimit bounds)
//	kafkasink_spool_entries                     gauge      entries on disk not yet delivered or dropped
//	kafkasink_spool_segments                    gauge      segment files
//	kafkasink_spool_entries_appended_total      counter    entries written to the spool
//	kafkasink_spool_entries_read_back_total     counter    entries read back: replayed, or spilled out of memory
//	kafkasink_spool_entries_skipped_total       counter    entries kept in memory only: the spool full or failing
//	kafkasink_spool_errors_total                counter    failed writes, reads and fsyncs of the spool's files
//	kafkasink_spool_unwritten_entries           gauge      entries not yet through a spool write: what a kill -9 would lose
//
// so that, once the sink is idle,
//
//	kafkasink_entries_received_total + kafkasink_entries_replayed_total
//	    == kafkasink_entries_delivered_total + sum(kafkasink_entries_dropped_total) + kafkasink_queue_entries
//
// The reason label takes the values queue_full, shed, too_large,
// retries_exhausted, closed, not_retriable and corrupt (one per
// [core.Drops] field);
// the level label the names of [core.Level] ("debug", "info", …, "none" for
// NoLevel). Every reason and level is exported, zero or not, so that rate()
// and alerts see a series from the first scrape. Topic series appear as
// the sink routes entries to a topic: their number is the number of topics
// the TopicDecider chooses.
//
// The latency histogram's buckets are [core.LatencyBounds], fixed, so that
// histograms of several processes aggregate; histogram_quantile gives the
// p50 and p99 that [core.Latency.Quantile] gives.
//
// # The spool's series
//
// Replayed and the [core.SpoolStats] figures are zero for a sink without a
// SpoolDir, so [Options.Spool] decides, once, whether they are exported:
// by default ([SpoolAuto]) [New] exports them if the sink's Config has a
// SpoolDir, and [NewFunc], which sees only Stats and cannot tell, always
// exports them; [SpoolAlways] and [SpoolNever] say so outright. The
// choice is never made from the values, so a series does not come and go
// between scrapes.
//
// # Several sinks
//
// Register one Collector per sink, told apart by a constant label:
//
//	prometheus.MustRegister(kafkaprom.New(app, kafkaprom.Options{ConstLabels: prometheus.Labels{"sink": "app"}}))
//	prometheus.MustRegister(kafkaprom.New(audit, kafkaprom.Options{ConstLabels: prometheus.Labels{"sink": "audit"}}))
//
// or give [NewFunc] any function that returns a [core.Stats], such as the
// sum of several sinks' (with [SpoolNever] if none of them has a spool).
package kafkaprom
