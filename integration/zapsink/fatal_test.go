package zapsink_test

import (
	"errors"
	"os"
	"os/exec"
	"slices"
	"strings"
	"testing"

	"go.uber.org/zap"

	"github.com/kafkasink/kafkasink/core"
	"github.com/kafkasink/kafkasink/integration/internal/testutil"
	"github.com/kafkasink/kafkasink/integration/kafkatest"
	"github.com/kafkasink/kafkasink/zapsink"
)

// The child process of TestFatalFlushed reads its brokers and topic from
// these variables.
const (
	fatalBrokersEnv = "ZAPSINK_TEST_FATAL_BROKERS"
	fatalTopicEnv   = "ZAPSINK_TEST_FATAL_TOPIC"
	fatalURLEnv     = "ZAPSINK_TEST_FATAL_URL"
)

// TestFatalFlushed runs a child process that logs with logger.Fatal and
// exits, and checks that the Fatal entry, and those before it, reached
// Kafka although the sink would send nothing for an hour and nothing
// closed it.
func TestFatalFlushed(t *testing.T) {
	if brokers := os.Getenv(fatalBrokersEnv); brokers != "" {
		fatalChild(brokers, os.Getenv(fatalTopicEnv), os.Getenv(fatalURLEnv) != "")
		return
	}
	c := kafkatest.Start(t)
	for _, tt := range []struct {
		name  string
		topic string
		url   bool
	}{
		{"Core", "fatal-core", false},
		{"URL sink", "fatal-url", true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			c.CreateTopic(t, tt.topic, 1)
			cmd := exec.Command(os.Args[0], "-test.run=^TestFatalFlushed$")
			cmd.Env = append(os.Environ(), fatalBrokersEnv+"="+strings.Join(c.Addrs(), ","), fatalTopicEnv+"="+tt.topic)
			if tt.url {
				cmd.Env = append(cmd.Env, fatalURLEnv+"=1")
			}
			out, err := cmd.CombinedOutput()
			var exit *exec.ExitError
			if !errors.As(err, &exit) || exit.ExitCode() != 1 {
				t.Fatalf("child: got %v, want exit status 1; output:\n%s", err, out)
			}
			want := []string{"before", "fatal"}
			if got := testutil.Messages(t, c.ReadAll(t, tt.topic)); !slices.Equal(got, want) {
				t.Errorf("got messages %q in Kafka, want %q; child output:\n%s", got, want, out)
			}
		})
	}
}

func fatalChild(brokers, topic string, viaURL bool) {
	var logger *zap.Logger
	if viaURL {
		if err := zapsink.RegisterURLSink(); err != nil {
			panic(err)
		}
		cfg := zap.NewProductionConfig()
		cfg.Sampling = nil
		cfg.OutputPaths = []string{"kafka://" + brokers + "/" + topic + "?period=1h&eagerlyEmitFirstEvent=false"}
		var err error
		if logger, err = cfg.Build(); err != nil {
			panic(err)
		}
	} else {
		kc, err := zapsink.New(zapsink.Config{Sink: core.Config{
			Brokers:         strings.Split(brokers, ","),
			Topic:           topic,
			Period:          3600e9,
			DelayFirstEntry: true,
		}})
		if err != nil {
			panic(err)
		}
		logger = zap.New(kc)
	}
	logger.Info("before")
	logger.Fatal("fatal", zap.String("reason", "test"))
	panic("unreachable: Fatal returned")
}

// TestPanicFlushed checks that Panic and DPanic entries are in Kafka when
// the log call returns or panics, without Sync.
func TestPanicFlushed(t *testing.T) {
	c := kafkatest.Start(t)
	if err := zapsink.RegisterURLSink(); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		name string
		log  func(*zap.Logger)
	}{
		{"Panic", func(l *zap.Logger) { l.Panic("flushed") }},
		{"DPanic development", func(l *zap.Logger) { l.WithOptions(zap.Development()).DPanic("flushed") }},
		{"DPanic production", func(l *zap.Logger) { l.DPanic("flushed") }},
	} {
		for _, viaURL := range []bool{false, true} {
			name := tt.name + "/Core"
			if viaURL {
				name = tt.name + "/URL sink"
			}
			t.Run(name, func(t *testing.T) {
				topic := strings.ReplaceAll(strings.ToLower(name), " ", "-")
				topic = strings.ReplaceAll(topic, "/", ".")
				c.CreateTopic(t, topic, 1)
				var logger *zap.Logger
				if viaURL {
					ws, closeSink, err := zap.Open("kafka://" + strings.Join(c.Addrs(), ",") + "/" + topic + "?period=1h&eagerlyEmitFirstEvent=false")
					if err != nil {
						t.Fatal(err)
					}
					t.Cleanup(closeSink)
					logger = zap.New(zapcoreNewJSON(ws))
				} else {
					sink := testutil.Quiet(t, c)
					sink.Topic = topic
					logger = zap.New(newCore(t, zapsink.Config{Sink: sink}))
				}
				logger.Info("before")
				func() {
					defer func() { _ = recover() }()
					tt.log(logger)
				}()
				want := []string{"before", "flushed"}
				if got := testutil.Messages(t, c.ReadAll(t, topic)); !slices.Equal(got, want) {
					t.Errorf("got messages %q in Kafka, want %q", got, want)
				}
			})
		}
	}
}
