package zapsink

import (
	"context"
	"slices"
	"sync"
	"testing"
	"time"

	"go.uber.org/zap/zapcore"

	"github.com/kafkasink/kafkasink/core"
)

// TestURLSinkLevel checks that the URL sink reads each entry's level from
// the JSON, for the TopicDecider, and gives it a time. No broker is needed:
// the batcher routes entries before it knows whether any broker answers.
func TestURLSinkLevel(t *testing.T) {
	var (
		mu     sync.Mutex
		levels []core.Level
		times  []time.Time
	)
	s, err := core.New(core.Config{
		Brokers:      []string{"127.0.0.1:1"}, // nothing listens: entries are routed, then dropped at Close
		Period:       10 * time.Millisecond,
		ErrorHandler: func(error) {},
		TopicDecider: func(e core.Entry) string {
			mu.Lock()
			levels = append(levels, e.Level)
			times = append(times, e.Time)
			mu.Unlock()
			return ""
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	for _, tt := range []struct {
		levelKey string
		lines    []string
	}{
		{"level", []string{
			`{"level":"debug","msg":"m"}` + "\n",
			`{"level":"INFO","msg":"m"}` + "\n",
			`{"ts":1,"level":"warn"}` + "\n",
			`{"level":"error"}`,
			`{"level":"dpanic"}`,
			`{"level":"panic"}`,
			`{"level":"fatal"}`,
			`{"level":"verbose"}`,    // unknown
			`{"level":3}`,            // not a string
			`{"msg":"no level"}`,     // absent
			`not json at all` + "\n", // console encoding
		}},
		{"severity", []string{`{"level":"info","severity":"error"}`}},
	} {
		us := &urlSink{sink: s, syncTimeout: time.Second, levelKey: tt.levelKey}
		for _, l := range tt.lines {
			if n, err := us.Write([]byte(l)); n != len(l) || err != nil {
				t.Errorf("Write(%q): got %d, %v; want %d, nil", l, n, err, len(l))
			}
		}
	}
	// Wait until the batcher has routed every entry, then give up on them.
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(time.Millisecond) {
		mu.Lock()
		n := len(levels)
		mu.Unlock()
		if n == 12 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the TopicDecider saw %d entries, want 12", n)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Millisecond)
	defer cancel()
	_ = s.Close(ctx) // undelivered: nothing listens
	mu.Lock()
	defer mu.Unlock()
	want := []core.Level{core.DebugLevel, core.InfoLevel, core.WarnLevel, core.ErrorLevel, core.DPanicLevel,
		core.PanicLevel, core.FatalLevel, core.NoLevel, core.NoLevel, core.NoLevel, core.NoLevel, core.ErrorLevel}
	if !slices.Equal(levels, want) {
		t.Errorf("got levels %v, want %v", levels, want)
	}
	for i, tm := range times {
		if tm.Before(start) {
			t.Errorf("entry %d: got time %v, want the time of Write", i, tm)
		}
	}
}

func TestLevelOf(t *testing.T) {
	for _, tt := range []struct {
		zap  int8
		want core.Level
	}{
		{-128, core.TraceLevel}, {-2, core.TraceLevel}, {-1, core.DebugLevel}, {0, core.InfoLevel},
		{1, core.WarnLevel}, {2, core.ErrorLevel}, {3, core.DPanicLevel}, {4, core.PanicLevel},
		{5, core.FatalLevel}, {6, core.FatalLevel}, {127, core.FatalLevel},
	} {
		if got := levelOf(zapcore.Level(tt.zap)); got != tt.want {
			t.Errorf("levelOf(%d): got %v, want %v", tt.zap, got, tt.want)
		}
	}
}
