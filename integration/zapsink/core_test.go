package zapsink_test

import (
	"bytes"
	"context"
	"errors"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"

	"github.com/kafkasink/kafkasink/core"
	"github.com/kafkasink/kafkasink/integration/internal/testutil"
	"github.com/kafkasink/kafkasink/integration/kafkatest"
	"github.com/kafkasink/kafkasink/zapsink"
)

// seen is what a TopicDecider saw of one entry.
type seen struct {
	level            core.Level
	logger, msg, req string
	hasTime          bool
}

func TestRoutingSeesEntry(t *testing.T) {
	c := kafkatest.Start(t)
	c.CreateTopic(t, "app", 1)
	c.CreateTopic(t, "app-errors", 1)
	var (
		mu   sync.Mutex
		saw  []seen
		sink = testutil.Quiet(t, c)
	)
	sink.Topic = "app"
	sink.TopicDecider = func(e core.Entry) string {
		mu.Lock()
		saw = append(saw, seen{e.Level, e.LoggerName, e.Message, e.Field("request_id"), !e.Time.IsZero()})
		mu.Unlock()
		if e.Level >= core.ErrorLevel {
			return "app-errors"
		}
		return ""
	}
	sink.KeyDecider = func(e core.Entry) []byte {
		v, ok := e.RawField("request_id")
		if !ok || len(v) < 2 || v[0] != '"' {
			return nil
		}
		return v[1 : len(v)-1]
	}
	kc := newCore(t, zapsink.Config{Sink: sink, Level: zapcore.DebugLevel})
	logger := zap.New(kc).Named("api").With(zap.String("request_id", "r-1"))
	logger.Debug("debug")
	logger.Info("info")
	logger.Warn("warn")
	logger.Error("error")
	logger.DPanic("dpanic") // production logger: no panic
	zap.New(kc).Info("no name, no request")
	if err := kc.Close(); err != nil {
		t.Fatalf("Close: got %v, want nil", err)
	}

	want := []seen{
		{core.DebugLevel, "api", "debug", "r-1", true},
		{core.InfoLevel, "api", "info", "r-1", true},
		{core.WarnLevel, "api", "warn", "r-1", true},
		{core.ErrorLevel, "api", "error", "r-1", true},
		{core.DPanicLevel, "api", "dpanic", "r-1", true},
		{core.InfoLevel, "", "no name, no request", "", true},
	}
	if !slices.Equal(saw, want) {
		t.Errorf("TopicDecider saw\n%+v\nwant\n%+v", saw, want)
	}
	for _, tt := range []struct {
		topic string
		want  []string
	}{
		{"app", []string{"debug", "info", "warn", "no name, no request"}},
		{"app-errors", []string{"error", "dpanic"}},
	} {
		recs := c.ReadAll(t, tt.topic)
		if got := testutil.Messages(t, recs); !slices.Equal(got, tt.want) {
			t.Errorf("topic %s: got messages %q, want %q", tt.topic, got, tt.want)
		}
		for _, r := range recs {
			if want := testutil.Decode(t, r)["request_id"]; want != nil && string(r.Key) != want {
				t.Errorf("record %v: got key %q, want %q", r, r.Key, want)
			}
		}
	}
}

func TestCheck(t *testing.T) {
	s, err := core.New(core.Config{Brokers: []string{testutil.Unreachable(t)}})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close(context.Background())
	atomic := zap.NewAtomicLevelAt(zapcore.WarnLevel)
	enc := zapcore.NewJSONEncoder(zap.NewProductionEncoderConfig())
	for _, tt := range []struct {
		name  string
		enab  zapcore.LevelEnabler
		level zapcore.Level
		want  bool
	}{
		{"below", zapcore.InfoLevel, zapcore.DebugLevel, false},
		{"at", zapcore.InfoLevel, zapcore.InfoLevel, true},
		{"above", zapcore.InfoLevel, zapcore.FatalLevel, true},
		{"atomic below", atomic, zapcore.InfoLevel, false},
		{"atomic at", atomic, zapcore.WarnLevel, true},
		{"func", zap.LevelEnablerFunc(func(l zapcore.Level) bool { return l == zapcore.ErrorLevel }), zapcore.ErrorLevel, true},
		{"func other", zap.LevelEnablerFunc(func(l zapcore.Level) bool { return l == zapcore.ErrorLevel }), zapcore.WarnLevel, false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			kc := zapsink.NewCore(s, enc, tt.enab)
			ce := kc.Check(zapcore.Entry{Level: tt.level, Message: "m"}, nil)
			if got := ce != nil; got != tt.want {
				t.Errorf("Check at %v: got an entry %v, want %v", tt.level, got, tt.want)
			}
			if got := kc.Enabled(tt.level); got != tt.want {
				t.Errorf("Enabled(%v): got %v, want %v", tt.level, got, tt.want)
			}
			if got, want := zapcore.LevelOf(kc), zapcore.LevelOf(tt.enab); got != want {
				t.Errorf("LevelOf: got %v, want %v", got, want)
			}
		})
	}
	if s.Stats().Received != 0 {
		t.Errorf("Check wrote: got %d entries received, want 0", s.Stats().Received)
	}
}

// TestWithConcurrent derives loggers with With while others log through
// the parent and its children: the race detector checks that they share
// nothing mutable.
func TestWithConcurrent(t *testing.T) {
	c := kafkatest.Start(t)
	c.CreateTopic(t, "with", 1)
	sink := testutil.Quiet(t, c)
	sink.Topic = "with"
	kc := newCore(t, zapsink.Config{Sink: sink})
	parent := zap.New(kc).With(zap.String("parent", "p"))
	var wg sync.WaitGroup
	for g := range 4 {
		wg.Go(func() {
			for i := range 50 {
				child := parent.With(zap.Int("g", g), zap.Int("i", i))
				child.Info("child")
				parent.Info("parent")
			}
		})
	}
	wg.Wait()
	if err := kc.Close(); err != nil {
		t.Fatalf("Close: got %v, want nil", err)
	}
	recs := c.ReadAll(t, "with")
	if len(recs) != 400 {
		t.Fatalf("got %d records, want 400", len(recs))
	}
	for _, r := range recs {
		m := testutil.Decode(t, r)
		_, hasG := m["g"]
		if m["parent"] != "p" || hasG != (m["msg"] == "child") {
			t.Fatalf("record %v: got fields %v, want parent=p, and g only on children", r, m)
		}
	}
}

func TestSync(t *testing.T) {
	c := kafkatest.Start(t)
	c.CreateTopic(t, "sync", 1)
	sink := testutil.Quiet(t, c)
	sink.Topic = "sync"
	kc := newCore(t, zapsink.Config{Sink: sink})
	logger := zap.New(kc)
	for i := range 5 {
		logger.Info("entry", zap.Int("i", i))
	}
	if st := kc.Sink().Stats(); st.Delivered != 0 {
		t.Fatalf("before Sync: got %d delivered, want 0 (the period is an hour)", st.Delivered)
	}
	if err := logger.Sync(); err != nil {
		t.Fatalf("Sync: got %v, want nil", err)
	}
	if got := len(c.ReadAll(t, "sync")); got != 5 {
		t.Errorf("after Sync: got %d records in Kafka, want 5", got)
	}
	if err := logger.Sync(); err != nil {
		t.Errorf("Sync with nothing queued: got %v, want nil", err)
	}
}

func TestSyncTimeout(t *testing.T) {
	kc := newCore(t, zapsink.Config{
		Sink: core.Config{Brokers: []string{testutil.Unreachable(t)}, ErrorHandler: testutil.ErrorLog(t), SyncTimeout: 50 * time.Millisecond},
	})
	logger := zap.New(kc)
	logger.Info("never delivered")
	err := logger.Sync()
	var ue *core.UndeliveredError
	if !errors.As(err, &ue) || !errors.Is(err, context.DeadlineExceeded) || ue.Count != 1 {
		t.Errorf("Sync: got %v, want an UndeliveredError of 1 entry and context.DeadlineExceeded", err)
	}
	err = kc.Close()
	if !errors.As(err, &ue) || ue.Count != 1 {
		t.Errorf("Close: got %v, want an UndeliveredError of 1 entry", err)
	}
	if got := kc.Sink().Stats().Dropped.Closed; got != 1 {
		t.Errorf("got %d entries dropped as closed, want 1", got)
	}
}

// TestDropsNotWriteErrors checks that entries the sink refuses are counted
// by the sink, not printed by zap as write errors.
func TestDropsNotWriteErrors(t *testing.T) {
	var errOut bytes.Buffer
	kc := newCore(t, zapsink.Config{
		Sink: core.Config{
			Brokers:         []string{testutil.Unreachable(t)},
			DelayFirstEntry: true,
			Period:          time.Hour,
			QueueLimit:      2,
			BatchSizeLimit:  1, // below QueueLimit, as New requires
			ShedThreshold:   1, // no shedding: the queue fills
			MaxEntryBytes:   200,
			ErrorHandler:    testutil.ErrorLog(t),
			SyncTimeout:     20 * time.Millisecond,
		},
	})
	logger := zap.New(kc, zap.ErrorOutput(zapcore.AddSync(&errOut)))
	logger.Info("accepted")
	logger.Info("accepted")
	logger.Info("queue full")
	logger.Info("queue full")
	logger.Info(string(make([]byte, 300)))
	_ = kc.Close()
	logger.Info("after close")

	st := kc.Sink().Stats()
	for _, tt := range []struct {
		name      string
		got, want uint64
	}{
		{"QueueFull", st.Dropped.QueueFull, 2},
		{"TooLarge", st.Dropped.TooLarge, 1},
		{"Closed", st.Dropped.Closed, 3}, // the two "accepted", undelivered at Close, and "after close"
	} {
		if tt.got != tt.want {
			t.Errorf("Dropped.%s: got %d, want %d", tt.name, tt.got, tt.want)
		}
	}
	if errOut.Len() != 0 {
		t.Errorf("zap's ErrorOutput: got %q, want nothing", errOut.String())
	}
	if err := logger.Sync(); err != nil {
		t.Errorf("Sync after Close: got %v, want nil", err)
	}
	if err := kc.Close(); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Close again: got %v, want the first Close's error", err)
	}
}

// TestShedNotWriteErrors checks that entries the sink sheds under load are
// not write errors either.
func TestShedNotWriteErrors(t *testing.T) {
	var errOut bytes.Buffer
	kc := newCore(t, zapsink.Config{
		Sink: core.Config{
			Brokers:         []string{testutil.Unreachable(t)},
			DelayFirstEntry: true,
			Period:          time.Hour,
			QueueLimit:      4,
			BatchSizeLimit:  2,   // at most the shedding point, as New requires
			ShedThreshold:   0.5, // from 2 entries held, shed below Warn
			ErrorHandler:    testutil.ErrorLog(t),
			SyncTimeout:     20 * time.Millisecond,
		},
	})
	logger := zap.New(kc, zap.ErrorOutput(zapcore.AddSync(&errOut)))
	logger.Info("accepted 1")
	logger.Info("accepted 2")
	logger.Info("shed")
	logger.Warn("accepted 3")
	st := kc.Sink().Stats()
	if st.Dropped.Shed != 1 || st.Accepted != 3 {
		t.Errorf("got %d shed and %d accepted, want 1 and 3", st.Dropped.Shed, st.Accepted)
	}
	if errOut.Len() != 0 {
		t.Errorf("zap's ErrorOutput: got %q, want nothing", errOut.String())
	}
}

func TestNew(t *testing.T) {
	for _, tt := range []struct {
		name  string
		cfg   zapsink.Config
		field string // the ConfigError's field, or "" for another error
	}{
		{"bad broker", zapsink.Config{Sink: core.Config{Brokers: []string{"no-port"}}}, "Brokers[0]"},
		{"bad topic", zapsink.Config{Sink: core.Config{Topic: "a/b"}}, "Topic"},
		{"negative SyncTimeout", zapsink.Config{Sink: core.Config{SyncTimeout: -time.Second}}, "SyncTimeout"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			kc, err := zapsink.New(tt.cfg)
			if err == nil {
				kc.Close()
				t.Fatal("got nil error, want one")
			}
			var ce *core.ConfigError
			if got := ""; errors.As(err, &ce) {
				got = ce.Field
				if got != tt.field {
					t.Errorf("got a ConfigError for %q, want %q", got, tt.field)
				}
			} else if tt.field != "" {
				t.Errorf("got %v, want a ConfigError for %q", err, tt.field)
			}
		})
	}

	t.Run("defaults", func(t *testing.T) {
		kc, err := zapsink.New(zapsink.Config{Sink: core.Config{Brokers: []string{testutil.Unreachable(t)}}})
		if err != nil {
			t.Fatal(err)
		}
		defer kc.Close()
		if got := zapcore.LevelOf(kc); got != zapcore.InfoLevel {
			t.Errorf("level: got %v, want info", got)
		}
	})
}

func TestLevels(t *testing.T) {
	var (
		mu  sync.Mutex
		got []core.Level
	)
	c := kafkatest.Start(t)
	sink := testutil.Quiet(t, c)
	sink.TopicDecider = func(e core.Entry) string {
		mu.Lock()
		got = append(got, e.Level)
		mu.Unlock()
		return ""
	}
	kc := newCore(t, zapsink.Config{Sink: sink, Level: zapcore.Level(-128)})
	for _, l := range []zapcore.Level{-3, zapcore.DebugLevel, zapcore.InfoLevel, zapcore.WarnLevel, zapcore.ErrorLevel} {
		if ce := kc.Check(zapcore.Entry{Level: l, Message: l.String()}, nil); ce != nil {
			ce.Write()
		}
	}
	// Levels above Error flush: write them directly, as zap would.
	for _, l := range []zapcore.Level{zapcore.DPanicLevel, zapcore.PanicLevel, zapcore.FatalLevel, zapcore.FatalLevel + 3} {
		if err := kc.Write(zapcore.Entry{Level: l, Message: l.String()}, nil); err != nil {
			t.Errorf("Write at %v: %v", l, err)
		}
	}
	if err := kc.Close(); err != nil {
		t.Fatal(err)
	}
	want := []core.Level{core.TraceLevel, core.DebugLevel, core.InfoLevel, core.WarnLevel, core.ErrorLevel,
		core.DPanicLevel, core.PanicLevel, core.FatalLevel, core.FatalLevel}
	if !slices.Equal(got, want) {
		t.Errorf("got levels %v, want %v", got, want)
	}
}

func TestWriteAllocs(t *testing.T) {
	c := kafkatest.Start(t)
	kc := newCore(t, zapsink.Config{Sink: testutil.Quiet(t, c)})
	kcWith := kc.With([]zapcore.Field{zap.String("service", "api")})
	ent := zapcore.Entry{Level: zapcore.InfoLevel, Time: time.Now(), LoggerName: "api", Message: "request handled"}
	fields := []zapcore.Field{
		zap.String("method", "GET"),
		zap.String("path", "/api/v1/items"),
		zap.Int("status", 200),
		zap.Duration("latency", 1500*time.Microsecond),
		zap.Bool("cached", true),
	}
	testutil.WantAllocs(t, 0, func() { _ = kcWith.Write(ent, fields) })
}

func TestURLSinkWriteAllocs(t *testing.T) {
	c := kafkatest.Start(t)
	if err := zapsink.RegisterURLSink(); err != nil {
		t.Fatal(err)
	}
	ws, closeSink, err := zap.Open("kafka://" + strings.Join(c.Addrs(), ",") + "/logs?period=1h&eagerlyEmitFirstEvent=false&batchSizeLimit=10000")
	if err != nil {
		t.Fatal(err)
	}
	defer closeSink()
	line := []byte(`{"level":"warn","ts":1732550400.123456,"msg":"request handled","method":"GET","status":200}` + "\n")
	testutil.WantAllocs(t, 0, func() { _, _ = ws.Write(line) })
}
