package sinktest

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/kafkasink/kafkasink/core"
	"github.com/kafkasink/kafkasink/integration/kafkatest"
)

// IDKey is the key of the field the suite adds to every entry it logs: a
// number unique within a case, by which it matches records to entries.
const IDKey = "sinktest_id"

// Field is a field of a log entry, given to [Logger.Log] and [Logger.With].
type Field struct {
	Key string
	// Value is a string, an int64, a float64 or a bool. The suite logs no
	// other types, so adapters need handle only these.
	Value any
}

// String returns a string field.
func String(key, value string) Field { return Field{key, value} }

// Int returns an integer field.
func Int(key string, value int64) Field { return Field{key, value} }

// Float returns a floating-point field.
func Float(key string, value float64) Field { return Field{key, value} }

// Bool returns a boolean field.
func Bool(key string, value bool) Field { return Field{key, value} }

// Logger is what the suite needs from an adapter under test: a logger
// writing JSON entries into a [core.Sink]. Adapters wrap their logger in a
// small type implementing it.
//
// Log and With may be called from many goroutines at once; Sync and Close
// are called from the test's goroutine.
type Logger interface {
	// Log logs one entry at level with message msg and the given fields,
	// as JSON, into the sink. The suite logs at DebugLevel, InfoLevel,
	// WarnLevel and ErrorLevel only, and never repeats a key within one
	// entry (With's fields included).
	Log(level core.Level, msg string, fields ...Field)

	// With returns a Logger that adds fields to every entry it logs and
	// writes into the same sink. A logger without a With of its own can
	// carry the fields and add them in Log.
	With(fields ...Field) Logger

	// Sync delivers every entry logged so far before it returns, as zap's
	// Sync does, and returns nil if all of them were delivered.
	Sync() error

	// Close delivers every entry logged so far, then closes the sink. It
	// returns nil if all of them were delivered. Calling it again must
	// return nil or an error wrapping core.ErrClosed, and entries logged
	// after Close must neither panic nor block.
	Close() error
}

// Harness describes an adapter to the suite.
type Harness struct {
	// New returns a Logger, enabled for DebugLevel and above, writing into
	// a sink built from cfg. Required.
	//
	// The suite fills cfg's Brokers, Topic, Period (an hour),
	// BatchSizeLimit, DelayFirstEntry (true), ErrorHandler and, in some
	// cases, TopicDecider and KeyDecider. New may change what it cannot
	// honour, or call t.Skip for such a case (under [TestSink], that
	// skips the rest of the suite too).
	New func(t *testing.T, cfg core.Config) Logger

	// LevelKey is the JSON key of the level, whose value must be a name
	// [core.ParseLevel] knows. If empty, "level".
	LevelKey string

	// MessageKey is the JSON key of the message. If empty, "msg".
	MessageKey string

	// TimeKey is the JSON key of the time, which must be present in every
	// entry. If empty, the time is not checked.
	TimeKey string

	// Cluster is the cluster the suite writes to and reads from. If nil,
	// [Run] and [TestSink] start one for the test with [kafkatest.Start].
	Cluster *kafkatest.Cluster
}

func (h Harness) levelKey() string {
	if h.LevelKey == "" {
		return "level"
	}
	return h.LevelKey
}

func (h Harness) messageKey() string {
	if h.MessageKey == "" {
		return "msg"
	}
	return h.MessageKey
}

// Run runs every case of the suite against h, each in a subtest of t, and
// reports each violation with t.Error. It skips under -short unless
// h.Cluster is set.
func Run(t *testing.T, h Harness) {
	t.Helper()
	c := h.cluster(t)
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			for _, err := range tc.run(t, h, c) {
				t.Error(err)
			}
		})
	}
}

// TestSink runs every case of the suite against h in t, without subtests,
// and returns one error per violation, each prefixed with its case's name,
// combined with [errors.Join]; nil if the adapter conforms. Failures of the
// test machinery itself (a cluster that cannot start, a topic that cannot
// be read) fail t instead.
func TestSink(t *testing.T, h Harness) error {
	t.Helper()
	c := h.cluster(t)
	var errs []error
	for _, tc := range cases {
		for _, err := range tc.run(t, h, c) {
			errs = append(errs, fmt.Errorf("%s: %w", tc.name, err))
		}
	}
	return errors.Join(errs...)
}

// Names returns the names of the suite's cases, in the order they run: the
// names of Run's subtests.
func Names() []string {
	names := make([]string, len(cases))
	for i, tc := range cases {
		names[i] = tc.name
	}
	return names
}

func (h Harness) cluster(t *testing.T) *kafkatest.Cluster {
	t.Helper()
	if h.New == nil {
		t.Fatal("sinktest: Harness.New is nil")
	}
	if h.Cluster != nil {
		return h.Cluster
	}
	return kafkatest.Start(t)
}

// topicSeq makes topic names unique when the suite runs several times
// against one cluster.
var topicSeq atomic.Int64

// readTimeout bounds reading a topic back.
const readTimeout = 10 * time.Second

// run runs the case and returns its violations.
func (tc testCase) run(t *testing.T, h Harness, c *kafkatest.Cluster) []error {
	t.Helper()
	topic := "sinktest-" + tc.name + "-" + strconv.FormatInt(topicSeq.Add(1), 10)
	topics := []string{topic}
	for _, suffix := range tc.extraTopics {
		topics = append(topics, topic+suffix)
	}
	for _, tp := range topics {
		c.CreateTopic(t, tp, kafkatest.DefaultPartitions)
	}

	s := &state{c: c, topics: topics, byID: make(map[int64]*entry)}
	cfg := core.Config{
		Brokers:         c.Addrs(),
		Topic:           topic,
		Period:          time.Hour,
		BatchSizeLimit:  10000,
		DelayFirstEntry: true,
		ErrorHandler:    s.backgroundError,
	}
	if tc.config != nil {
		tc.config(&cfg, topic)
	}
	l := h.New(t, cfg)
	if l == nil {
		t.Fatal("sinktest: Harness.New returned nil")
	}
	// If the case fails half-way, still stop the sink's goroutines.
	t.Cleanup(func() { _ = l.Close() })

	tc.f(&tracked{s: s, l: l})
	s.close(l) // the suite's own Close, after the case's

	res := &result{h: h, topic: topic, state: s}
	for _, tp := range topics {
		ctx, cancel := context.WithTimeout(context.Background(), readTimeout)
		recs, err := c.Read(ctx, tp)
		cancel()
		if err != nil {
			t.Fatalf("sinktest: reading topic %q back: %v", tp, err)
		}
		for _, r := range recs {
			res.records = append(res.records, decode(r))
		}
	}

	s.mu.Lock()
	if len(s.bgErrs) > 0 {
		t.Logf("the sink reported %d background errors, the first: %v", len(s.bgErrs), s.bgErrs[0])
	}
	s.mu.Unlock()

	var errs []error
	for _, chk := range append(common[:len(common):len(common)], tc.checks...) {
		if p := chk(res); p != "" {
			errs = append(errs, fmt.Errorf("%s: %s", p, tc.explanation))
		}
	}
	return errs
}

// state is what a case has logged and seen so far.
type state struct {
	c      *kafkatest.Cluster
	topics []string
	nextID atomic.Int64
	closed atomic.Bool // a Close has returned

	mu        sync.Mutex
	logged    []*entry
	byID      map[int64]*entry
	syncs     []syncPoint
	closeErrs []error
	bgErrs    []error
}

// entry is what the suite logged.
type entry struct {
	id         int64
	level      core.Level
	msg        string
	fields     []Field // With's, then Log's; without IDKey
	afterClose bool    // logged after a Close returned: must not arrive
}

// syncPoint is the outcome of one Sync.
type syncPoint struct {
	err        error
	afterClose bool    // called after a Close: may fail
	want       int     // entries logged before the Sync
	missing    []int64 // of those, the ids not in Kafka right after it
	readErr    error
}

func (s *state) backgroundError(err error) {
	s.mu.Lock()
	s.bgErrs = append(s.bgErrs, err)
	s.mu.Unlock()
}

func (s *state) sync(l Logger) {
	s.mu.Lock()
	before := make([]int64, 0, len(s.logged))
	for _, e := range s.logged {
		if !e.afterClose {
			before = append(before, e.id)
		}
	}
	s.mu.Unlock()
	sp := syncPoint{afterClose: s.closed.Load(), want: len(before)}
	sp.err = l.Sync()
	present := make(map[int64]bool)
	for _, tp := range s.topics {
		ctx, cancel := context.WithTimeout(context.Background(), readTimeout)
		recs, err := s.c.Read(ctx, tp)
		cancel()
		if err != nil {
			sp.readErr = err
			break
		}
		for _, r := range recs {
			if id := decode(r).id; id != 0 {
				present[id] = true
			}
		}
	}
	for _, id := range before {
		if !present[id] {
			sp.missing = append(sp.missing, id)
		}
	}
	s.mu.Lock()
	s.syncs = append(s.syncs, sp)
	s.mu.Unlock()
}

func (s *state) close(l Logger) {
	err := l.Close()
	s.closed.Store(true)
	s.mu.Lock()
	s.closeErrs = append(s.closeErrs, err)
	s.mu.Unlock()
}

// tracked wraps the adapter's Logger: it tags each entry with a unique id
// and remembers what was logged, for the checks.
type tracked struct {
	s    *state
	l    Logger
	with []Field
}

func (w *tracked) Log(level core.Level, msg string, fields ...Field) {
	id := w.s.nextID.Add(1)
	e := &entry{
		id:         id,
		level:      level,
		msg:        msg,
		fields:     append(w.with[:len(w.with):len(w.with)], fields...),
		afterClose: w.s.closed.Load(),
	}
	w.s.mu.Lock()
	w.s.logged = append(w.s.logged, e)
	w.s.byID[id] = e
	w.s.mu.Unlock()
	w.l.Log(level, msg, append(fields[:len(fields):len(fields)], Int(IDKey, id))...)
}

func (w *tracked) With(fields ...Field) Logger {
	return &tracked{s: w.s, l: w.l.With(fields...), with: append(w.with[:len(w.with):len(w.with)], fields...)}
}

func (w *tracked) Sync() error  { w.s.sync(w.l); return nil }
func (w *tracked) Close() error { w.s.close(w.l); return nil }
