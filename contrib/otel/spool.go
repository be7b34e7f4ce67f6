package kafkaotel

import "github.com/kafkasink/kafkasink/core"

// SpoolSeries says whether [Metrics.Register] registers the instruments of
// a sink's on-disk spool (core.Config.SpoolDir): kafkasink.spool.… and
// kafkasink.log.replayed. A sink without a spool has them all at zero.
// The choice is made once, by New or NewFunc, so that the instruments
// neither come nor go between collections.
type SpoolSeries int

// The choices of [Options.Spool].
const (
	// SpoolAuto, the zero value: [New] registers the spool's instruments
	// if the sink's Config has a SpoolDir, and none otherwise; [NewFunc],
	// which sees only Stats and cannot tell, always registers them.
	SpoolAuto SpoolSeries = iota
	// SpoolAlways registers the spool's instruments, zero or not.
	SpoolAlways
	// SpoolNever registers none of them: for NewFunc over sinks without a
	// spool.
	SpoolNever
)

// spoolInstruments are the instruments of [core.Stats].Replayed and of
// each [core.SpoolStats] field, in the order of Stats.
var spoolInstruments = [...]struct {
	name, unit, desc string
	upDown           bool // an UpDownCounter, else a Counter
	value            func(core.Stats) int64
}{
	{"kafkasink.log.replayed", "{log_record}", "The number of log records found in SpoolDir at New, left undelivered by an earlier process: read back to be delivered, or lost to damaged files (error.type corrupt).",
		false, func(st core.Stats) int64 { return int64(st.Replayed) }},
	{"kafkasink.spool.usage", "By", "The bytes of the spool's segment and journal files: what SpoolByteLimit bounds.",
		true, func(st core.Stats) int64 { return st.Spool.Bytes }},
	{"kafkasink.spool.records", "{log_record}", "The number of log records on disk not yet delivered or dropped, whether also held in memory or not.",
		true, func(st core.Stats) int64 { return int64(st.Spool.Records) }},
	{"kafkasink.spool.segments", "{segment}", "The number of segment files of the spool.",
		true, func(st core.Stats) int64 { return int64(st.Spool.Segments) }},
	{"kafkasink.spool.appended", "{log_record}", "The number of log records this process wrote to the spool.",
		false, func(st core.Stats) int64 { return int64(st.Spool.Appended) }},
	{"kafkasink.spool.read_back", "{log_record}", "The number of log records read back from the spool: replayed, or spilled out of memory during an outage.",
		false, func(st core.Stats) int64 { return int64(st.Spool.ReadBack) }},
	{"kafkasink.spool.skipped", "{log_record}", "The number of log records kept in memory only, not written to the spool, because it was full (SpoolByteLimit) or failed.",
		false, func(st core.Stats) int64 { return int64(st.Spool.Skipped) }},
	{"kafkasink.spool.errors", "{error}", "The number of failed writes, reads and fsyncs of the spool's files.",
		false, func(st core.Stats) int64 { return int64(st.Spool.Errors) }},
	{"kafkasink.spool.unwritten", "{log_record}", "The number of log records accepted and not yet through a spool write: what a kill -9 would lose now.",
		true, func(st core.Stats) int64 { return int64(st.Spool.Unwritten) }},
}
