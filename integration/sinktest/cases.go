package sinktest

import (
	"strconv"
	"strings"
	"sync"

	"github.com/kafkasink/kafkasink/core"
)

// testCase is one case of the suite, as in testing/slogtest.
type testCase struct {
	// name is the subtest's name; it is also part of the case's topic
	// names, so it uses only lower-case letters, digits and '-'.
	name string
	// explanation is the rule the case checks, shown with each violation.
	explanation string
	// extraTopics are suffixes of other topics the case writes to: the
	// suite creates them and reads them back with the case's topic.
	extraTopics []string
	// config, if not nil, adjusts the sink's configuration; topic is the
	// case's topic.
	config func(cfg *core.Config, topic string)
	// f logs through l. The suite closes l after f returns.
	f func(l Logger)
	// checks run on what reached Kafka, after the suite's own checks
	// (common), which run for every case.
	checks []check
}

var cases = []testCase{
	{
		name:        "built-ins",
		explanation: "an adapter writes each entry as one JSON object per record, with its level, message and time",
		f: func(l Logger) {
			l.Log(core.InfoLevel, "message")
		},
		checks: []check{wantRecords(1)},
	},
	{
		name:        "levels",
		explanation: "an adapter keeps each entry's level",
		f: func(l Logger) {
			for _, lvl := range []core.Level{core.DebugLevel, core.InfoLevel, core.WarnLevel, core.ErrorLevel} {
				l.Log(lvl, lvl.String()+" message")
			}
		},
		checks: []check{wantRecords(4)},
	},
	{
		name:        "fields",
		explanation: "an adapter keeps the entry's fields, with their types",
		f: func(l Logger) {
			l.Log(core.InfoLevel, "fields",
				String("s", "text"),
				Int("n", -42),
				Int("big", 1<<53),
				Float("f", 2.5),
				Bool("ok", true),
				String("empty", ""),
			)
		},
		checks: []check{wantRecords(1)},
	},
	{
		name:        "with",
		explanation: "an adapter writes the fields added with With to every entry of that logger",
		f: func(l Logger) {
			w := l.With(String("service", "api"), Int("pid", 7))
			w.Log(core.InfoLevel, "first", String("k", "v"))
			w.Log(core.WarnLevel, "second")
		},
		checks: []check{wantRecords(2)},
	},
	{
		name:        "with-no-alias",
		explanation: "loggers derived from one parent with With must not share or overwrite each other's fields",
		f: func(l Logger) {
			// Three With calls in a row leave a slice-based parent with
			// spare capacity: an adapter that appends to it in place
			// gives x's field to y, or y's to x.
			parent := l.With(String("a", "1")).With(String("b", "2")).With(String("c", "3"))
			x := parent.With(String("x", "4"))
			y := parent.With(String("y", "5"))
			xx := x.With(String("xx", "6"))
			yy := y.With(String("yy", "7"))
			x.Log(core.InfoLevel, "x")
			y.Log(core.InfoLevel, "y")
			yy.Log(core.InfoLevel, "yy")
			xx.Log(core.InfoLevel, "xx")
			parent.Log(core.InfoLevel, "parent")
			l.Log(core.InfoLevel, "root")
		},
		checks: []check{wantRecords(6), onlyFieldsLogged("a", "b", "c", "x", "y", "xx", "yy")},
	},
	{
		name:        "escaping",
		explanation: "an adapter writes valid JSON whatever the message and field values hold",
		f: func(l Logger) {
			l.Log(core.InfoLevel, "quote \" backslash \\ newline \n tab \t nul \x00 bell \x07 </script> & <b> \u2028 ü 日本 😀",
				String("path", `C:\temp\"x"`),
				String("html", "<a href='x'>&amp;</a>"),
				String("ctl", "\x01\x1f\x7f"),
			)
		},
		checks: []check{wantRecords(1)},
	},
	{
		name:        "large-entry",
		explanation: "an adapter hands large entries (hundreds of KiB) to the sink whole",
		f: func(l Logger) {
			var b strings.Builder
			for i := 0; b.Len() < 300<<10; i++ {
				b.WriteString(strconv.Itoa(i))
				b.WriteByte(' ')
			}
			l.Log(core.InfoLevel, "large", String("blob", b.String()))
			l.Log(core.InfoLevel, "small after large")
		},
		checks: []check{wantRecords(2)},
	},
	{
		name:        "exactly-once",
		explanation: "every entry logged before Close arrives once: none lost, none duplicated",
		f: func(l Logger) {
			for i := range 300 {
				l.Log(core.InfoLevel, "entry", Int("i", int64(i)))
			}
		},
		checks: []check{wantRecords(300)},
	},
	{
		name:        "route-by-level",
		explanation: "the sink's TopicDecider sees each entry's level: errors and above go to their own topic",
		extraTopics: []string{"-errors"},
		config: func(cfg *core.Config, topic string) {
			cfg.TopicDecider = func(e core.Entry) string {
				if e.Level >= core.ErrorLevel {
					return topic + "-errors"
				}
				return ""
			}
		},
		f: func(l Logger) {
			w := l.With(String("component", "db"))
			for _, lvl := range []core.Level{core.DebugLevel, core.InfoLevel, core.WarnLevel, core.ErrorLevel} {
				l.Log(lvl, "plain "+lvl.String())
				w.Log(lvl, "with "+lvl.String())
			}
		},
		checks: []check{
			wantRecords(8),
			routed("-errors", func(e *entry) bool { return e.level >= core.ErrorLevel }),
		},
	},
	{
		name:        "route-by-field",
		explanation: "the sink's TopicDecider sees each entry's fields through Entry.Field, those added with With included",
		extraTopics: []string{"-audit"},
		config: func(cfg *core.Config, topic string) {
			cfg.TopicDecider = func(e core.Entry) string {
				if e.Field("stream") == "audit" {
					return topic + "-audit"
				}
				return ""
			}
		},
		f: func(l Logger) {
			audit := l.With(String("stream", "audit"))
			audit.Log(core.InfoLevel, "audited via With")
			l.Log(core.InfoLevel, "audited via field", String("stream", "audit"))
			l.Log(core.InfoLevel, "not audited", String("stream", "app"))
			l.Log(core.ErrorLevel, "no stream")
			audit.With(String("user", "u1")).Log(core.WarnLevel, "audited, nested With")
		},
		checks: []check{
			wantRecords(5),
			routed("-audit", func(e *entry) bool { return fieldValue(e, "stream") == "audit" }),
		},
	},
	{
		name:        "keys",
		explanation: "the sink's KeyDecider sees each entry's fields: records carry the key it returns, and records with one key keep their order in one partition",
		config: func(cfg *core.Config, topic string) {
			cfg.KeyDecider = func(e core.Entry) []byte {
				if v, ok := e.LookupField("request_id"); ok {
					return []byte(v)
				}
				return nil
			}
		},
		f: func(l Logger) {
			reqs := []Logger{
				l.With(String("request_id", "req-a")),
				l.With(String("request_id", "req-b")),
				l.With(String("request_id", "req-c")),
			}
			for i := range 60 {
				reqs[i%3].Log(core.InfoLevel, "step", Int("step", int64(i)))
			}
			l.Log(core.InfoLevel, "no request", Int("step", 60))
			l.Log(core.InfoLevel, "request as a field", String("request_id", "req-d"))
		},
		checks: []check{wantRecords(62), keyedByField("request_id")},
	},
	{
		name:        "sync",
		explanation: "Sync delivers every entry logged before it, without waiting for the batching period (an hour here)",
		f: func(l Logger) {
			for i := range 10 {
				l.Log(core.InfoLevel, "before first sync", Int("i", int64(i)))
			}
			_ = l.Sync()
			_ = l.Sync() // nothing new: must return at once, with nil
			l.With(String("phase", "two")).Log(core.ErrorLevel, "before second sync")
			_ = l.Sync()
			l.Log(core.InfoLevel, "delivered by Close")
		},
		checks: []check{wantRecords(12), wantSyncs(3)},
	},
	{
		name:        "close",
		explanation: "Close delivers every entry logged before it; a second Close returns nil or ErrClosed; logging after Close neither panics nor blocks, and is not delivered",
		f: func(l Logger) {
			w := l.With(String("k", "v"))
			for i := range 10 {
				w.Log(core.InfoLevel, "before close", Int("i", int64(i)))
			}
			_ = l.Close()
			_ = l.Close()
			l.Log(core.InfoLevel, "after close")
			w.Log(core.ErrorLevel, "after close, With")
			_ = l.Sync() // after Close: may fail, must not panic or block
		},
		checks: []check{wantRecords(10)},
	},
	{
		name:        "concurrent",
		explanation: "entries logged by many goroutines at once all arrive once, none lost, none duplicated, none mixed up",
		config: func(cfg *core.Config, topic string) {
			cfg.BatchSizeLimit = 100 // batches leave while goroutines log
		},
		f: func(l Logger) {
			const goroutines, each = 8, 500
			var wg sync.WaitGroup
			for g := range goroutines {
				wg.Go(func() {
					w := l.With(Int("goroutine", int64(g)))
					for i := range each {
						lvl := core.InfoLevel
						if i%10 == 0 {
							lvl = core.ErrorLevel
						}
						w.Log(lvl, "concurrent", Int("i", int64(i)), String("payload", "g"+strconv.Itoa(g)+"-"+strconv.Itoa(i)))
					}
				})
			}
			wg.Wait()
		},
		checks: []check{wantRecords(8 * 500)},
	},
}

// fieldValue returns the string value of the field key of e, or "".
func fieldValue(e *entry, key string) string {
	for i := len(e.fields) - 1; i >= 0; i-- {
		if e.fields[i].Key == key {
			s, _ := e.fields[i].Value.(string)
			return s
		}
	}
	return ""
}
