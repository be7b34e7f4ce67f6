package kafkaprom

import (
	"github.com/prometheus/client_golang/prometheus"

	"github.com/kafkasink/kafkasink/core"
)

// SpoolSeries says whether a [Collector] exports the series of a sink's
// on-disk spool (core.Config.SpoolDir): kafkasink_spool_… and
// kafkasink_entries_replayed_total. A sink without a spool has them all at
// zero. The choice is made once, by New or NewFunc, so that the series
// neither come nor go while the Collector is registered.
type SpoolSeries int

// The choices of [Options.Spool].
const (
	// SpoolAuto, the zero value: [New] exports the spool's series if the
	// sink's Config has a SpoolDir, and none otherwise; [NewFunc], which
	// sees only Stats and cannot tell, always exports them.
	SpoolAuto SpoolSeries = iota
	// SpoolAlways exports the spool's series, zero or not.
	SpoolAlways
	// SpoolNever exports none of them: for NewFunc over sinks without a
	// spool.
	SpoolNever
)

// spoolSeries are the series of [core.Stats].Replayed and of each
// [core.SpoolStats] field, in the order of Stats.
var spoolSeries = [...]struct {
	name, help string
	kind       prometheus.ValueType
	value      func(core.Stats) float64
}{
	{"entries_replayed_total", "Log entries found in SpoolDir at New, left undelivered by an earlier process: read back to be delivered, or lost to damaged files (dropped, reason corrupt).",
		prometheus.CounterValue, func(st core.Stats) float64 { return float64(st.Replayed) }},
	{"spool_bytes", "Bytes of the spool's segment and journal files: what SpoolByteLimit bounds.",
		prometheus.GaugeValue, func(st core.Stats) float64 { return float64(st.Spool.Bytes) }},
	{"spool_entries", "Log entries on disk not yet delivered or dropped, whether also held in memory or not.",
		prometheus.GaugeValue, func(st core.Stats) float64 { return float64(st.Spool.Records) }},
	{"spool_segments", "Segment files of the spool.",
		prometheus.GaugeValue, func(st core.Stats) float64 { return float64(st.Spool.Segments) }},
	{"spool_entries_appended_total", "Log entries this process wrote to the spool.",
		prometheus.CounterValue, func(st core.Stats) float64 { return float64(st.Spool.Appended) }},
	{"spool_entries_read_back_total", "Log entries read back from the spool: replayed, or spilled out of memory during an outage.",
		prometheus.CounterValue, func(st core.Stats) float64 { return float64(st.Spool.ReadBack) }},
	{"spool_entries_skipped_total", "Log entries kept in memory only, not written to the spool, because it was full (SpoolByteLimit) or failed.",
		prometheus.CounterValue, func(st core.Stats) float64 { return float64(st.Spool.Skipped) }},
	{"spool_errors_total", "Failed writes, reads and fsyncs of the spool's files.",
		prometheus.CounterValue, func(st core.Stats) float64 { return float64(st.Spool.Errors) }},
	{"spool_unwritten_entries", "Log entries accepted and not yet through a spool write: what a kill -9 would lose now.",
		prometheus.GaugeValue, func(st core.Stats) float64 { return float64(st.Spool.Unwritten) }},
}
