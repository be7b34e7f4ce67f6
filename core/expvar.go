package core

import (
	"expvar"
	"fmt"
)

// PublishExpvar publishes the Stats of s under name in package expvar, so
// that expvar's /debug/vars handler shows them, read afresh at each
// request. The value is an object with Stats' fields (durations in
// seconds, LastError as its message, the latency histogram with its
// bounds, p50 and p99; the spool's figures under "spool", zero without
// SpoolDir). It returns an error if name is already published
// (expvar itself would panic).
func PublishExpvar(name string, s *Sink) (err error) {
	if expvar.Get(name) != nil {
		return fmt.Errorf("kafkasink: expvar %q is already published", name)
	}
	defer func() {
		if recover() != nil { // published meanwhile by another goroutine
			err = fmt.Errorf("kafkasink: expvar %q is already published", name)
		}
	}()
	expvar.Publish(name, expvar.Func(func() any { return s.Stats().asMap() }))
	return nil
}

// asMap returns st as JSON-friendly values, for expvar.
func (st Stats) asMap() map[string]any {
	lastErr := ""
	if st.LastError != nil {
		lastErr = st.LastError.Error()
	}
	bounds := make([]float64, len(LatencyBounds))
	for i, b := range LatencyBounds {
		bounds[i] = b.Seconds()
	}
	byLevel := map[string]uint64{}
	for l := range numLevels {
		if n := st.DroppedByLevel.Get(Level(l)); n > 0 {
			name := Level(l).String()
			if name == "" {
				name = "none"
			}
			byLevel[name] = n
		}
	}
	topics := make([]map[string]any, len(st.Topics))
	for i, t := range st.Topics {
		topics[i] = map[string]any{"topic": t.Topic, "delivered": t.Delivered, "dropped": t.Dropped}
	}
	return map[string]any{
		"received":  st.Received,
		"accepted":  st.Accepted,
		"delivered": st.Delivered,
		"dropped": map[string]uint64{
			"queue_full":        st.Dropped.QueueFull,
			"shed":              st.Dropped.Shed,
			"too_large":         st.Dropped.TooLarge,
			"retries_exhausted": st.Dropped.RetriesExhausted,
			"closed":            st.Dropped.Closed,
			"not_retriable":     st.Dropped.NotRetriable,
			"corrupt":           st.Dropped.Corrupt,
		},
		"dropped_total":    st.Dropped.Total(),
		"dropped_by_level": byLevel,
		"retries":          st.Retries,
		"batches":          st.Batches,
		"bytes":            st.Bytes,
		"queue_depth":      st.QueueDepth,
		"queue_bytes":      st.QueueBytes,
		"fallback_dropped": st.FallbackDropped,
		"in_flight":        st.InFlight,
		"oldest_age_s":     st.OldestAge.Seconds(),
		"latency": map[string]any{
			"bounds_s": bounds,
			"counts":   st.Latency.Counts,
			"count":    st.Latency.Count,
			"sum_s":    st.Latency.Sum.Seconds(),
			"p50_s":    st.Latency.Quantile(0.5).Seconds(),
			"p99_s":    st.Latency.Quantile(0.99).Seconds(),
		},
		"topics":   topics,
		"replayed": st.Replayed,
		"spool": map[string]any{
			"bytes":     st.Spool.Bytes,
			"records":   st.Spool.Records,
			"segments":  st.Spool.Segments,
			"appended":  st.Spool.Appended,
			"read_back": st.Spool.ReadBack,
			"skipped":   st.Spool.Skipped,
			"errors":    st.Spool.Errors,
			"unwritten": st.Spool.Unwritten,
		},
		"last_error":      lastErr,
		"last_error_time": st.LastErrorTime,
	}
}
