package core

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/kafkasink/kafkasink/internal/testcerts"
)

func TestConfigValidation(t *testing.T) {
	dir := t.TempDir()
	notPEM := filepath.Join(dir, "not.pem")
	os.WriteFile(notPEM, []byte("hello"), 0o600)
	for _, tt := range []struct {
		name      string
		cfg       Config
		wantField string // "" for a valid config
	}{
		{"zero value", Config{}, ""},
		{"full SASL_SSL", Config{Brokers: []string{"a:9093", "b:9093"}, SecurityProtocol: SASLSSL, SASLMechanism: ScramSHA512, SASLUsername: "u", SASLPassword: "p"}, ""},
		{"TLS implies SSL", Config{TLS: &tls.Config{}}, ""},
		{"bad broker address", Config{Brokers: []string{"localhost:9092", "nohost"}}, "Brokers[1]"},
		{"broker without host", Config{Brokers: []string{":9092"}}, "Brokers[0]"},
		{"broker bad port", Config{Brokers: []string{"h:99999"}}, "Brokers[0]"},
		{"broker port not a number", Config{Brokers: []string{"h:kafka"}}, "Brokers[0]"},
		{"invalid topic", Config{Topic: "logs with spaces"}, "Topic"},
		{"topic too long", Config{Topic: strings.Repeat("a", 250)}, "Topic"},
		{"negative batch size", Config{BatchSizeLimit: -1}, "BatchSizeLimit"},
		{"negative period", Config{Period: -time.Second}, "Period"},
		{"negative queue limit", Config{QueueLimit: -5}, "QueueLimit"},
		{"negative queue bytes", Config{QueueByteLimit: -5}, "QueueByteLimit"},
		{"negative in flight", Config{MaxInFlight: -1}, "MaxInFlight"},
		{"negative retry limit", Config{RetryTimeLimit: -1}, "RetryTimeLimit"},
		{"max backoff below min", Config{MinBackoff: time.Second, MaxBackoff: time.Millisecond}, "MaxBackoff"},
		{"entry bigger than queue", Config{MaxEntryBytes: 2 << 20, QueueByteLimit: 1 << 20}, "MaxEntryBytes"},
		{"unknown overflow policy", Config{OverflowPolicy: 7}, "OverflowPolicy"},
		{"unknown acks", Config{RequiredAcks: 9}, "RequiredAcks"},
		{"unknown compression", Config{Compression: "brotli"}, "Compression"},
		{"header without key", Config{Headers: []Header{{Value: []byte("x")}}}, "Headers[0]"},
		{"unknown protocol", Config{SecurityProtocol: "QUIC"}, "SecurityProtocol"},
		{"unknown mechanism", Config{SecurityProtocol: SASLPlaintext, SASLMechanism: "GSSAPI", SASLUsername: "u", SASLPassword: "p"}, "SASLMechanism"},
		{"SASL without user", Config{SecurityProtocol: SASLPlaintext, SASLPassword: "p"}, "SASLUsername"},
		{"SASL without password", Config{SecurityProtocol: SASLSSL, SASLUsername: "u"}, "SASLPassword"},
		{"credentials without SASL", Config{SASLUsername: "u", SASLPassword: "p"}, "SecurityProtocol"},
		{"TLS with plaintext", Config{SecurityProtocol: Plaintext, TLS: &tls.Config{}}, "TLS"},
		{"CA with plaintext", Config{SSLCALocation: notPEM}, "SSLCALocation"},
		{"missing CA file", Config{SecurityProtocol: SSL, SSLCALocation: filepath.Join(dir, "missing.pem")}, "SSLCALocation"},
		{"CA file not PEM", Config{SecurityProtocol: SSL, SSLCALocation: notPEM}, "SSLCALocation"},
		{"brokers split with spaces", Config{Brokers: strings.Split("a:9092, b:9092", ",")}, ""},
		{"batch as big as the queue", Config{BatchSizeLimit: 100, QueueLimit: 100, ShedThreshold: 1}, "BatchSizeLimit"},
		{"batch bigger than the queue", Config{BatchSizeLimit: 1000, QueueLimit: 100}, "BatchSizeLimit"},
		{"batch above the shedding point", Config{BatchSizeLimit: 900, QueueLimit: 1000, ShedThreshold: 0.8}, "BatchSizeLimit"},
		{"batch at the shedding point", Config{BatchSizeLimit: 800, QueueLimit: 1000, ShedThreshold: 0.8}, ""},
		{"big batch, shedding off", Config{BatchSizeLimit: 999, QueueLimit: 1000, ShedThreshold: 1}, ""},
		{"queue of one", Config{QueueLimit: 1}, "QueueLimit"},
		{"small queue, default batch", Config{QueueLimit: 10}, ""},
		{"spool", Config{SpoolDir: filepath.Join(dir, "spool")}, ""},
		{"spool, every write synced", Config{SpoolDir: filepath.Join(dir, "spool2"), SpoolSync: SpoolSyncEveryWrite, SpoolInterval: time.Millisecond, SpoolByteLimit: 4 << 20}, ""},
		{"spool byte limit without spool", Config{SpoolByteLimit: 1 << 30}, "SpoolByteLimit"},
		{"spool interval without spool", Config{SpoolInterval: time.Second}, "SpoolInterval"},
		{"spool sync without spool", Config{SpoolSync: SpoolSyncEveryWrite}, "SpoolSync"},
		{"negative spool byte limit", Config{SpoolDir: dir, SpoolByteLimit: -1}, "SpoolByteLimit"},
		{"negative spool interval", Config{SpoolDir: dir, SpoolInterval: -time.Second}, "SpoolInterval"},
		{"spool below 1 MiB", Config{SpoolDir: dir, SpoolByteLimit: 1 << 19}, "SpoolByteLimit"},
		{"spool below two entries", Config{SpoolDir: dir, SpoolByteLimit: 1 << 20, MaxEntryBytes: 1 << 20, MaxBatchBytes: 1 << 20}, "SpoolByteLimit"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.cfg.Validate()
			if tt.wantField == "" {
				if err != nil {
					t.Fatalf("Validate = %v, want nil", err)
				}
				s, err := New(tt.cfg)
				if err != nil {
					t.Fatalf("New = %v, want nil", err)
				}
				s.Close(t.Context()) // nothing written: returns at once
				return
			}
			var ce *ConfigError
			if !errors.As(err, &ce) || ce.Field != tt.wantField {
				t.Fatalf("Validate = %v, want a ConfigError for %s", err, tt.wantField)
			}
			if !strings.Contains(err.Error(), tt.wantField) {
				t.Errorf("error %q does not name %s", err, tt.wantField)
			}
			if _, err := New(tt.cfg); err == nil {
				t.Errorf("New accepted what Validate refused")
			}
		})
	}
}

func TestConfigDefaults(t *testing.T) {
	c := Config{}.withDefaults()
	for _, tt := range []struct {
		name      string
		got, want any
	}{
		{"Brokers", c.Brokers, []string{"localhost:9092"}},
		{"Topic", c.Topic, "logs"},
		{"BatchSizeLimit", c.BatchSizeLimit, 50},
		{"Period", c.Period, 5 * time.Second},
		{"QueueLimit", c.QueueLimit, 100000},
		{"RetryTimeLimit", c.RetryTimeLimit, 10 * time.Minute},
		{"RequiredAcks", c.RequiredAcks, AcksAll},
		{"OverflowPolicy", c.OverflowPolicy, DropNewest},
		{"SecurityProtocol", c.SecurityProtocol, Plaintext},
		{"SASLMechanism", c.SASLMechanism, Plain},
		{"Compression", c.Compression, CompressionNone},
		{"DelayFirstEntry", c.DelayFirstEntry, false},
	} {
		if fmt.Sprint(tt.got) != fmt.Sprint(tt.want) {
			t.Errorf("default %s = %v, want %v", tt.name, tt.got, tt.want)
		}
	}
}

// TestSinkConfig checks that Sink.Config returns the configuration as the
// sink applies it, that changing what it returns changes nothing in the
// sink, and that it still hides the password.
func TestSinkConfig(t *testing.T) {
	given := Config{
		Brokers:          []string{" a:9092", "b:9093 "},
		SecurityProtocol: SASLPlaintext,
		SASLUsername:     "user",
		SASLPassword:     "hunter2-secret",
		Headers:          []Header{{Key: "k", Value: []byte("v")}, {Key: "null"}},
		SyncTimeout:      3 * time.Second,
		ErrorHandler:     func(error) {},
	}
	s, err := New(given)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close(context.Background())

	got := s.Config()
	for _, tt := range []struct {
		name      string
		got, want any
	}{
		{"Brokers", got.Brokers, []string{"a:9092", "b:9093"}},
		{"Topic", got.Topic, "logs"},
		{"BatchSizeLimit", got.BatchSizeLimit, 50},
		{"Period", got.Period, 5 * time.Second},
		{"SyncTimeout", got.SyncTimeout, 3 * time.Second},
		{"SecurityProtocol", got.SecurityProtocol, SASLPlaintext},
		{"SASLMechanism", got.SASLMechanism, Plain},
		{"SASLPassword", got.SASLPassword, "hunter2-secret"},
		{"Headers", got.Headers, []Header{{Key: "k", Value: []byte("v")}, {Key: "null"}}},
		{"null header value", got.Headers[1].Value == nil, true},
	} {
		if !reflect.DeepEqual(tt.got, tt.want) {
			t.Errorf("Config().%s = %v, want %v", tt.name, tt.got, tt.want)
		}
	}
	if d := (Config{}).withDefaults(); s.Config().MaxInFlight != d.MaxInFlight || s.Config().RetryTimeLimit != d.RetryTimeLimit {
		t.Errorf("Config() = %v, want the defaults of the fields not given", s.Config())
	}
	if strings.Contains(got.String(), "hunter2") {
		t.Errorf("Config().String() reveals the password: %s", got)
	}

	got.Brokers[0] = "changed:1"
	got.Headers[0].Value[0] = 'X'
	if again := s.Config(); again.Brokers[0] != "a:9092" || string(again.Headers[0].Value) != "v" {
		t.Errorf("changing what Config returned changed the sink's: got %v, %q", again.Brokers, again.Headers[0].Value)
	}
	if given.Brokers[0] != " a:9092" || string(given.Headers[0].Value) != "v" {
		t.Errorf("Config() aliases the Config given to New: got %q, %q", given.Brokers, given.Headers[0].Value)
	}
}

func TestConfigNeverPrintsPassword(t *testing.T) {
	c := Config{SecurityProtocol: SASLSSL, SASLUsername: "user", SASLPassword: "hunter2-secret"}
	for _, s := range []string{c.String(), fmt.Sprint(c), fmt.Sprintf("%v %+v %#v %s", c, c, c, c), fmt.Sprint(&c)} {
		if strings.Contains(s, "hunter2") {
			t.Errorf("printed config reveals the password: %s", s)
		}
		if !strings.Contains(s, "user") {
			t.Errorf("printed config lost the user name: %s", s)
		}
	}
	bad := Config{SecurityProtocol: "nope", SASLPassword: "hunter2-secret"}
	if err := bad.Validate(); err == nil || strings.Contains(err.Error(), "hunter2") {
		t.Errorf("Validate = %v: want an error without the password", err)
	}
}

func TestParsers(t *testing.T) {
	for _, tt := range []struct {
		in   string
		want SecurityProtocol
	}{
		{"Plaintext", Plaintext}, {"ssl", SSL}, {"SaslPlaintext", SASLPlaintext}, {"SASL_SSL", SASLSSL}, {"sasl_ssl", SASLSSL},
	} {
		if got, err := ParseSecurityProtocol(tt.in); err != nil || got != tt.want {
			t.Errorf("ParseSecurityProtocol(%q) = %v, %v; want %v", tt.in, got, err, tt.want)
		}
	}
	if _, err := ParseSecurityProtocol("kerberos"); err == nil {
		t.Error("ParseSecurityProtocol(kerberos) = nil error")
	}
	for in, want := range map[string]SASLMechanism{"plain": Plain, "ScramSha256": ScramSHA256, "SCRAM-SHA-512": ScramSHA512} {
		if got, err := ParseSASLMechanism(in); err != nil || got != want {
			t.Errorf("ParseSASLMechanism(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	for in, want := range map[string]Acks{"all": AcksAll, "-1": AcksAll, "1": AcksLeader, "none": AcksNone} {
		if got, err := ParseAcks(in); err != nil || got != want {
			t.Errorf("ParseAcks(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	for in, want := range map[string]Level{"info": InfoLevel, "WARN": WarnLevel, "warning": WarnLevel, "dpanic": DPanicLevel, "trace": TraceLevel} {
		if got, err := ParseLevel(in); err != nil || got != want {
			t.Errorf("ParseLevel(%q) = %v, %v; want %v, nil", in, got, err, want)
		}
	}
	for _, in := range []string{"", "loud", "warnings", "no level"} {
		l, err := ParseLevel(in)
		if want := fmt.Sprintf("unknown level %q", in); err == nil || !strings.Contains(err.Error(), want) || l != NoLevel {
			t.Errorf("ParseLevel(%q) = %v, %v; want NoLevel and an error containing %s", in, l, err, want)
		}
	}
	for in, want := range map[string]OverflowPolicy{
		"drop_newest": DropNewest, "DropNewest": DropNewest, "dropNewest": DropNewest, "DROP-NEWEST": DropNewest,
		"drop_oldest": DropOldest, "dropOldest": DropOldest, "block": Block, "Block": Block,
	} {
		if got, err := ParseOverflowPolicy(in); err != nil || got != want {
			t.Errorf("ParseOverflowPolicy(%q) = %v, %v; want %v, nil", in, got, err, want)
		}
	}
	for _, p := range []OverflowPolicy{DropNewest, DropOldest, Block} {
		if got, err := ParseOverflowPolicy(p.String()); err != nil || got != p {
			t.Errorf("ParseOverflowPolicy(%v.String()) = %v, %v; want %v, nil", p, got, err, p)
		}
	}
	for _, in := range []string{"", "wait", "drop"} {
		if _, err := ParseOverflowPolicy(in); err == nil || !strings.Contains(err.Error(), fmt.Sprintf("unknown overflow policy %q", in)) {
			t.Errorf("ParseOverflowPolicy(%q): got %v, want an error naming it", in, err)
		}
	}
}

// TestConfigTraps checks what New makes of settings users get wrong: the
// brokers it dials are the trimmed ones it validated, and the default batch
// size fits a small queue.
func TestConfigTraps(t *testing.T) {
	r, err := Config{Brokers: strings.Split("a:9092, b:9092 ,c:1", ",")}.resolve()
	if err != nil {
		t.Fatal(err)
	}
	if got, want := fmt.Sprint(r.Brokers), "[a:9092 b:9092 c:1]"; got != want {
		t.Errorf("brokers to dial: got %s, want %s", got, want)
	}
	for _, tt := range []struct {
		cfg  Config
		want int
	}{
		{Config{}, 50},
		{Config{QueueLimit: 10}, 4}, // half the shedding point, 8
		{Config{QueueLimit: 10, ShedThreshold: 1}, 5},
		{Config{QueueLimit: 2, ShedThreshold: 1}, 1},
		{Config{QueueLimit: 2}, 1},
	} {
		r, err := tt.cfg.resolve()
		if err != nil {
			t.Errorf("%+v: %v", tt.cfg, err)
			continue
		}
		if r.BatchSizeLimit != tt.want {
			t.Errorf("QueueLimit %d, ShedThreshold %v: got default BatchSizeLimit %d, want %d", tt.cfg.QueueLimit, tt.cfg.ShedThreshold, r.BatchSizeLimit, tt.want)
		}
	}
}

func FuzzConfigValidate(f *testing.F) {
	f.Add("localhost:9092", "logs", "SASL_SSL", "PLAIN", "u", 50, int64(time.Second))
	f.Add("", "", "", "", "", 0, int64(0))
	f.Fuzz(func(t *testing.T, broker, topic, proto, mech, user string, batch int, period int64) {
		c := Config{Brokers: []string{broker}, Topic: topic, SecurityProtocol: SecurityProtocol(proto),
			SASLMechanism: SASLMechanism(mech), SASLUsername: user, SASLPassword: "fuzz-secret-pw",
			BatchSizeLimit: batch, Period: time.Duration(period)}
		if err := c.Validate(); err != nil && strings.Contains(err.Error(), "fuzz-secret-pw") {
			t.Errorf("error reveals the password: %v", err)
		}
	})
}

// TestTLSContradictions checks the one implied setting, an empty
// SecurityProtocol with TLS set meaning SSL, and that every contradiction
// between the protocol and the TLS settings is a ConfigError whose message
// names both fields.
func TestTLSContradictions(t *testing.T) {
	ca := testcerts.New(t).CAFile
	for _, tt := range []struct {
		name      string
		cfg       Config
		wantField string   // "" for a valid config
		want      []string // in the message
		protocol  SecurityProtocol
	}{
		{"TLS, protocol empty: SSL", Config{TLS: &tls.Config{}}, "", nil, SSL},
		{"TLS and CA, protocol empty: SSL", Config{TLS: &tls.Config{}, SSLCALocation: ca}, "", nil, SSL},
		{"TLS with SSL", Config{SecurityProtocol: SSL, TLS: &tls.Config{}}, "", nil, SSL},
		{"TLS with SASL_SSL", Config{SecurityProtocol: SASLSSL, SASLUsername: "u", SASLPassword: "p", TLS: &tls.Config{}}, "", nil, SASLSSL},
		{"CA with SSL", Config{SecurityProtocol: SSL, SSLCALocation: ca}, "", nil, SSL},
		{"nothing: PLAINTEXT", Config{}, "", nil, Plaintext},

		{"TLS with PLAINTEXT", Config{SecurityProtocol: Plaintext, TLS: &tls.Config{}},
			"TLS", []string{"TLS: set", "SecurityProtocol PLAINTEXT does not use TLS"}, ""},
		{"TLS with SASL_PLAINTEXT", Config{SecurityProtocol: SASLPlaintext, SASLUsername: "u", SASLPassword: "p", TLS: &tls.Config{}},
			"TLS", []string{"TLS: set", "SecurityProtocol SASL_PLAINTEXT does not use TLS", "SASL_SSL"}, ""},
		{"CA with PLAINTEXT", Config{SecurityProtocol: Plaintext, SSLCALocation: ca},
			"SSLCALocation", []string{"SSLCALocation: set", "SecurityProtocol PLAINTEXT does not use TLS"}, ""},
		{"CA with SASL_PLAINTEXT", Config{SecurityProtocol: SASLPlaintext, SASLUsername: "u", SASLPassword: "p", SSLCALocation: ca},
			"SSLCALocation", []string{"SSLCALocation: set", "SecurityProtocol SASL_PLAINTEXT does not use TLS"}, ""},
		{"SASL credentials with SSL", Config{SecurityProtocol: SSL, SASLUsername: "u", SASLPassword: "p"},
			"SecurityProtocol", []string{"SecurityProtocol: SSL, which does not use SASL", "SASLUsername or SASLPassword"}, ""},
		{"CA, protocol empty: no switch", Config{SSLCALocation: ca},
			"SSLCALocation", []string{"SSLCALocation: set", "SecurityProtocol (empty, so PLAINTEXT) does not use TLS"}, ""},
		{"TLS and SASL credentials, protocol empty", Config{TLS: &tls.Config{}, SASLUsername: "u", SASLPassword: "p"},
			"SecurityProtocol", []string{"SecurityProtocol: empty, so SSL since TLS is set, which does not use SASL", "SASLUsername", "SASL_SSL"}, ""},
	} {
		t.Run(tt.name, func(t *testing.T) {
			r, err := tt.cfg.resolve()
			if tt.wantField == "" {
				if err != nil {
					t.Fatalf("resolve = %v, want nil", err)
				}
				if r.SecurityProtocol != tt.protocol {
					t.Errorf("SecurityProtocol = %s, want %s", r.SecurityProtocol, tt.protocol)
				}
				if got := r.tls != nil; got != tt.protocol.usesTLS() {
					t.Errorf("TLS configured = %v, want %v", got, !got)
				}
				return
			}
			var ce *ConfigError
			if !errors.As(err, &ce) || ce.Field != tt.wantField {
				t.Fatalf("resolve = %v, want a ConfigError for %s", err, tt.wantField)
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q: want it to contain %q", err, w)
				}
			}
		})
	}
}
