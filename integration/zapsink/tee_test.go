package zapsink_test

import (
	"slices"
	"testing"
	"time"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest/observer"

	"github.com/kafkasink/kafkasink/integration/internal/testutil"
	"github.com/kafkasink/kafkasink/integration/kafkatest"
	"github.com/kafkasink/kafkasink/zapsink"
)

// TestTee checks that the Core works next to another core in a Tee: both
// see the entries their levels enable, With reaches both, and Sync
// flushes Kafka.
func TestTee(t *testing.T) {
	c := kafkatest.Start(t)
	c.CreateTopic(t, "tee", 1)
	sink := testutil.Quiet(t, c)
	sink.Topic = "tee"
	kc := newCore(t, zapsink.Config{Sink: sink, Level: zapcore.WarnLevel})
	obs, logs := observer.New(zapcore.DebugLevel)
	logger := zap.New(zapcore.NewTee(obs, kc)).With(zap.String("service", "api"))

	logger.Debug("debug")
	logger.Info("info")
	logger.Warn("warn")
	logger.Error("error")
	if err := logger.Sync(); err != nil {
		t.Fatalf("Sync: got %v, want nil", err)
	}

	var console []string
	for _, e := range logs.All() {
		console = append(console, e.Message)
	}
	if want := []string{"debug", "info", "warn", "error"}; !slices.Equal(console, want) {
		t.Errorf("observer: got %q, want %q", console, want)
	}
	recs := c.ReadAll(t, "tee")
	if got, want := testutil.Messages(t, recs), []string{"warn", "error"}; !slices.Equal(got, want) {
		t.Errorf("Kafka: got %q, want %q", got, want)
	}
	for _, r := range recs {
		if got := testutil.Decode(t, r)["service"]; got != "api" {
			t.Errorf("record %v: service: got %v, want api", r, got)
		}
	}
}

// TestSampler checks the Core under zap's sampler, which counts entries in
// Check and calls the Core's Write directly: only sampled entries reach the
// sink, and the Core's own Check still applies its level.
func TestSampler(t *testing.T) {
	c := kafkatest.Start(t)
	c.CreateTopic(t, "sampled", 1)
	sink := testutil.Quiet(t, c)
	sink.Topic = "sampled"
	kc := newCore(t, zapsink.Config{Sink: sink})
	obs, logs := observer.New(zapcore.DebugLevel)
	sampled := zapcore.NewSamplerWithOptions(kc, time.Hour, 2, 3)
	logger := zap.New(zapcore.NewTee(sampled, obs))

	for i := range 10 {
		logger.Info("repeated", zap.Int("i", i))
	}
	logger.Debug("below the Core's level")
	logger.Warn("other message")
	if err := logger.Sync(); err != nil {
		t.Fatalf("Sync: got %v, want nil", err)
	}

	recs := c.ReadAll(t, "sampled")
	var got []float64
	for _, r := range recs {
		if m := testutil.Decode(t, r); m["msg"] == "repeated" {
			got = append(got, m["i"].(float64))
		}
	}
	// The first 2 each tick, then every 3rd: the 2nd, 5th and 8th after.
	if want := []float64{0, 1, 4, 7}; !slices.Equal(got, want) {
		t.Errorf("sampled entries: got i=%v, want %v", got, want)
	}
	if got, want := testutil.Messages(t, recs)[len(recs)-1], "other message"; got != want {
		t.Errorf("last entry: got %q, want %q", got, want)
	}
	if got := kc.Sink().Stats().Received; got != 5 {
		t.Errorf("sink received %d entries, want 5", got)
	}
	if got := logs.Len(); got != 12 {
		t.Errorf("observer: got %d entries, want 12", got)
	}
}
