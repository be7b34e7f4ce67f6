package sinktest_test

import (
	"context"
	"encoding/json"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/kafkasink/kafkasink/core"
	"github.com/kafkasink/kafkasink/integration/kafkatest"
	"github.com/kafkasink/kafkasink/integration/sinktest"
)

// refLogger is a reference adapter: encoding/json straight into a
// core.Sink. The bugs fields break it on purpose, to show that the suite
// notices.
type refLogger struct {
	s    *core.Sink
	with []sinktest.Field
	bugs bugs
}

type bugs struct {
	noLevel     bool // writes no level
	alias       bool // With appends to the parent's slice in place
	syncNoFlush bool // Sync returns without flushing
	dropEvery   int  // loses every n-th entry
	n           *atomic.Int64
}

func newRef(t *testing.T, cfg core.Config, b bugs) sinktest.Logger {
	s, err := core.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	b.n = new(atomic.Int64)
	return &refLogger{s: s, bugs: b}
}

func (l *refLogger) Log(level core.Level, msg string, fields ...sinktest.Field) {
	if l.bugs.dropEvery > 0 {
		if l.bugs.n.Add(1)%int64(l.bugs.dropEvery) == 0 {
			return
		}
	}
	var b strings.Builder
	b.WriteString("{")
	if !l.bugs.noLevel {
		b.WriteString(`"level":"` + level.String() + `",`)
	}
	b.WriteString(`"ts":1,"msg":`)
	m, _ := json.Marshal(msg)
	b.Write(m)
	for _, f := range append(l.with[:len(l.with):len(l.with)], fields...) {
		k, _ := json.Marshal(f.Key)
		v, _ := json.Marshal(f.Value)
		b.WriteString(",")
		b.Write(k)
		b.WriteString(":")
		b.Write(v)
	}
	b.WriteString("}\n")
	_ = l.s.Write(core.Entry{Time: time.Now(), Level: level, Message: msg, JSON: []byte(b.String())})
}

func (l *refLogger) With(fields ...sinktest.Field) sinktest.Logger {
	w := *l
	if l.bugs.alias {
		w.with = append(l.with, fields...)
	} else {
		w.with = append(l.with[:len(l.with):len(l.with)], fields...)
	}
	return &w
}

func (l *refLogger) Sync() error {
	if l.bugs.syncNoFlush {
		return nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	return l.s.Flush(ctx)
}

func (l *refLogger) Close() error {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	return l.s.Close(ctx)
}

func TestReference(t *testing.T) {
	sinktest.Run(t, sinktest.Harness{
		New:     func(t *testing.T, cfg core.Config) sinktest.Logger { return newRef(t, cfg, bugs{}) },
		TimeKey: "ts",
	})
}

func TestTestSinkReference(t *testing.T) {
	err := sinktest.TestSink(t, sinktest.Harness{
		New:     func(t *testing.T, cfg core.Config) sinktest.Logger { return newRef(t, cfg, bugs{}) },
		TimeKey: "ts",
	})
	if err != nil {
		t.Errorf("TestSink: got %v, want nil", err)
	}
}

// TestSuiteCatchesBugs runs the suite against broken adapters and checks
// that it reports each bug where it should.
func TestSuiteCatchesBugs(t *testing.T) {
	c := kafkatest.Start(t)
	for _, tt := range []struct {
		name string
		bugs bugs
		want []string // substrings of the error
	}{
		{"no level", bugs{noLevel: true}, []string{`built-ins: entry 1: got no "level" key, want level "info"`}},
		{"aliasing With", bugs{alias: true}, []string{`with-no-alias: entry 1 ("x"): got field "y" = "5", want none`}},
		{"Sync does not flush", bugs{syncNoFlush: true}, []string{`sync: Sync #1: got 0 of 10 entries in Kafka when it returned, want all`}},
		{"lost entries", bugs{dropEvery: 100}, []string{`exactly-once: got 297 of 300 entries, missing ids 100 ("entry"), 200 ("entry"), 300 ("entry")`}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			err := sinktest.TestSink(t, sinktest.Harness{
				New:     func(t *testing.T, cfg core.Config) sinktest.Logger { return newRef(t, cfg, tt.bugs) },
				Cluster: c,
			})
			if err == nil {
				t.Fatal("TestSink: got nil, want an error")
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("TestSink: got\n%v\nwant it to contain %q", err, w)
				}
			}
		})
	}
}

func TestNames(t *testing.T) {
	names := sinktest.Names()
	if len(names) < 10 {
		t.Errorf("Names: got %d cases, want at least 10", len(names))
	}
	seen := map[string]bool{}
	for _, n := range names {
		if seen[n] {
			t.Errorf("Names: got %q twice, want unique names", n)
		}
		seen[n] = true
	}
}
