package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/segmentio/kafka-go"

	"github.com/kafkasink/kafkasink/core"
	"github.com/kafkasink/kafkasink/integration/kafkatest"
)

// produce logs the entries with request ids id-from … id-(to-1) to cfg's
// topic through a core.Sink, and waits until Kafka has them all.
func produce(t *testing.T, cfg core.Config, from, to int) {
	t.Helper()
	s, err := core.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	for i := from; i < to; i++ {
		line := fmt.Sprintf(`{"level":"info","message":"request handled","request_id":"id-%d"}`, i)
		if err := s.Write(core.Entry{Level: core.InfoLevel, JSON: []byte(line)}); err != nil {
			t.Fatal(err)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := s.Close(ctx); err != nil {
		t.Fatalf("closing the producer: %v", err)
	}
}

// env is a getenv over a map.
func env(m map[string]string) func(string) string {
	return func(k string) string { return m[k] }
}

// runConsumer runs the program with args and variables vars, failing t
// unless it exits 0, and returns what it printed on stdout.
func runConsumer(t *testing.T, ctx context.Context, vars map[string]string, args ...string) string {
	t.Helper()
	var out, errOut bytes.Buffer
	if code := run(ctx, args, &out, &errOut, env(vars)); code != 0 {
		t.Fatalf("run(%q) = %d, want 0; stderr:\n%s\nstdout:\n%s", args, code, errOut.String(), out.String())
	}
	if errOut.Len() > 0 {
		t.Logf("stderr:\n%s", errOut.String())
	}
	return out.String()
}

// Patterns for the summary line, the request ids and the batch headers
// that run prints.
var (
	consumedRE = regexp.MustCompile(`(?m)^consumed (\d+) entries in (\d+) batches .*; (\d+) commit errors$`)
	idRE       = regexp.MustCompile(`"request_id":"(?:id|demo)-(\d+)"`)
	batchRE    = regexp.MustCompile(`(?m)^--- batch \d+: (\d+) entries \((.+)\)$`)
)

// consumed returns the entry count of the summary line of out, and the
// request ids printed, sorted.
func consumed(t *testing.T, out string) (int, []int) {
	t.Helper()
	m := consumedRE.FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("no summary line in output:\n%s", out)
	}
	if m[3] != "0" {
		t.Errorf("%s commit errors, want 0", m[3])
	}
	n, _ := strconv.Atoi(m[1])
	var ids []int
	for _, id := range idRE.FindAllStringSubmatch(out, -1) {
		i, _ := strconv.Atoi(id[1])
		ids = append(ids, i)
	}
	slices.Sort(ids)
	return n, ids
}

// wantIDs checks that ids are from … to-1, each once.
func wantIDs(t *testing.T, ids []int, from, to int) {
	t.Helper()
	var want []int
	for i := from; i < to; i++ {
		want = append(want, i)
	}
	if !slices.Equal(ids, want) {
		t.Errorf("printed request ids %v, want %v", ids, want)
	}
}

// TestRunCommitsOffsets reads with a group, then checks that the same group
// goes on where it left off and that another group starts over.
func TestRunCommitsOffsets(t *testing.T) {
	c := kafkatest.Start(t)
	const topic = "app-logs"
	vars := map[string]string{
		"KAFKA_BROKERS":  strings.Join(c.Addrs(), ","),
		"KAFKA_TOPIC":    topic,
		"KAFKA_GROUP_ID": "printer",
	}
	sink := core.Config{Brokers: c.Addrs(), Topic: topic}
	produce(t, sink, 0, 25)

	out := runConsumer(t, t.Context(), vars, "-max", "25", "-period", "1h") // batches by size only
	n, ids := consumed(t, out)
	if n != 25 {
		t.Errorf("consumed %d entries, want 25", n)
	}
	wantIDs(t, ids, 0, 25)
	var sizes []string
	for _, m := range batchRE.FindAllStringSubmatch(out, -1) {
		sizes = append(sizes, m[1]+" "+m[2])
	}
	if want := []string{"10 batch full", "10 batch full", "5 -max reached"}; !slices.Equal(sizes, want) {
		t.Errorf("batches %q, want %q", sizes, want)
	}

	// The same group goes on after the last committed offset.
	produce(t, sink, 25, 32)
	out = runConsumer(t, t.Context(), vars, "-max", "7")
	n, ids = consumed(t, out)
	if n != 7 {
		t.Errorf("second run consumed %d entries, want 7", n)
	}
	wantIDs(t, ids, 25, 32)

	// Another group reads everything again: flags win over variables.
	out = runConsumer(t, t.Context(), vars, "-group", "auditor", "-max", "32", "-batch", "100")
	n, ids = consumed(t, out)
	if n != 32 {
		t.Errorf("new group consumed %d entries, want 32", n)
	}
	wantIDs(t, ids, 0, 32)
}

// TestInterruptCommits cancels the run, as Ctrl-C does, with entries
// waiting for their batch: they are printed and committed.
func TestInterruptCommits(t *testing.T) {
	c := kafkatest.Start(t)
	sink := core.Config{Brokers: c.Addrs(), Topic: "logs"}
	produce(t, sink, 0, 5)

	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	var out, errOut bytes.Buffer
	cfg := config{
		brokers: c.Addrs(), topic: "logs", group: "g", protocol: core.Plaintext, reset: "earliest",
		batchSize: 10, period: time.Hour,
		onFetch: func(pending int) {
			if pending == 5 {
				cancel()
			}
		},
	}
	if err := consume(ctx, cfg, &out, &errOut); err != nil {
		t.Fatalf("consume: %v; stderr:\n%s", err, errOut.String())
	}
	n, ids := consumed(t, out.String())
	if n != 5 {
		t.Errorf("consumed %d entries, want 5", n)
	}
	wantIDs(t, ids, 0, 5)
	if !strings.Contains(out.String(), "--- batch 1: 5 entries (interrupted)") {
		t.Errorf("no interrupted batch in output:\n%s", out.String())
	}

	produce(t, sink, 5, 8)
	vars := map[string]string{"KAFKA_BROKERS": strings.Join(c.Addrs(), ","), "KAFKA_GROUP_ID": "g"}
	_, ids = consumed(t, runConsumer(t, t.Context(), vars, "-max", "3"))
	wantIDs(t, ids, 5, 8)
}

// TestRunSecure reads from a cluster that wants SCRAM over TLS, with every
// setting from the environment.
func TestRunSecure(t *testing.T) {
	certs := kafkatest.NewCerts(t)
	c := kafkatest.Start(t, kafkatest.TLS(certs), kafkatest.SASL(kafkatest.ScramSHA512, "reader", "s3cr=t,pw"))
	produce(t, core.Config{
		Brokers:          c.Addrs(),
		SecurityProtocol: core.SASLSSL,
		SASLMechanism:    core.ScramSHA512,
		SASLUsername:     "reader",
		SASLPassword:     "s3cr=t,pw",
		SSLCALocation:    certs.CAFile,
	}, 0, 12)
	vars := map[string]string{
		"KAFKA_BROKERS":           strings.Join(c.Addrs(), ","),
		"KAFKA_SECURITY_PROTOCOL": "SaslSsl",
		"KAFKA_SASL_MECHANISM":    "scram-sha-512",
		"KAFKA_SASL_USERNAME":     "reader",
		"KAFKA_SASL_PASSWORD":     "s3cr=t,pw",
		"KAFKA_SSL_CA_LOCATION":   certs.CAFile,
		"KAFKA_AUTO_OFFSET_RESET": "earliest",
	}
	out := runConsumer(t, t.Context(), vars, "-max", "12")
	n, ids := consumed(t, out)
	if n != 12 {
		t.Errorf("consumed %d entries, want 12", n)
	}
	wantIDs(t, ids, 0, 12)
}

// TestRunEmbedded runs without brokers: the program starts its own cluster
// and logs demo entries into it.
func TestRunEmbedded(t *testing.T) {
	if testing.Short() {
		t.Skip("in-process Kafka cluster")
	}
	out := runConsumer(t, t.Context(), nil, "-max", strconv.Itoa(demoBurst))
	n, ids := consumed(t, out)
	if n != demoBurst {
		t.Errorf("consumed %d entries, want %d", n, demoBurst)
	}
	wantIDs(t, ids, 0, demoBurst)
	if !strings.Contains(out, "started an embedded Kafka cluster") {
		t.Errorf("no embedded cluster in output:\n%s", out)
	}
}

// TestParseConfig covers flags, variables, their precedence and the errors
// for settings that are wrong or do not go together.
func TestParseConfig(t *testing.T) {
	for _, tt := range []struct {
		name    string
		args    []string
		vars    map[string]string
		want    func(config) string // "" if c is right
		wantErr string
	}{
		{
			name: "defaults",
			want: func(c config) string {
				if len(c.brokers) != 0 || c.topic != "logs" || c.group != "kafkasink-consumer" ||
					c.protocol != core.Plaintext || c.reset != "earliest" || c.batchSize != 10 || c.period != 3*time.Second || c.output != "raw" {
					return fmt.Sprintf("%+v", c)
				}
				return ""
			},
		},
		{
			name: "variables",
			vars: map[string]string{
				"KAFKA_BROKERS": " b1:9092, b2:9092 ,", "KAFKA_TOPIC": "t", "KAFKA_GROUP_ID": "g",
				"KAFKA_SECURITY_PROTOCOL": "sasl_plaintext", "KAFKA_SASL_MECHANISM": "ScramSha256",
				"KAFKA_SASL_USERNAME": "u", "KAFKA_SASL_PASSWORD": "p", "KAFKA_AUTO_OFFSET_RESET": "Latest",
			},
			want: func(c config) string {
				if !slices.Equal(c.brokers, []string{"b1:9092", "b2:9092"}) || c.topic != "t" || c.group != "g" ||
					c.protocol != core.SASLPlaintext || c.mechanism != core.ScramSHA256 ||
					c.username != "u" || c.password != "p" || c.reset != "latest" {
					return fmt.Sprintf("%+v", c)
				}
				return ""
			},
		},
		{
			name: "flags win",
			args: []string{"-brokers", "f:1", "-topic", "ft", "-auto-offset-reset", "earliest"},
			vars: map[string]string{"KAFKA_BROKERS": "e:1", "KAFKA_TOPIC": "et", "KAFKA_AUTO_OFFSET_RESET": "latest"},
			want: func(c config) string {
				if !slices.Equal(c.brokers, []string{"f:1"}) || c.topic != "ft" || c.reset != "earliest" {
					return fmt.Sprintf("%+v", c)
				}
				return ""
			},
		},
		{name: "bad protocol", vars: map[string]string{"KAFKA_BROKERS": "b:1", "KAFKA_SECURITY_PROTOCOL": "tls"}, wantErr: `unknown security protocol "tls"`},
		{name: "bad mechanism", args: []string{"-sasl-mechanism", "GSSAPI"}, wantErr: `unknown SASL mechanism "GSSAPI"`},
		{name: "bad reset", args: []string{"-auto-offset-reset", "none"}, wantErr: `unknown auto offset reset "none"`},
		{name: "no user", vars: map[string]string{"KAFKA_BROKERS": "b:1", "KAFKA_SECURITY_PROTOCOL": "SASL_SSL"}, wantErr: "needs a SASL user"},
		{name: "no password", vars: map[string]string{"KAFKA_BROKERS": "b:1", "KAFKA_SECURITY_PROTOCOL": "SASL_SSL", "KAFKA_SASL_USERNAME": "u"}, wantErr: "set KAFKA_SASL_PASSWORD"},
		{name: "user without SASL", vars: map[string]string{"KAFKA_BROKERS": "b:1", "KAFKA_SASL_USERNAME": "u"}, wantErr: "does not use SASL"},
		{name: "CA without TLS", args: []string{"-brokers", "b:1", "-ssl-ca-location", "ca.pem"}, wantErr: "does not use TLS"},
		{name: "security without brokers", vars: map[string]string{"KAFKA_SECURITY_PROTOCOL": "SSL"}, wantErr: "without brokers"},
		{name: "bad batch", args: []string{"-batch", "0"}, wantErr: "-batch must be positive"},
		{name: "bad output", args: []string{"-output", "xml"}, wantErr: `unknown -output "xml" (want raw, text, serilog, clef)`},
		{
			name: "output",
			args: []string{"-output", "clef"},
			want: func(c config) string {
				if c.output != "clef" {
					return fmt.Sprintf("%+v", c)
				}
				return ""
			},
		},
		{name: "extra argument", args: []string{"logs"}, wantErr: `unexpected argument "logs"`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var stderr bytes.Buffer
			c, err := parseConfig(tt.args, &stderr, env(tt.vars))
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("got error %v, want one containing %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if bad := tt.want(c); bad != "" {
				t.Errorf("got %s", bad)
			}
		})
	}
}

// TestHelpHidesPassword checks that -h exits 0 and never shows the
// password, which has no flag.
func TestHelpHidesPassword(t *testing.T) {
	var out, errOut bytes.Buffer
	code := run(t.Context(), []string{"-h"}, &out, &errOut, env(map[string]string{"KAFKA_SASL_PASSWORD": "hunter2"}))
	if code != 0 {
		t.Errorf("run -h = %d, want 0", code)
	}
	if !strings.Contains(errOut.String(), "KAFKA_SASL_PASSWORD") || strings.Contains(errOut.String(), "hunter2") {
		t.Errorf("help text:\n%s", errOut.String())
	}
}

// scripted is a reader that returns its results in order, then waits for
// the context to end. It records the offsets committed.
type scripted struct {
	results   []any // kafka.Message or error
	commitErr error
	committed []int64
}

// FetchMessage returns the next scripted result.
func (s *scripted) FetchMessage(ctx context.Context) (kafka.Message, error) {
	if len(s.results) == 0 {
		<-ctx.Done()
		return kafka.Message{}, ctx.Err()
	}
	r := s.results[0]
	s.results = s.results[1:]
	if err, ok := r.(error); ok {
		return kafka.Message{}, err
	}
	return r.(kafka.Message), nil
}

// CommitMessages records the offsets of msgs and returns commitErr.
func (s *scripted) CommitMessages(_ context.Context, msgs ...kafka.Message) error {
	for _, m := range msgs {
		s.committed = append(s.committed, m.Offset)
	}
	return s.commitErr
}

// msg returns a message at offset with request id id-<offset>.
func msg(offset int64) kafka.Message {
	return kafka.Message{Topic: "logs", Offset: offset, Value: []byte(fmt.Sprintf(`{"request_id":"id-%d"}`, offset))}
}

// TestLoopGoesOnAfterErrors checks that consume errors are reported and
// the loop goes on, backing off more after each error in a row, that
// commit errors are counted, and that io.EOF (the
// reader closed) ends the loop with what was read still printed.
func TestLoopGoesOnAfterErrors(t *testing.T) {
	r := &scripted{
		results:   []any{msg(0), errors.New("broker went away"), msg(1), msg(2), errors.New("still away"), errors.New("still away again"), msg(3), io.EOF},
		commitErr: errors.New("rebalance in progress"),
	}
	var out, errOut bytes.Buffer
	b := &batcher{r: r, out: &out, errOut: &errOut}
	why, err := b.loop(t.Context(), config{batchSize: 3, period: time.Hour})
	if err == nil || why != "reader closed" {
		t.Errorf("loop returned %q, %v; want reader closed and an error", why, err)
	}
	b.flush(why)
	if b.total != 4 || b.batches != 2 || b.commitErrs != 2 {
		t.Errorf("total %d, batches %d, commit errors %d; want 4, 2, 2", b.total, b.batches, b.commitErrs)
	}
	if !slices.Equal(r.committed, []int64{0, 1, 2, 3}) {
		t.Errorf("committed offsets %v, want [0 1 2 3]", r.committed)
	}
	for _, w := range []string{"consume error (retrying in 200ms): broker went away", "consume error (retrying in 200ms): still away\n", "consume error (retrying in 400ms): still away again", "committing batch 2: rebalance in progress"} {
		if !strings.Contains(errOut.String(), w) {
			t.Errorf("stderr does not contain %q:\n%s", w, errOut.String())
		}
	}
	if !strings.Contains(out.String(), "--- batch 2: 1 entries (reader closed)") {
		t.Errorf("output:\n%s", out.String())
	}
}
