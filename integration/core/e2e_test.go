package core_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kfake"

	"github.com/kafkasink/kafkasink/core"
	"github.com/kafkasink/kafkasink/integration/internal/hostiletest"
	"github.com/kafkasink/kafkasink/integration/kafkatest"
)

// logLine returns the i-th test entry: level error for every tenth.
func logLine(i int) core.Entry {
	lvl, name := core.InfoLevel, "info"
	if i%10 == 0 {
		lvl, name = core.ErrorLevel, "error"
	}
	return core.Entry{
		Time:  time.Unix(1700000000, int64(i)),
		Level: lvl,
		JSON: fmt.Appendf(nil, `{"level":%q,"ts":%d,"msg":"request served","id":%d,"request_id":"req-%d","path":"/api/v1/items/%d"}`+"\n",
			name, 1700000000+i, i, i%7, i*31),
	}
}

func mustNew(t *testing.T, cfg core.Config) *core.Sink {
	t.Helper()
	s, err := core.New(cfg)
	if err != nil {
		t.Fatalf("New = %v", err)
	}
	hostiletest.CloseOnCleanup(t, func() error {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		return s.Close(ctx)
	})
	return s
}

func flush(t *testing.T, s *core.Sink, d time.Duration) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	if err := s.Flush(ctx); err != nil {
		t.Fatalf("Flush = %v (stats %+v)", err, s.Stats())
	}
}

func TestEndToEnd(t *testing.T) {
	c := kafkatest.Start(t)
	const n = 3000
	s := mustNew(t, core.Config{
		Brokers:        c.Addrs(),
		Topic:          "app",
		BatchSizeLimit: 100,
		Period:         50 * time.Millisecond,
		TopicDecider: func(e core.Entry) string {
			if e.Level >= core.ErrorLevel {
				return "app-errors"
			}
			return ""
		},
		KeyDecider: func(e core.Entry) []byte {
			v, _ := e.RawField("request_id")
			return bytes.Trim(v, `"`)
		},
		Headers: []core.Header{{Key: "service", Value: []byte("billing")}},
	})
	var wg sync.WaitGroup
	for g := 0; g < 4; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := g; i < n; i += 4 {
				if err := s.Write(logLine(i)); err != nil {
					t.Errorf("Write = %v", err)
				}
			}
		}()
	}
	wg.Wait()
	flush(t, s, 20*time.Second)

	want := map[string]string{} // value by id
	for i := 0; i < n; i++ {
		want[fmt.Sprint(i)] = strings.TrimSuffix(string(logLine(i).JSON), "\n")
	}
	got := append(c.ReadN(t, "app", n*9/10, 10*time.Second), c.ReadN(t, "app-errors", n/10, 10*time.Second)...)
	if len(got) != n {
		t.Errorf("read %d records, want exactly %d", len(got), n)
	}
	seen := map[string]bool{}
	for _, r := range got {
		var v struct {
			ID        int    `json:"id"`
			Level     string `json:"level"`
			RequestID string `json:"request_id"`
		}
		if err := json.Unmarshal(r.Value, &v); err != nil {
			t.Fatalf("record %v is not JSON: %v", r, err)
		}
		id := fmt.Sprint(v.ID)
		if seen[id] {
			t.Errorf("id %s twice", id)
		}
		seen[id] = true
		if string(r.Value) != want[id] {
			t.Errorf("value %s, want %s unchanged", r.Value, want[id])
		}
		if wantTopic := map[bool]string{true: "app-errors", false: "app"}[v.Level == "error"]; r.Topic != wantTopic {
			t.Errorf("id %s in topic %s, want %s", id, r.Topic, wantTopic)
		}
		if string(r.Key) != v.RequestID {
			t.Errorf("id %s key %q, want %q", id, r.Key, v.RequestID)
		}
		if h, _ := r.Header("service"); h != "billing" {
			t.Errorf("id %s header service = %q, want billing", id, h)
		}
	}
	st := s.Stats()
	if st.Delivered != n || st.Dropped.Total() != 0 || st.QueueDepth != 0 {
		t.Errorf("stats = %+v, want %d delivered, none dropped or queued", st, n)
	}
}

func TestCompressionCodecs(t *testing.T) {
	c := kafkatest.Start(t)
	for _, codec := range []core.Compression{core.CompressionGzip, core.CompressionSnappy, core.CompressionLz4, core.CompressionZstd} {
		t.Run(string(codec), func(t *testing.T) {
			topic := "codec-" + string(codec)
			s := mustNew(t, core.Config{Brokers: c.Addrs(), Topic: topic, Compression: codec})
			for i := 0; i < 50; i++ {
				s.Write(logLine(i))
			}
			flush(t, s, 10*time.Second)
			got := c.ReadN(t, topic, 50, 10*time.Second)
			if len(got) != 50 || got[0].Compression != string(codec) {
				t.Errorf("read %d records compressed %q, want 50 with %s", len(got), got[0].Compression, codec)
			}
		})
	}
}

func TestBrokerDownAtNewComesUpLater(t *testing.T) {
	c := kafkatest.Start(t)
	c.Stop()
	s := mustNew(t, core.Config{Brokers: c.Addrs(), BatchSizeLimit: 10, Period: 20 * time.Millisecond,
		MinBackoff: 20 * time.Millisecond, MaxBackoff: 200 * time.Millisecond, ErrorHandler: func(error) {}})
	for i := 0; i < 100; i++ {
		if err := s.Write(logLine(i)); err != nil {
			t.Fatalf("Write with the broker down = %v", err)
		}
	}
	time.Sleep(300 * time.Millisecond) // let some attempts fail
	if err := c.Restart(); err != nil {
		t.Fatal(err)
	}
	flush(t, s, 30*time.Second)
	if got := c.ReadN(t, "logs", 100, 10*time.Second); len(got) < 100 {
		t.Errorf("read %d, want 100", len(got))
	}
	if st := s.Stats(); st.Delivered != 100 || st.LastError == nil {
		t.Errorf("stats = %+v, want 100 delivered after failed attempts", st)
	}
}

func TestCloseDeadlineWhileUnreachable(t *testing.T) {
	c := kafkatest.Start(t)
	c.Stop()
	var errs sync.Map
	s := mustNew(t, core.Config{Brokers: c.Addrs(), BatchSizeLimit: 10,
		ErrorHandler: func(err error) { errs.Store(err.Error(), true) }})
	for i := 0; i < 57; i++ {
		s.Write(logLine(i))
	}
	ctx, cancel := context.WithTimeout(context.Background(), 500*time.Millisecond)
	defer cancel()
	err := s.Close(ctx)
	var ue *core.UndeliveredError
	if !errors.As(err, &ue) || ue.Count != 57 {
		t.Fatalf("Close = %v, want 57 undelivered", err)
	}
	if st := s.Stats(); st.Dropped.Closed != 57 || st.QueueDepth != 0 {
		t.Errorf("stats = %+v, want 57 dropped closed", st)
	}
	if err := s.Write(logLine(1)); err != core.ErrClosed {
		t.Errorf("Write after Close = %v, want ErrClosed", err)
	}
}

func TestSecurity(t *testing.T) {
	certs := kafkatest.NewCerts(t)
	for _, tt := range []struct {
		name string
		opts []kfake.Opt
		cfg  core.Config
	}{
		{"SASL PLAIN", []kfake.Opt{kafkatest.SASL(kafkatest.Plain, "admin", "s3cret")},
			core.Config{SecurityProtocol: core.SASLPlaintext, SASLMechanism: core.Plain, SASLUsername: "admin", SASLPassword: "s3cret"}},
		{"SASL SCRAM-SHA-256", []kfake.Opt{kafkatest.SASL(kafkatest.ScramSHA256, "admin", "s3cret")},
			core.Config{SecurityProtocol: core.SASLPlaintext, SASLMechanism: core.ScramSHA256, SASLUsername: "admin", SASLPassword: "s3cret"}},
		{"SASL SCRAM-SHA-512", []kfake.Opt{kafkatest.SASL(kafkatest.ScramSHA512, "admin", "s3cret")},
			core.Config{SecurityProtocol: core.SASLPlaintext, SASLMechanism: core.ScramSHA512, SASLUsername: "admin", SASLPassword: "s3cret"}},
		{"SSL with CA file", []kfake.Opt{kafkatest.TLS(certs)},
			core.Config{SecurityProtocol: core.SSL, SSLCALocation: certs.CAFile}},
		{"SASL_SSL PLAIN (Event Hubs style)", []kfake.Opt{kafkatest.TLS(certs), kafkatest.SASL(kafkatest.Plain, "$ConnectionString", "Endpoint=sb://x/;SharedAccessKey=k")},
			core.Config{SecurityProtocol: core.SASLSSL, SASLUsername: "$ConnectionString", SASLPassword: "Endpoint=sb://x/;SharedAccessKey=k", SSLCALocation: certs.CAFile}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			c := kafkatest.Start(t, tt.opts...)
			cfg := tt.cfg
			cfg.Brokers = c.Addrs()
			s := mustNew(t, cfg)
			for i := 0; i < 20; i++ {
				s.Write(logLine(i))
			}
			flush(t, s, 10*time.Second)
			if got := c.ReadN(t, "logs", 20, 10*time.Second); len(got) != 20 {
				t.Errorf("read %d, want 20", len(got))
			}
		})
	}
}

func TestBadCredentialsReported(t *testing.T) {
	c := kafkatest.Start(t, kafkatest.SASL(kafkatest.ScramSHA256, "admin", "right"))
	var mu sync.Mutex
	var msgs []string
	s := mustNew(t, core.Config{Brokers: c.Addrs(), SecurityProtocol: core.SASLPlaintext, SASLMechanism: core.ScramSHA256,
		SASLUsername: "admin", SASLPassword: "wrong-pa55word", MinBackoff: 10 * time.Millisecond, MaxBackoff: 50 * time.Millisecond,
		ErrorHandler: func(err error) { mu.Lock(); msgs = append(msgs, err.Error()); mu.Unlock() }})
	s.Write(logLine(1))
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	if err := s.Flush(ctx); err == nil {
		t.Fatal("Flush with a wrong password = nil, want an error")
	}
	// Nothing will get through: do not wait for Cleanup's Close. (The
	// ErrorHandler takes mu: do not hold it here.)
	ctx2, cancel2 := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel2()
	s.Close(ctx2)
	mu.Lock()
	defer mu.Unlock()
	if len(msgs) == 0 {
		t.Fatal("no error reported to ErrorHandler")
	}
	for _, m := range msgs {
		if strings.Contains(m, "wrong-pa55word") {
			t.Errorf("error reveals the password: %s", m)
		}
	}
}
