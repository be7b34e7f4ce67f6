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
// # Several sinks
//
// Register one Collector per sink, told apart by a constant label:
//
//	prometheus.MustRegister(kafkaprom.New(app, kafkaprom.Options{ConstLabels: prometheus.Labels{"sink": "app"}}))
//	prometheus.MustRegister(kafkaprom.New(audit, kafkaprom.Options{ConstLabels: prometheus.Labels{"sink": "audit"}}))
//
// or give [NewFunc] any function that returns a [core.Stats], such as the
// sum of several sinks'.
package kafkaprom
