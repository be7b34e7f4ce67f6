package zapsink_test

import (
	"slices"
	"strings"
	"testing"
	"time"

	"go.uber.org/zap"

	"github.com/kafkasink/kafkasink/integration/internal/testutil"
	"github.com/kafkasink/kafkasink/integration/kafkatest"
	"github.com/kafkasink/kafkasink/zapsink"
)

// TestURLSinkConfig builds a logger from zap.Config with a kafka:// URL,
// as a user would, and checks that Sync delivers and CloseURLSinks closes.
func TestURLSinkConfig(t *testing.T) {
	c := kafkatest.Start(t)
	c.CreateTopic(t, "app-logs", 1)
	if err := zapsink.RegisterURLSink(); err != nil {
		t.Fatal(err)
	}
	cfg := zap.NewProductionConfig()
	cfg.Sampling = nil
	cfg.Level = zap.NewAtomicLevelAt(zap.DebugLevel)
	cfg.OutputPaths = []string{"kafka://" + strings.Join(c.Addrs(), ",") + "/app-logs?period=1h&eagerlyEmitFirstEvent=false&batchSizeLimit=100"}
	logger, err := cfg.Build()
	if err != nil {
		t.Fatal(err)
	}
	logger.Debug("one", zap.Int("n", 1))
	logger.With(zap.String("request_id", "r")).Warn("two")
	if got := len(c.ReadAll(t, "app-logs")); got != 0 {
		t.Fatalf("before Sync: got %d records, want 0 (the period is an hour)", got)
	}
	if err := logger.Sync(); err != nil {
		t.Fatalf("Sync: got %v, want nil", err)
	}
	recs := c.ReadAll(t, "app-logs")
	if got, want := testutil.Messages(t, recs), []string{"one", "two"}; !slices.Equal(got, want) {
		t.Fatalf("after Sync: got messages %q, want %q", got, want)
	}
	if got := testutil.Decode(t, recs[1])["request_id"]; got != "r" {
		t.Errorf("request_id: got %v, want r", got)
	}
	for _, r := range recs {
		if r.Time.Before(time.Now().Add(-time.Minute)) {
			t.Errorf("record %v: got timestamp %v, want about now", r, r.Time)
		}
	}

	logger.Info("three")
	if err := zapsink.CloseURLSinks(); err != nil {
		t.Fatalf("CloseURLSinks: got %v, want nil", err)
	}
	if got := len(c.ReadAll(t, "app-logs")); got != 3 {
		t.Errorf("after CloseURLSinks: got %d records, want 3", got)
	}
	logger.Info("after close") // dropped and counted, no panic
	if err := logger.Sync(); err != nil {
		t.Errorf("Sync after CloseURLSinks: got %v, want nil", err)
	}
	if err := zapsink.CloseURLSinks(); err != nil {
		t.Errorf("CloseURLSinks again: got %v, want nil", err)
	}
}
