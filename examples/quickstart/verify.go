package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strings"

	"github.com/kafkasink/kafkasink/core"
	"github.com/kafkasink/kafkasink/integration/kafkatest"
)

// topicResult is what was found in one topic.
type topicResult struct {
	topic      string
	expected   int // entries the TopicDecider sent here
	got        int // records of this run found here
	missing    int // expected here, not found here
	misrouted  int // found here, expected in another topic
	duplicates int // found here more than once (at-least-once delivery)
	other      int // records of other runs or other producers, ignored
	readErr    error
	samples    []kafkatest.Record
}

// failed reports whether the topic lacks entries or holds wrong ones.
func (r topicResult) failed() bool {
	return r.readErr != nil || r.missing > 0 || r.misrouted > 0
}

// logged is the part of an entry the check reads.
type logged struct {
	Level     string `json:"level"`
	Service   string `json:"service"`
	RequestID string `json:"request_id"`
	Run       string `json:"run"`
}

// verify reads each topic back with an independent client (franz-go) and
// compares what it holds with exp. Records of other runs are ignored, so a
// topic may be reused.
func verify(ctx context.Context, t target, runID string, topics []string, exp *expected) []topicResult {
	seen := map[entryKey]int{}
	results := make([]topicResult, len(topics))
	for i, topic := range topics {
		res := &results[i]
		res.topic, res.expected = topic, exp.perTopic[topic]
		recs, err := kafkatest.ReadTopic(ctx, t.brokers, topic, t.read...)
		if err != nil {
			res.readErr = err
			continue
		}
		for _, rec := range recs {
			var l logged
			if json.Unmarshal(rec.Value, &l) != nil || l.Run != runID {
				res.other++
				continue
			}
			res.got++
			k := entryKey{l.Service, l.RequestID, strings.ToLower(l.Level)} // slog's are upper case
			switch want, ok := exp.topicOf[k]; {
			case !ok || want != topic:
				res.misrouted++
			default:
				if seen[k]++; seen[k] > 1 {
					res.duplicates++
				}
				if len(res.samples) < 3 && !hasService(res.samples, l.Service) {
					res.samples = append(res.samples, rec)
				}
			}
		}
	}
	for k, topic := range exp.topicOf {
		if seen[k] == 0 {
			for i := range results {
				if results[i].topic == topic {
					results[i].missing++
				}
			}
		}
	}
	return results
}

// hasService reports whether recs hold an entry of service.
func hasService(recs []kafkatest.Record, service string) bool {
	for _, r := range recs {
		var l logged
		if json.Unmarshal(r.Value, &l) == nil && l.Service == service {
			return true
		}
	}
	return false
}

// printResults prints the table of counts per topic and up to four
// sample records, and reports whether everything is there.
func printResults(w io.Writer, results []topicResult) bool {
	ok := true
	fmt.Fprintf(w, "\n%-36s %8s %8s %8s %9s %10s\n", "topic", "expected", "got", "missing", "misrouted", "duplicates")
	for _, r := range results {
		fmt.Fprintf(w, "%-36s %8d %8d %8d %9d %10d\n", r.topic, r.expected, r.got, r.missing, r.misrouted, r.duplicates)
		if r.readErr != nil {
			fmt.Fprintf(w, "  cannot read %s: %v\n", r.topic, r.readErr)
		}
		if r.other > 0 {
			fmt.Fprintf(w, "  (%d records of other runs in %s ignored)\n", r.other, r.topic)
		}
		ok = ok && !r.failed()
	}
	fmt.Fprintln(w, "\nsample records (topic[partition]@offset key value):")
	n := 0
	defer func() {
		if n == 0 {
			fmt.Fprintln(w, "  (none)")
		}
	}()
	for _, r := range results {
		for _, rec := range r.samples {
			if n == 4 {
				break
			}
			fmt.Fprintf(w, "  %s[%d]@%d %s %s\n", rec.Topic, rec.Partition, rec.Offset, rec.Key, rec.Value)
			n++
		}
	}
	return ok
}

// printStats prints the sink's counters.
func printStats(w io.Writer, st core.Stats) {
	d := st.Dropped
	fmt.Fprintf(w, "\nsink stats: received %d, delivered %d, dropped %d "+
		"(queue full %d, too large %d, retries exhausted %d, closed %d, not retriable %d), "+
		"%d batches, %d retries, %d value bytes\n",
		st.Received, st.Delivered, d.Total(), d.QueueFull, d.TooLarge, d.RetriesExhausted, d.Closed, d.NotRetriable,
		st.Batches, st.Retries, st.Bytes)
	if st.LastError != nil {
		fmt.Fprintf(w, "sink's last error: %v\n", st.LastError)
	}
}
