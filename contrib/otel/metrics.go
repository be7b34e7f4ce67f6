package kafkaotel

import (
	"context"
	"errors"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/sdk/instrumentation"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	semconv "go.opentelemetry.io/otel/semconv/v1.43.0"
	"go.opentelemetry.io/otel/semconv/v1.43.0/otelconv"

	"github.com/kafkasink/kafkasink/core"
)

// ScopeName is the instrumentation scope of the latency histogram, and the
// name to give the Meter passed to [Metrics.Register].
const ScopeName = "github.com/kafkasink/kafkasink/contrib/otel"

var instrumentationScope = instrumentation.Scope{Name: ScopeName}

// ComponentType is the otel.component.type of a sink: the Go name of its
// type, as the semantic conventions ask of a component without a standard
// type (OpenTelemetry Go's own stdout exporters do the same).
const ComponentType = "github.com/kafkasink/kafkasink/core.Sink"

// Options configure [Metrics]. The zero value is ready to use.
type Options struct {
	// Name is the otel.component.name of the sink, unique within the
	// process. If empty, ComponentType/n, n counting from 0 the Metrics
	// made in this process with no Name, as the conventions suggest.
	Name string

	// Attributes are added to every data point. If nil, none.
	Attributes []attribute.KeyValue

	// QueueCapacity is reported as otel.sdk.processor.log.queue.capacity:
	// set it to the sink's Config.QueueLimit (core's default, 100000, if
	// that is zero). If zero, that instrument is not registered: a Sink does
	// not tell its limit.
	QueueCapacity int

	// Spool says whether the spool's instruments are registered; see
	// [SpoolSeries]. The zero value, SpoolAuto, registers them for a sink
	// with a SpoolDir (New) and always from NewFunc.
	Spool SpoolSeries
}

// Metrics exports the Stats of a sink to OpenTelemetry: [Metrics.Register]
// registers observable instruments, and Metrics is an [sdkmetric.Producer]
// of the latency histogram. It is safe for concurrent use.
type Metrics struct {
	stats    func() core.Stats
	capacity int64
	spool    bool // register the spool's instruments
	start    time.Time

	base    attribute.Set // component type and name, Options.Attributes
	baseKVs []attribute.KeyValue
	ok      attribute.Set   // base: a delivered entry
	reasons []attribute.Set // base and error.type, in the order of dropReasons
	levels  []attribute.Set // base and kafkasink.level, by core.Level

	bounds []float64 // core.LatencyBounds in seconds
}

var _ sdkmetric.Producer = (*Metrics)(nil)

// unnamed counts the Metrics made without a Name, for the default names.
var unnamed atomic.Int64

// New returns the Metrics of s.
func New(s *core.Sink, opts Options) *Metrics {
	if opts.Spool == SpoolAuto && s.Config().SpoolDir == "" {
		opts.Spool = SpoolNever
	}
	return NewFunc(s.Stats, opts)
}

// NewFunc returns the Metrics of the Stats that stats returns, called once
// per collection (and once per Produce): a sink's Stats method, or a
// function that adds up several sinks' Stats. stats must be safe for
// concurrent use. Its Register registers the spool's instruments unless
// opts.Spool is SpoolNever.
func NewFunc(stats func() core.Stats, opts Options) *Metrics {
	name := opts.Name
	if name == "" {
		name = ComponentType + "/" + strconv.FormatInt(unnamed.Add(1)-1, 10)
	}
	base := append([]attribute.KeyValue{
		semconv.OTelComponentTypeKey.String(ComponentType),
		semconv.OTelComponentName(name),
	}, opts.Attributes...)
	m := &Metrics{
		stats:    stats,
		capacity: int64(opts.QueueCapacity),
		spool:    opts.Spool != SpoolNever,
		start:    time.Now(),
		base:     attribute.NewSet(base...),
		baseKVs:  base,
	}
	m.ok = m.base
	for _, r := range dropReasons {
		m.reasons = append(m.reasons, m.with(semconv.ErrorTypeKey.String(r.errorType)))
	}
	for l := core.NoLevel; l <= core.FatalLevel; l++ {
		m.levels = append(m.levels, m.with(levelKey.String(levelName(l))))
	}
	for _, b := range core.LatencyBounds {
		m.bounds = append(m.bounds, b.Seconds())
	}
	return m
}

// with returns the base attributes and kv.
func (m *Metrics) with(kv ...attribute.KeyValue) attribute.Set {
	return attribute.NewSet(append(append([]attribute.KeyValue(nil), m.baseKVs...), kv...)...)
}

// levelKey is the attribute of kafkasink.log.dropped.
const levelKey = attribute.Key("kafkasink.level")

// levelName is the kafkasink.level of l: its name, "none" for NoLevel.
func levelName(l core.Level) string {
	if s := l.String(); s != "" {
		return s
	}
	return "none"
}

// dropReasons gives each [core.Drops] counter its error.type.
var dropReasons = [...]struct {
	errorType string
	count     func(core.Drops) uint64
}{
	{"queue_full", func(d core.Drops) uint64 { return d.QueueFull }},
	{"shed", func(d core.Drops) uint64 { return d.Shed }},
	{"too_large", func(d core.Drops) uint64 { return d.TooLarge }},
	{"timeout", func(d core.Drops) uint64 { return d.RetriesExhausted }},
	{"already_shutdown", func(d core.Drops) uint64 { return d.Closed }},
	{"rejected", func(d core.Drops) uint64 { return d.NotRetriable }},
	{"corrupt", func(d core.Drops) uint64 { return d.Corrupt }},
}

// instruments are the observable instruments of one Register call.
type instruments struct {
	exported, inflight, queueSize, queueCapacity metric.Int64Observable

	received, accepted, dropped, retried, deliveredSize metric.Int64Observable
	requests, requestsInFlight, queueUsage              metric.Int64Observable
	fallbackDropped, topicDelivered, topicDropped       metric.Int64Observable
	oldestAge                                           metric.Float64Observable
	spool                                               []metric.Int64Observable // of spoolInstruments; nil if not registered
}

// Register creates the observable instruments on meter, best named
// [ScopeName], and one callback that reads Stats once per collection and
// observes them all. Unregister the returned Registration to stop.
func (m *Metrics) Register(meter metric.Meter) (metric.Registration, error) {
	var in instruments
	var errs []error
	counter := func(name, unit, desc string) metric.Int64Observable {
		c, err := meter.Int64ObservableCounter(name, metric.WithUnit(unit), metric.WithDescription(desc))
		errs = append(errs, err)
		return c
	}
	upDown := func(name, unit, desc string) metric.Int64Observable {
		c, err := meter.Int64ObservableUpDownCounter(name, metric.WithUnit(unit), metric.WithDescription(desc))
		errs = append(errs, err)
		return c
	}
	// The semantic conventions' own instruments, with their names, units
	// and descriptions.
	in.exported = counter(otelconv.SDKExporterLogExportedObservable{}.Name(), otelconv.SDKExporterLogExportedObservable{}.Unit(),
		otelconv.SDKExporterLogExportedObservable{}.Description())
	in.inflight = upDown(otelconv.SDKExporterLogInflightObservable{}.Name(), otelconv.SDKExporterLogInflightObservable{}.Unit(),
		otelconv.SDKExporterLogInflightObservable{}.Description())
	in.queueSize = upDown(otelconv.SDKProcessorLogQueueSize{}.Name(), otelconv.SDKProcessorLogQueueSize{}.Unit(),
		otelconv.SDKProcessorLogQueueSize{}.Description())
	if m.capacity > 0 {
		in.queueCapacity = upDown(otelconv.SDKProcessorLogQueueCapacity{}.Name(), otelconv.SDKProcessorLogQueueCapacity{}.Unit(),
			otelconv.SDKProcessorLogQueueCapacity{}.Description())
	}

	in.received = counter("kafkasink.log.received", "{log_record}", "The number of log records given to the sink's Write.")
	in.accepted = counter("kafkasink.log.accepted", "{log_record}", "The number of log records taken into the sink's queue.")
	in.dropped = counter("kafkasink.log.dropped", "{log_record}", "The number of log records dropped, by level.")
	in.retried = counter("kafkasink.log.retried", "{log_record}", "The number of log records sent to Kafka again after a failed produce attempt.")
	in.deliveredSize = counter("kafkasink.log.delivered.size", "By", "The record value bytes of the log records Kafka acknowledged.")
	in.requests = counter("kafkasink.produce.requests", "{request}", "The number of produce requests Kafka acknowledged.")
	in.requestsInFlight = upDown("kafkasink.produce.inflight", "{request}", "The number of produce requests sent and not yet answered.")
	in.queueUsage = upDown("kafkasink.queue.usage", "By", "The memory the sink holds for its log records, in whole arena chunks: what QueueByteLimit bounds.")
	in.fallbackDropped = counter("kafkasink.fallback.dropped", "{log_record}", "The number of dropped log records the Fallback writer never received.")
	in.topicDelivered = counter("kafkasink.topic.delivered", "{log_record}", "The number of log records Kafka acknowledged, by topic.")
	in.topicDropped = counter("kafkasink.topic.dropped", "{log_record}", "The number of log records dropped after the sink routed them to a topic, by topic.")
	age, err := meter.Float64ObservableGauge("kafkasink.queue.oldest_age", metric.WithUnit("s"),
		metric.WithDescription("How long the oldest log record the sink holds has been waiting; 0 if none."))
	errs = append(errs, err)
	in.oldestAge = age
	if m.spool {
		for _, sp := range spoolInstruments {
			if sp.upDown {
				in.spool = append(in.spool, upDown(sp.name, sp.unit, sp.desc))
			} else {
				in.spool = append(in.spool, counter(sp.name, sp.unit, sp.desc))
			}
		}
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}

	insts := []metric.Observable{
		in.exported, in.inflight, in.queueSize,
		in.received, in.accepted, in.dropped, in.retried, in.deliveredSize,
		in.requests, in.requestsInFlight, in.queueUsage,
		in.fallbackDropped, in.topicDelivered, in.topicDropped, in.oldestAge,
	}
	if in.queueCapacity != nil {
		insts = append(insts, in.queueCapacity)
	}
	for _, inst := range in.spool {
		insts = append(insts, inst)
	}
	return meter.RegisterCallback(func(_ context.Context, o metric.Observer) error {
		m.observe(o, &in)
		return nil
	}, insts...)
}

// observe reads the Stats once and observes every instrument.
func (m *Metrics) observe(o metric.Observer, in *instruments) {
	st := m.stats()
	obs := func(inst metric.Int64Observable, v uint64, set attribute.Set) {
		o.ObserveInt64(inst, int64(v), metric.WithAttributeSet(set))
	}
	obs(in.exported, st.Delivered, m.ok)
	for i, r := range dropReasons {
		obs(in.exported, r.count(st.Dropped), m.reasons[i])
	}
	obs(in.inflight, uint64(st.QueueDepth), m.base)
	obs(in.queueSize, uint64(st.QueueDepth), m.base)
	if in.queueCapacity != nil {
		o.ObserveInt64(in.queueCapacity, m.capacity, metric.WithAttributeSet(m.base))
	}
	obs(in.received, st.Received, m.base)
	obs(in.accepted, st.Accepted, m.base)
	for l := core.NoLevel; l <= core.FatalLevel; l++ {
		obs(in.dropped, st.DroppedByLevel.Get(l), m.levels[l])
	}
	obs(in.retried, st.Retries, m.base)
	obs(in.deliveredSize, st.Bytes, m.base)
	obs(in.requests, st.Batches, m.base)
	obs(in.requestsInFlight, uint64(st.InFlight), m.base)
	obs(in.queueUsage, uint64(st.QueueBytes), m.base)
	obs(in.fallbackDropped, st.FallbackDropped, m.base)
	for _, t := range st.Topics {
		// Kafka refuses a topic name that is not UTF-8, but a TopicDecider
		// may return one: keep the attribute valid.
		set := m.with(semconv.MessagingDestinationName(strings.ToValidUTF8(t.Topic, "\uFFFD")))
		obs(in.topicDelivered, t.Delivered, set)
		obs(in.topicDropped, t.Dropped, set)
	}
	o.ObserveFloat64(in.oldestAge, st.OldestAge.Seconds(), metric.WithAttributeSet(m.base))
	for i, inst := range in.spool {
		o.ObserveInt64(inst, spoolInstruments[i].value(st), metric.WithAttributeSet(m.base))
	}
}

// Produce returns kafkasink.delivery.duration, the latency histogram, as
// one cumulative explicit-bucket data point under the scope [ScopeName].
// It makes Metrics an [sdkmetric.Producer]: pass it to a reader with
// [sdkmetric.WithProducer].
func (m *Metrics) Produce(context.Context) ([]metricdata.ScopeMetrics, error) {
	l := m.stats().Latency
	counts := make([]uint64, len(l.Counts))
	copy(counts, l.Counts[:])
	return []metricdata.ScopeMetrics{{
		Scope: instrumentationScope,
		Metrics: []metricdata.Metrics{{
			Name:        "kafkasink.delivery.duration",
			Description: "Time from the log call to Kafka's acknowledgement, of the log records delivered.",
			Unit:        "s",
			Data: metricdata.Histogram[float64]{
				Temporality: metricdata.CumulativeTemporality,
				DataPoints: []metricdata.HistogramDataPoint[float64]{{
					Attributes:   m.base,
					StartTime:    m.start,
					Time:         time.Now(),
					Count:        l.Count,
					Bounds:       slices.Clone(m.bounds),
					BucketCounts: counts,
					Sum:          l.Sum.Seconds(),
				}},
			},
		}},
	}}, nil
}
