package zapsink_test

import (
	"errors"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"go.uber.org/zap"

	"github.com/kafkasink/kafkasink/core"
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

// TestURLSinkSpool: spoolDir in a kafka:// URL makes a durable sink. With
// the brokers down, CloseURLSinks leaves the entries in the spool; a
// logger built from the same URL once they are back delivers them, before
// its own.
func TestURLSinkSpool(t *testing.T) {
	c := kafkatest.Start(t)
	c.CreateTopic(t, "durable-url", 1)
	if err := zapsink.RegisterURLSink(); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	build := func() *zap.Logger {
		cfg := zap.NewProductionConfig()
		cfg.Sampling = nil
		cfg.OutputPaths = []string{"kafka://" + strings.Join(c.Addrs(), ",") + "/durable-url?spoolDir=" + url.QueryEscape(dir) +
			"&syncTimeout=500ms&maxBackoff=100ms"}
		logger, err := cfg.Build()
		if err != nil {
			t.Fatal(err)
		}
		return logger
	}
	c.Stop()
	first := build()
	first.Info("one")
	first.Info("two")
	if err := zapsink.CloseURLSinks(); !errors.Is(err, core.ErrLeftInSpool) {
		t.Fatalf("CloseURLSinks with the brokers down: got %v, want ErrLeftInSpool", err)
	}
	if err := c.Restart(); err != nil {
		t.Fatal(err)
	}
	second := build()
	second.Info("three")
	if err := second.Sync(); err != nil {
		t.Fatalf("Sync: got %v, want nil", err)
	}
	if got, want := testutil.Messages(t, c.ReadAll(t, "durable-url")), []string{"one", "two", "three"}; !slices.Equal(got, want) {
		t.Errorf("got messages %q, want %q: the spooled ones first", got, want)
	}
	if err := zapsink.CloseURLSinks(); err != nil {
		t.Errorf("CloseURLSinks: got %v, want nil", err)
	}
}
