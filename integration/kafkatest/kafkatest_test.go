package kafkatest

import (
	"context"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"os"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/sasl/plain"
)

// produce writes values to topic with a franz-go client, each value keyed by
// itself and with one header, and fails t if any write fails.
func produce(t testing.TB, opts []kgo.Opt, topic string, values ...string) {
	t.Helper()
	if err := tryProduce(opts, topic, values...); err != nil {
		t.Fatal(err)
	}
}

func tryProduce(opts []kgo.Opt, topic string, values ...string) error {
	cl, err := kgo.NewClient(append(opts, kgo.AllowAutoTopicCreation())...)
	if err != nil {
		return err
	}
	defer cl.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	recs := make([]*kgo.Record, len(values))
	for i, v := range values {
		recs[i] = &kgo.Record{
			Topic:   topic,
			Key:     []byte(v),
			Value:   []byte(v),
			Headers: []kgo.RecordHeader{{Key: "n", Value: []byte(fmt.Sprint(i))}},
		}
	}
	if err := cl.ProduceSync(ctx, recs...).FirstErr(); err != nil {
		return fmt.Errorf("produce to %q: %w", topic, err)
	}
	return nil
}

func values(prefix string, n int) []string {
	vs := make([]string, n)
	for i := range vs {
		vs[i] = fmt.Sprintf("%s-%02d", prefix, i)
	}
	return vs
}

// sameValues fails t unless records hold exactly want, in any order.
func sameValues(t testing.TB, records []Record, want []string) {
	t.Helper()
	got := slices.Sorted(slices.Values(Values(records)))
	want = slices.Sorted(slices.Values(want))
	if !slices.Equal(got, want) {
		t.Fatalf("got values %q, want %q", got, want)
	}
}

func TestReadBack(t *testing.T) {
	c := Start(t)
	want := values("v", 20)
	produce(t, append(c.ClientOpts(), kgo.ProducerBatchCompression(kgo.NoCompression())), DefaultTopic, want...)

	for _, tt := range []struct {
		name string
		read func() []Record
	}{
		{"ReadN", func() []Record { return c.ReadN(t, DefaultTopic, len(want), 5*time.Second) }},
		{"ReadAll", func() []Record { return c.ReadAll(t, DefaultTopic) }},
		{"ReadTopic", func() []Record {
			recs, err := ReadTopic(t.Context(), c.Addrs(), DefaultTopic)
			if err != nil {
				t.Fatal(err)
			}
			return recs
		}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			recs := tt.read()
			sameValues(t, recs, want)
			parts := map[int32]bool{}
			for i, r := range recs {
				parts[r.Partition] = true
				if r.Topic != DefaultTopic || string(r.Key) != string(r.Value) {
					t.Errorf("record %v: want topic %q and key = value", r, DefaultTopic)
				}
				if _, ok := r.Header("n"); !ok {
					t.Errorf("record %v: no header n in %v", r, r.Headers)
				}
				if time.Since(r.Time) > time.Minute {
					t.Errorf("record %v: time %v, want about now", r, r.Time)
				}
				if r.Compression != "none" {
					t.Errorf("record %v: compression %q, want none", r, r.Compression)
				}
				if i > 0 {
					p := recs[i-1]
					if p.Partition > r.Partition || p.Partition == r.Partition && p.Offset >= r.Offset {
						t.Errorf("record %v after %v, want partition then offset order", r, p)
					}
				}
			}
			if len(parts) < 2 {
				t.Errorf("records in %d partitions, want them spread", len(parts))
			}
		})
	}
}

func TestCompression(t *testing.T) {
	c := Start(t, kfake.NumBrokers(1))
	long := strings.Repeat("compressible ", 100)
	for _, tt := range []struct {
		want  string
		codec kgo.CompressionCodec
	}{
		{"none", kgo.NoCompression()},
		{"gzip", kgo.GzipCompression()},
		{"snappy", kgo.SnappyCompression()},
		{"lz4", kgo.Lz4Compression()},
		{"zstd", kgo.ZstdCompression()},
	} {
		t.Run(tt.want, func(t *testing.T) {
			produce(t, append(c.ClientOpts(), kgo.ProducerBatchCompression(tt.codec)), tt.want, long)
			recs := c.ReadAll(t, tt.want)
			if len(recs) != 1 || recs[0].Compression != tt.want || string(recs[0].Value) != long {
				t.Fatalf("got %v, want one record compressed with %s", recs, tt.want)
			}
		})
	}
}

func TestReadNReturnsExtras(t *testing.T) {
	c := Start(t)
	want := values("v", 5)
	produce(t, c.ClientOpts(), "extras", want...)
	produce(t, c.ClientOpts(), "extras", want[0]) // a duplicate
	recs := c.ReadN(t, "extras", 3, 5*time.Second)
	sameValues(t, recs, append(want, want[0]))
}

func TestReadNWaits(t *testing.T) {
	c := Start(t)
	want := values("late", 4)
	errc := make(chan error, 1)
	go func() {
		time.Sleep(300 * time.Millisecond)
		errc <- tryProduce(c.ClientOpts(), "late", want...) // auto-creates the topic
	}()
	recs := c.ReadN(t, "late", len(want), 5*time.Second)
	if err := <-errc; err != nil {
		t.Fatal(err)
	}
	sameValues(t, recs, want)
}

// fatalTB records the first Fatal call and ends the goroutine like testing.T.
type fatalTB struct {
	testing.TB
	mu  sync.Mutex
	msg string
}

func (f *fatalTB) Helper() {}

func (f *fatalTB) Fatalf(format string, args ...any) {
	f.mu.Lock()
	f.msg = fmt.Sprintf(format, args...)
	f.mu.Unlock()
	runtime.Goexit()
}

func (f *fatalTB) Fatal(args ...any) { f.Fatalf("%s", fmt.Sprint(args...)) }

// fatalMsg runs f with a fatalTB and returns its Fatal message, "" if none.
func fatalMsg(t *testing.T, fn func(testing.TB)) string {
	ft := &fatalTB{TB: t}
	done := make(chan struct{})
	go func() {
		defer close(done)
		fn(ft)
	}()
	<-done
	ft.mu.Lock()
	defer ft.mu.Unlock()
	return ft.msg
}

func TestReadNTimeout(t *testing.T) {
	c := Start(t)
	produce(t, c.ClientOpts(), "short", values("v", 2)...)
	start := time.Now()
	msg := fatalMsg(t, func(tb testing.TB) { c.ReadN(tb, "short", 3, 300*time.Millisecond) })
	if want := `2 of 3 records in topic "short" after 300ms`; !strings.Contains(msg, want) {
		t.Errorf("ReadN failed with %q, want it to contain %q", msg, want)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("ReadN took %v to time out after 300ms", d)
	}

	msg = fatalMsg(t, func(tb testing.TB) { c.ReadN(tb, "never", 1, 100*time.Millisecond) })
	if want := `0 of 1 records in topic "never"`; !strings.Contains(msg, want) {
		t.Errorf("ReadN failed with %q, want it to contain %q", msg, want)
	}
}

func TestReadUnknownTopic(t *testing.T) {
	c := Start(t)
	_, err := c.Read(t.Context(), "nope")
	if !errors.Is(err, kerr.UnknownTopicOrPartition) {
		t.Fatalf("Read of an unknown topic: got %v, want UNKNOWN_TOPIC_OR_PARTITION", err)
	}
	if c.Kfake().TopicInfo("nope") != nil {
		t.Error("Read created the topic")
	}
}

func TestCreateTopic(t *testing.T) {
	c := Start(t)
	c.CreateTopic(t, "five", 5)
	if recs := c.ReadAll(t, "five"); len(recs) != 0 {
		t.Fatalf("new topic holds %v", recs)
	}
	if got := len(c.Kfake().PartitionInfos("five")); got != 5 {
		t.Fatalf("got %d partitions, want 5", got)
	}
	if msg := fatalMsg(t, func(tb testing.TB) { c.CreateTopic(tb, "five", 5) }); !strings.Contains(msg, "TOPIC_ALREADY_EXISTS") {
		t.Errorf("CreateTopic of an existing topic failed with %q, want TOPIC_ALREADY_EXISTS", msg)
	}
}

func TestSASL(t *testing.T) {
	for _, mech := range []string{Plain, ScramSHA256, ScramSHA512} {
		t.Run(mech, func(t *testing.T) {
			c := Start(t, SASL(mech, "writer", "secret"))
			want := values(mech, 3)
			produce(t, c.ClientOpts(), DefaultTopic, want...)
			sameValues(t, c.ReadAll(t, DefaultTopic), want)
		})
	}

	t.Run("enforced", func(t *testing.T) {
		c := Start(t, SASL(Plain, "writer", "secret"))
		for _, tt := range []struct {
			name string
			opts []kgo.Opt
		}{
			{"no login", nil},
			{"wrong password", []kgo.Opt{kgo.SASL(plain.Auth{User: "writer", Pass: "nope"}.AsMechanism())}},
		} {
			t.Run(tt.name, func(t *testing.T) {
				wantPingFails(t, "Ping", append(tt.opts, kgo.SeedBrokers(c.Addrs()...))...)
			})
		}
	})
}

func TestTLS(t *testing.T) {
	certs := NewCerts(t)
	pemBytes, err := os.ReadFile(certs.CAFile)
	if err != nil {
		t.Fatal(err)
	}
	if block, _ := pem.Decode(pemBytes); block == nil || block.Type != "CERTIFICATE" {
		t.Fatalf("CA file %s holds no PEM certificate", certs.CAFile)
	} else if ca, err := x509.ParseCertificate(block.Bytes); err != nil || !ca.IsCA {
		t.Fatalf("CA file %s: IsCA = %v, error %v", certs.CAFile, ca != nil && ca.IsCA, err)
	}
	if !slices.Equal(pemBytes, certs.CAPEM) {
		t.Error("CAPEM differs from the CA file")
	}

	for _, tt := range []struct {
		name string
		opts []kfake.Opt
	}{
		{"TLS", []kfake.Opt{TLS(certs)}},
		{"TLS+SCRAM", []kfake.Opt{TLS(certs), SASL(ScramSHA512, "writer", "secret")}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			c := Start(t, tt.opts...)
			want := values(tt.name, 3)
			produce(t, c.ClientOpts(), DefaultTopic, want...)
			sameValues(t, c.ReadAll(t, DefaultTopic), want)
		})
	}

	t.Run("untrusted", func(t *testing.T) {
		c := Start(t, TLS(certs))
		other := NewCerts(t)
		wantPingFails(t, "Ping trusting another CA", kgo.SeedBrokers(c.Addrs()...), kgo.DialTLSConfig(other.Client.Clone()))
	})
}

// wantPingFails fails t unless a client with opts fails to Ping within
// 500ms; what names the attempt in the failure.
func wantPingFails(t *testing.T, what string, opts ...kgo.Opt) {
	t.Helper()
	cl, err := kgo.NewClient(opts...)
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	ctx, cancel := context.WithTimeout(t.Context(), 500*time.Millisecond)
	defer cancel()
	if err := cl.Ping(ctx); err == nil {
		t.Fatalf("%s succeeded, want a failure", what)
	}
}

func TestRestart(t *testing.T) {
	c := Start(t, SASL(ScramSHA256, "writer", "secret"))
	addrs := c.Addrs()
	before, after := values("before", 3), values("after", 3)
	produce(t, c.ClientOpts(), DefaultTopic, before...)

	c.Stop()
	if c.Kfake() != nil {
		t.Error("Kfake() of a stopped cluster is not nil")
	}
	if got := c.Addrs(); !slices.Equal(got, addrs) {
		t.Errorf("Addrs() of a stopped cluster = %v, want %v", got, addrs)
	}
	c.Stop() // no-op

	if err := c.Restart(); err != nil {
		t.Fatal(err)
	}
	if got := c.Addrs(); !slices.Equal(got, addrs) {
		t.Errorf("Addrs() after Restart = %v, want %v", got, addrs)
	}
	produce(t, c.ClientOpts(), DefaultTopic, after...)
	sameValues(t, c.ReadN(t, DefaultTopic, 6, 5*time.Second), append(before, after...))

	if err := c.Kfake().RemoveNode(1); err != nil {
		t.Fatal(err)
	}
	if got := len(c.Addrs()); got != 2 {
		t.Errorf("got %d brokers after RemoveNode, want 2", got)
	}
	if err := c.Restart(); err != nil {
		t.Fatal(err)
	}
	if got := c.Addrs(); !slices.Equal(got, addrs) {
		t.Errorf("Addrs() after RemoveNode and Restart = %v, want %v", got, addrs)
	}
	sameValues(t, c.ReadAll(t, DefaultTopic), append(before, after...))

	c.Close()
	c.Close() // idempotent
	if err := c.Restart(); err == nil {
		t.Error("Restart of a closed cluster succeeded")
	}
}

func TestStartCluster(t *testing.T) {
	if testing.Short() {
		t.Skip("in-process Kafka cluster")
	}
	c, err := StartCluster(kfake.NumBrokers(1))
	if err != nil {
		t.Fatal(err)
	}
	if got := len(c.Addrs()); got != 1 {
		t.Errorf("got %d brokers, want 1", got)
	}
	produce(t, c.ClientOpts(), DefaultTopic, "x")
	recs, err := c.Read(t.Context(), DefaultTopic)
	if err != nil || len(recs) != 1 {
		t.Errorf("Read = %v, %v; want one record", recs, err)
	}
	dir := c.dataDir
	c.Close()
	if _, err := os.Stat(dir); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("data dir %s after Close: %v, want it removed", dir, err)
	}
}

func TestStartErrors(t *testing.T) {
	if testing.Short() {
		t.Skip("in-process Kafka cluster")
	}
	if c, err := StartCluster(SASL("GSSAPI", "u", "p")); err == nil {
		c.Close()
		t.Error("StartCluster with SASL GSSAPI succeeded")
	}
}
