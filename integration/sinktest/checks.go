package sinktest

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"

	"github.com/kafkasink/kafkasink/core"
	"github.com/kafkasink/kafkasink/integration/kafkatest"
)

// check looks at a case's result and returns "" or what is wrong, as
// "got X, want Y".
type check func(*result) string

// result is what a case logged and what reached Kafka.
type result struct {
	h     Harness
	topic string
	*state
	records []record // from every topic of the case
}

// record is a record read back, decoded.
type record struct {
	kafkatest.Record
	obj map[string]any // nil if the value is not one JSON object
	err error          // why obj is nil
	id  int64          // the IDKey field; 0 if absent
}

func decode(r kafkatest.Record) record {
	rec := record{Record: r}
	dec := json.NewDecoder(bytes.NewReader(r.Value))
	dec.UseNumber()
	if err := dec.Decode(&rec.obj); err != nil {
		rec.obj, rec.err = nil, err
		return rec
	}
	if _, err := dec.Token(); err != io.EOF {
		rec.obj, rec.err = nil, errors.New("more than one JSON value")
		return rec
	}
	if rec.obj == nil {
		rec.err = errors.New("null, not an object")
		return rec
	}
	if n, ok := rec.obj[IDKey].(json.Number); ok {
		rec.id, _ = n.Int64()
	}
	return rec
}

// limit bounds the problems one check lists.
const limit = 5

// problems joins up to limit problems, and says how many more there were.
func problems(ps []string) string {
	if len(ps) <= limit {
		return strings.Join(ps, "; ")
	}
	return strings.Join(ps[:limit], "; ") + fmt.Sprintf("; and %d more", len(ps)-limit)
}

// common are the checks run for every case.
var common = []check{validJSON, exactlyOnce, intact, closed, synced}

// validJSON: every record is exactly one JSON object, without a trailing
// newline.
func validJSON(r *result) string {
	var ps []string
	for _, rec := range r.records {
		switch {
		case rec.err != nil:
			ps = append(ps, fmt.Sprintf("record %v is not a JSON object: %v", rec.Record, rec.err))
		case !bytes.HasSuffix(rec.Value, []byte("}")):
			ps = append(ps, fmt.Sprintf("record %v: got a value ending in %q, want the bare JSON object", rec.Record, rec.Value[max(0, len(rec.Value)-3):]))
		}
	}
	return problems(ps)
}

// exactlyOnce: every entry logged before Close arrived once; none logged
// after Close arrived; no record is foreign.
func exactlyOnce(r *result) string {
	seen := make(map[int64]int)
	var ps []string
	for _, rec := range r.records {
		if rec.obj == nil {
			continue
		}
		e := r.byID[rec.id]
		if e == nil {
			ps = append(ps, fmt.Sprintf("record %v: got an unknown %s, want one the case logged", rec.Record, IDKey))
			continue
		}
		seen[rec.id]++
	}
	var missing, dup, late []string
	for _, e := range r.logged {
		n := seen[e.id]
		switch {
		case e.afterClose && n > 0:
			late = append(late, fmt.Sprintf("%d (%q)", e.id, e.msg))
		case !e.afterClose && n == 0:
			missing = append(missing, fmt.Sprintf("%d (%q)", e.id, e.msg))
		case n > 1:
			dup = append(dup, fmt.Sprintf("%d ×%d", e.id, n))
		}
	}
	want := 0
	for _, e := range r.logged {
		if !e.afterClose {
			want++
		}
	}
	if len(missing) > 0 {
		ps = append(ps, fmt.Sprintf("got %d of %d entries, missing ids %s", want-len(missing), want, list(missing)))
	}
	if len(dup) > 0 {
		ps = append(ps, fmt.Sprintf("got %d entries more than once (ids %s), want each once", len(dup), list(dup)))
	}
	if len(late) > 0 {
		ps = append(ps, fmt.Sprintf("got %d entries logged after Close (ids %s), want none", len(late), list(late)))
	}
	return problems(ps)
}

func list(s []string) string {
	if len(s) <= limit {
		return strings.Join(s, ", ")
	}
	return strings.Join(s[:limit], ", ") + ", …"
}

// intact: each record holds its entry's level, message and fields.
func intact(r *result) string {
	lk, mk := r.h.levelKey(), r.h.messageKey()
	var ps []string
	for _, rec := range r.records {
		e := r.byID[rec.id]
		if rec.obj == nil || e == nil {
			continue
		}
		if p := hasLevel(rec.obj, lk, e.level); p != "" {
			ps = append(ps, fmt.Sprintf("entry %d: %s", e.id, p))
		}
		if got, ok := rec.obj[mk]; !ok && e.msg != "" {
			ps = append(ps, fmt.Sprintf("entry %d: got no %q key, want message %q", e.id, mk, e.msg))
		} else if ok && got != e.msg {
			ps = append(ps, fmt.Sprintf("entry %d: %q: got %#v, want %q", e.id, mk, got, e.msg))
		}
		if tk := r.h.TimeKey; tk != "" {
			if _, ok := rec.obj[tk]; !ok {
				ps = append(ps, fmt.Sprintf("entry %d: got no %q key, want the time", e.id, tk))
			}
		}
		for _, f := range e.fields {
			got, ok := rec.obj[f.Key]
			if !ok {
				ps = append(ps, fmt.Sprintf("entry %d: got no field %q, want %#v", e.id, f.Key, f.Value))
			} else if !sameValue(got, f.Value) {
				ps = append(ps, fmt.Sprintf("entry %d: field %q: got %#v, want %#v", e.id, f.Key, got, f.Value))
			}
		}
	}
	return problems(ps)
}

func hasLevel(obj map[string]any, key string, want core.Level) string {
	v, ok := obj[key]
	if !ok {
		return fmt.Sprintf("got no %q key, want level %q", key, want)
	}
	s, _ := v.(string)
	got, err := core.ParseLevel(s)
	if err != nil || got != want {
		return fmt.Sprintf("%q: got %#v, want %q", key, v, want)
	}
	return ""
}

// sameValue reports whether got, decoded from JSON with UseNumber, is the
// value want was logged as.
func sameValue(got, want any) bool {
	switch w := want.(type) {
	case string:
		g, ok := got.(string)
		return ok && g == w
	case bool:
		g, ok := got.(bool)
		return ok && g == w
	case int64:
		n, ok := got.(json.Number)
		if !ok {
			return false
		}
		g, err := n.Int64()
		return err == nil && g == w
	case float64:
		n, ok := got.(json.Number)
		if !ok {
			return false
		}
		g, err := strconv.ParseFloat(string(n), 64)
		return err == nil && g == w
	}
	return false
}

// closed: the first Close returned nil, later ones nil or ErrClosed.
func closed(r *result) string {
	var ps []string
	for i, err := range r.closeErrs {
		switch {
		case i == 0 && err != nil:
			ps = append(ps, fmt.Sprintf("Close: got error %v, want nil", err))
		case i > 0 && err != nil && !errors.Is(err, core.ErrClosed):
			ps = append(ps, fmt.Sprintf("Close again: got error %v, want nil or core.ErrClosed", err))
		}
	}
	return problems(ps)
}

// synced: each Sync before Close returned nil, and every entry logged
// before it was in Kafka when it returned.
func synced(r *result) string {
	var ps []string
	for i, sp := range r.syncs {
		switch {
		case sp.readErr != nil:
			ps = append(ps, fmt.Sprintf("Sync #%d: reading back: %v", i+1, sp.readErr))
		case len(sp.missing) > 0:
			ps = append(ps, fmt.Sprintf("Sync #%d: got %d of %d entries in Kafka when it returned, want all", i+1, sp.want-len(sp.missing), sp.want))
		}
		if sp.err != nil && !sp.afterClose {
			ps = append(ps, fmt.Sprintf("Sync #%d: got error %v, want nil", i+1, sp.err))
		}
	}
	return problems(ps)
}

// wantRecords checks the number of records that reached Kafka, in all the
// case's topics.
func wantRecords(n int) check {
	return func(r *result) string {
		if got := len(r.records); got != n {
			return fmt.Sprintf("got %d records, want %d", got, n)
		}
		return ""
	}
}

// wantSyncs checks the number of Sync calls the case made.
func wantSyncs(n int) check {
	return func(r *result) string {
		if got := len(r.syncs); got != n {
			return fmt.Sprintf("got %d Sync calls recorded, want %d", got, n)
		}
		return ""
	}
}

// routed checks that the entries for which in holds are in the topic with
// suffix, and the others in the case's topic.
func routed(suffix string, in func(*entry) bool) check {
	return func(r *result) string {
		var ps []string
		for _, rec := range r.records {
			e := r.byID[rec.id]
			if e == nil {
				continue
			}
			want := r.topic
			if in(e) {
				want += suffix
			}
			if rec.Topic != want {
				ps = append(ps, fmt.Sprintf("entry %d (%s %q): got topic %q, want %q", e.id, e.level, e.msg, rec.Topic, want))
			}
		}
		return problems(ps)
	}
}

// keyedByField checks that each record's key is its entry's field (none
// without it), and that the records of one key are in one partition, in
// the order they were logged.
func keyedByField(field string) check {
	return func(r *result) string {
		var ps []string
		partition := make(map[string]int32)
		last := make(map[string]int64)
		for _, rec := range r.records { // sorted by partition, then offset
			e := r.byID[rec.id]
			if e == nil {
				continue
			}
			want := fieldValue(e, field)
			if want == "" {
				if rec.Key != nil {
					ps = append(ps, fmt.Sprintf("entry %d: got key %q, want none", e.id, rec.Key))
				}
				continue
			}
			if string(rec.Key) != want {
				ps = append(ps, fmt.Sprintf("entry %d: got key %q, want %q", e.id, rec.Key, want))
				continue
			}
			if p, ok := partition[want]; ok && p != rec.Partition {
				ps = append(ps, fmt.Sprintf("key %q: got partitions %d and %d, want one", want, p, rec.Partition))
			}
			partition[want] = rec.Partition
			if prev, ok := last[want]; ok && prev > e.id {
				ps = append(ps, fmt.Sprintf("key %q: got entry %d after entry %d, want the order logged", want, e.id, prev))
			}
			last[want] = e.id
		}
		return problems(ps)
	}
}

// onlyFieldsLogged checks that, of keys, each record holds exactly those
// its entry was logged with: With on one logger leaks nothing into another.
func onlyFieldsLogged(keys ...string) check {
	return func(r *result) string {
		var ps []string
		for _, rec := range r.records {
			e := r.byID[rec.id]
			if rec.obj == nil || e == nil {
				continue
			}
			for _, k := range keys {
				logged := slices.ContainsFunc(e.fields, func(f Field) bool { return f.Key == k })
				if _, got := rec.obj[k]; got && !logged {
					ps = append(ps, fmt.Sprintf("entry %d (%q): got field %q = %#v, want none", e.id, e.msg, k, rec.obj[k]))
				}
			}
		}
		return problems(ps)
	}
}
