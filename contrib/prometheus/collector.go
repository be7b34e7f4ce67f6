package kafkaprom

import (
	"strings"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/kafkasink/kafkasink/core"
)

// Options configure a [Collector]. The zero value is ready to use.
type Options struct {
	// ConstLabels are added to every series, for example {"sink": "audit"}
	// to tell several sinks apart in one registry. They must not use the
	// label names reason, level or topic. If nil, none.
	ConstLabels prometheus.Labels

	// Spool says whether the spool's series are exported; see
	// [SpoolSeries]. The zero value, SpoolAuto, exports them for a sink
	// with a SpoolDir (New) and always from NewFunc.
	Spool SpoolSeries
}

// Collector is a [prometheus.Collector] over the Stats of a sink. Each
// Collect reads Stats once, so the series of one scrape come from one
// snapshot. It is safe for concurrent use.
type Collector struct {
	stats func() core.Stats

	received, accepted, delivered *prometheus.Desc
	dropped, droppedByLevel       *prometheus.Desc
	retried, requests, bytes      *prometheus.Desc
	fallbackDropped               *prometheus.Desc
	queueEntries, queueBytes      *prometheus.Desc
	inFlight, oldestAge           *prometheus.Desc
	topicDelivered, topicDropped  *prometheus.Desc
	latency                       *prometheus.Desc
	spool                         []*prometheus.Desc // of spoolSeries; nil if not exported

	// latencyBounds are core.LatencyBounds in seconds.
	latencyBounds [len(core.LatencyBounds)]float64
}

var _ prometheus.Collector = (*Collector)(nil)

// New returns a Collector of s's Stats. Register it with a
// [prometheus.Registerer].
func New(s *core.Sink, opts Options) *Collector {
	if opts.Spool == SpoolAuto && s.Config().SpoolDir == "" {
		opts.Spool = SpoolNever
	}
	return NewFunc(s.Stats, opts)
}

// NewFunc returns a Collector of the Stats that stats returns, called once
// per scrape: for a sink's Stats method, or a function that adds up several
// sinks' Stats. stats must be safe for concurrent use. It exports the
// spool's series unless opts.Spool is SpoolNever.
func NewFunc(stats func() core.Stats, opts Options) *Collector {
	l := opts.ConstLabels
	desc := func(name, help string, labels ...string) *prometheus.Desc {
		return prometheus.NewDesc("kafkasink_"+name, help, labels, l)
	}
	c := &Collector{
		stats:     stats,
		received:  desc("entries_received_total", "Log entries given to the sink's Write."),
		accepted:  desc("entries_accepted_total", "Log entries taken into the sink's queue: received less those Write refused."),
		delivered: desc("entries_delivered_total", "Log entries acknowledged by Kafka."),
		dropped: desc("entries_dropped_total", "Log entries given up, by reason: received + replayed = delivered + dropped + queued, once the sink is idle.",
			"reason"),
		droppedByLevel:  desc("entries_dropped_by_level_total", "Log entries given up, by their level.", "level"),
		retried:         desc("entries_retried_total", "Log entries sent to Kafka again after a failed produce attempt."),
		requests:        desc("produce_requests_total", "Produce requests acknowledged by Kafka."),
		bytes:           desc("delivered_bytes_total", "Record value bytes acknowledged by Kafka."),
		fallbackDropped: desc("fallback_dropped_entries_total", "Dropped log entries that the Fallback writer never received."),
		queueEntries:    desc("queue_entries", "Log entries held by the sink: queued, in flight or waiting for a retry."),
		queueBytes:      desc("queue_bytes", "Memory the sink holds for its log entries, in whole arena chunks: what QueueByteLimit bounds."),
		inFlight:        desc("produce_requests_in_flight", "Produce requests sent and not yet answered."),
		oldestAge:       desc("oldest_entry_age_seconds", "How long the oldest log entry still held has been waiting; 0 if none."),
		topicDelivered:  desc("topic_entries_delivered_total", "Log entries acknowledged by Kafka, by topic.", "topic"),
		topicDropped:    desc("topic_entries_dropped_total", "Log entries given up after the sink routed them to a topic, by topic.", "topic"),
		latency:         desc("delivery_latency_seconds", "Time from the log call to Kafka's acknowledgement, of the log entries delivered."),
	}
	if opts.Spool != SpoolNever {
		for _, sp := range spoolSeries {
			c.spool = append(c.spool, desc(sp.name, sp.help))
		}
	}
	for i, b := range core.LatencyBounds {
		c.latencyBounds[i] = b.Seconds()
	}
	return c
}

// Describe sends the descriptors of every series the Collector exports.
func (c *Collector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{
		c.received, c.accepted, c.delivered, c.dropped, c.droppedByLevel,
		c.retried, c.requests, c.bytes, c.fallbackDropped,
		c.queueEntries, c.queueBytes, c.inFlight, c.oldestAge,
		c.topicDelivered, c.topicDropped, c.latency,
	} {
		ch <- d
	}
	for _, d := range c.spool {
		ch <- d
	}
}

// dropReasons names each [core.Drops] counter, as the reason label.
var dropReasons = [...]struct {
	label string
	count func(core.Drops) uint64
}{
	{"queue_full", func(d core.Drops) uint64 { return d.QueueFull }},
	{"shed", func(d core.Drops) uint64 { return d.Shed }},
	{"too_large", func(d core.Drops) uint64 { return d.TooLarge }},
	{"retries_exhausted", func(d core.Drops) uint64 { return d.RetriesExhausted }},
	{"closed", func(d core.Drops) uint64 { return d.Closed }},
	{"not_retriable", func(d core.Drops) uint64 { return d.NotRetriable }},
	{"corrupt", func(d core.Drops) uint64 { return d.Corrupt }},
}

// levelLabel is the level label of l: its name, "none" for NoLevel.
func levelLabel(l core.Level) string {
	if s := l.String(); s != "" {
		return s
	}
	return "none"
}

// Collect reads the Stats once and sends every series.
func (c *Collector) Collect(ch chan<- prometheus.Metric) {
	st := c.stats()
	counter := func(d *prometheus.Desc, v uint64, labels ...string) {
		ch <- constMetric(d, prometheus.CounterValue, float64(v), labels...)
	}
	gauge := func(d *prometheus.Desc, v float64) {
		ch <- constMetric(d, prometheus.GaugeValue, v)
	}
	counter(c.received, st.Received)
	counter(c.accepted, st.Accepted)
	counter(c.delivered, st.Delivered)
	for _, r := range dropReasons {
		counter(c.dropped, r.count(st.Dropped), r.label)
	}
	for l := core.NoLevel; l <= core.FatalLevel; l++ {
		counter(c.droppedByLevel, st.DroppedByLevel.Get(l), levelLabel(l))
	}
	counter(c.retried, st.Retries)
	counter(c.requests, st.Batches)
	counter(c.bytes, st.Bytes)
	counter(c.fallbackDropped, st.FallbackDropped)
	gauge(c.queueEntries, float64(st.QueueDepth))
	gauge(c.queueBytes, float64(st.QueueBytes))
	gauge(c.inFlight, float64(st.InFlight))
	gauge(c.oldestAge, st.OldestAge.Seconds())
	for _, t := range st.Topics {
		// Kafka refuses a topic name that is not UTF-8 (its entries are
		// dropped as not retriable), but a TopicDecider may still return
		// one: its series keep a valid label, and the others their place.
		topic := strings.ToValidUTF8(t.Topic, "\uFFFD")
		counter(c.topicDelivered, t.Delivered, topic)
		counter(c.topicDropped, t.Dropped, topic)
	}
	ch <- c.latencyHistogram(st.Latency)
	for i, d := range c.spool {
		ch <- constMetric(d, spoolSeries[i].kind, spoolSeries[i].value(st))
	}
}

// constMetric is prometheus.NewConstMetric that returns an invalid metric,
// which fails the scrape with an error naming the series, where
// MustNewConstMetric would panic.
func constMetric(d *prometheus.Desc, t prometheus.ValueType, v float64, labels ...string) prometheus.Metric {
	m, err := prometheus.NewConstMetric(d, t, v, labels...)
	if err != nil {
		return prometheus.NewInvalidMetric(d, err)
	}
	return m
}

// latencyHistogram makes l a Prometheus histogram: cumulative counts by
// upper bound, in seconds; the +Inf bucket is l.Count.
func (c *Collector) latencyHistogram(l core.Latency) prometheus.Metric {
	buckets := make(map[float64]uint64, len(c.latencyBounds))
	var cum uint64
	for i, b := range c.latencyBounds {
		cum += l.Counts[i]
		buckets[b] = cum
	}
	m, err := prometheus.NewConstHistogram(c.latency, l.Count, l.Sum.Seconds(), buckets)
	if err != nil {
		return prometheus.NewInvalidMetric(c.latency, err)
	}
	return m
}
