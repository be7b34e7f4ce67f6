package zapsink_test

import (
	"errors"
	"net/url"
	"reflect"
	"strings"
	"testing"
	"time"

	"go.uber.org/zap"

	"github.com/kafkasink/kafkasink/core"
	"github.com/kafkasink/kafkasink/internal/testcerts"
	"github.com/kafkasink/kafkasink/zapsink"
)

func TestParseURL(t *testing.T) {
	caFile := testcerts.New(t).CAFile
	t.Setenv("ZAPSINK_TEST_PASSWORD", "from-env")
	sink := func(c core.Config) zapsink.URLConfig { return zapsink.URLConfig{Sink: c, LevelKey: "level"} }
	for _, tt := range []struct {
		name string
		url  string
		want zapsink.URLConfig
	}{
		{"issue example", "kafka://broker1:9092,broker2:9092/app-logs?batchSizeLimit=100&period=1s",
			sink(core.Config{Brokers: []string{"broker1:9092", "broker2:9092"}, Topic: "app-logs", BatchSizeLimit: 100, Period: time.Second})},
		{"defaults", "kafka://", sink(core.Config{})},
		{"no host", "kafka:///app-logs", sink(core.Config{Topic: "app-logs"})},
		{"default port", "kafka://b1,b2/t", sink(core.Config{Brokers: []string{"b1:9092", "b2:9092"}, Topic: "t"})},
		{"IPv6", "kafka://[::1]/t", sink(core.Config{Brokers: []string{"[::1]:9092"}, Topic: "t"})},
		{"IPv6 with port", "kafka://[::1]:9093/t", sink(core.Config{Brokers: []string{"[::1]:9093"}, Topic: "t"})},
		{"Serilog period in seconds", "kafka://b:1/t?period=5", sink(core.Config{Brokers: []string{"b:1"}, Topic: "t", Period: 5 * time.Second})},
		{"fractional seconds", "kafka://b:1/t?period=0.25", sink(core.Config{Brokers: []string{"b:1"}, Topic: "t", Period: 250 * time.Millisecond})},
		{"bootstrapServers", "kafka:///t?bootstrapServers=b1:9092,b2", sink(core.Config{Brokers: []string{"b1:9092", "b2:9092"}, Topic: "t"})},
		{"topic parameter", "kafka://b:1?topic=x", sink(core.Config{Brokers: []string{"b:1"}, Topic: "x"})},
		{"same topic twice", "kafka://b:1/x?topic=x", sink(core.Config{Brokers: []string{"b:1"}, Topic: "x"})},
		{"names ignore case", "kafka://b:1/t?BATCHSIZELIMIT=7&EagerlyEmitFirstEvent=false",
			sink(core.Config{Brokers: []string{"b:1"}, Topic: "t", BatchSizeLimit: 7, DelayFirstEntry: true})},
		{"everything", "kafka://b:1/t?queueLimit=10&queueByteLimit=2000000&eagerlyEmitFirstEvent=true&overflowPolicy=drop_oldest" +
			"&blockTimeout=2s&maxEntryBytes=1000&maxBatchBytes=5000&maxInFlight=2&shedLevel=error&shedThreshold=0.5&compression=ZSTD&acks=1&retryTimeLimit=60" +
			"&minBackoff=10ms&maxBackoff=1s&writeTimeout=3s&dialTimeout=4&clientId=svc&syncTimeout=250ms&levelKey=severity",
			zapsink.URLConfig{Sink: core.Config{
				Brokers: []string{"b:1"}, Topic: "t", QueueLimit: 10, QueueByteLimit: 2000000, OverflowPolicy: core.DropOldest,
				BlockTimeout: 2 * time.Second, MaxEntryBytes: 1000, MaxBatchBytes: 5000, MaxInFlight: 2,
				ShedLevel: core.ErrorLevel, ShedThreshold: 0.5, Compression: core.CompressionZstd, RequiredAcks: core.AcksLeader, RetryTimeLimit: time.Minute,
				MinBackoff: 10 * time.Millisecond, MaxBackoff: time.Second, WriteTimeout: 3 * time.Second,
				DialTimeout: 4 * time.Second, ClientID: "svc", SyncTimeout: 250 * time.Millisecond,
			}, LevelKey: "severity"}},
		{"block policy", "kafka://b:1/t?overflowPolicy=Block&requiredAcks=none",
			sink(core.Config{Brokers: []string{"b:1"}, Topic: "t", OverflowPolicy: core.Block, RequiredAcks: core.AcksNone})},
		{"user info implies SASL_SSL", "kafka://alice:s3cr%2Ft+x@b:9093/t",
			sink(core.Config{Brokers: []string{"b:9093"}, Topic: "t", SecurityProtocol: core.SASLSSL, SASLUsername: "alice", SASLPassword: "s3cr/t+x"})},
		{"SASL parameters", "kafka://b:9092/t?securityProtocol=SaslPlaintext&saslMechanism=ScramSha256&saslUsername=bob&saslPassword=a+b%3Bc%3D",
			sink(core.Config{Brokers: []string{"b:9092"}, Topic: "t", SecurityProtocol: core.SASLPlaintext, SASLMechanism: core.ScramSHA256, SASLUsername: "bob", SASLPassword: "a+b;c="})},
		{"Event Hubs", "kafka://$ConnectionString@ns.servicebus.windows.net:9093/t?saslPasswordEnv=ZAPSINK_TEST_PASSWORD",
			sink(core.Config{Brokers: []string{"ns.servicebus.windows.net:9093"}, Topic: "t", SecurityProtocol: core.SASLSSL, SASLUsername: "$ConnectionString", SASLPassword: "from-env"})},
		{"durable mode", "kafka://b:1/t?spoolDir=%2Fvar%2Fspool%2Fapp&spoolByteLimit=4294967296&spoolInterval=5ms&spoolSync=0.5",
			sink(core.Config{Brokers: []string{"b:1"}, Topic: "t", SpoolDir: "/var/spool/app", SpoolByteLimit: 4 << 30,
				SpoolInterval: 5 * time.Millisecond, SpoolSync: 500 * time.Millisecond})},
		{"spool synced on every write", "kafka://b:1/t?spoolDir=spool&spoolSync=Always",
			sink(core.Config{Brokers: []string{"b:1"}, Topic: "t", SpoolDir: "spool", SpoolSync: core.SpoolSyncEveryWrite})},
		{"SSL with CA", "kafka://b:9093/t?securityProtocol=ssl&sslCaLocation=" + url.PathEscape(caFile),
			sink(core.Config{Brokers: []string{"b:9093"}, Topic: "t", SecurityProtocol: core.SSL, SSLCALocation: caFile})},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got, err := zapsink.ParseURL(tt.url)
			if err != nil {
				t.Fatalf("ParseURL(%q): got error %v, want nil", tt.url, err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("ParseURL(%q):\ngot  %+v\nwant %+v", tt.url, got, tt.want)
			}
		})
	}
}

func TestParseURLErrors(t *testing.T) {
	for _, tt := range []struct {
		name, url, want string
	}{
		{"other scheme", "http://b:1/t", `got scheme "http", want "kafka"`},
		{"opaque", "kafka:b:1", "with two slashes"},
		{"fragment", "kafka://b:1/t#x", "fragment"},
		{"empty host entry", "kafka://b1:1,,b2:2/t", "empty entry"},
		{"nested path", "kafka://b:1/a/b", `path "/a/b": want one topic name`},
		{"bad topic", "kafka://b:1/a%20b", "invalid config: Topic"},
		{"unknown parameters", "kafka://b:1/t?foo=1&batchSize=2&period=1s", `unknown parameters "batchSize", "foo" (want bootstrapServers,`},
		{"twice", "kafka://b:1/t?period=1s&Period=2s", "parameter Period given twice"},
		{"alias twice", "kafka://b:1/t?acks=all&requiredAcks=1", "given twice"},
		{"not an int", "kafka://b:1/t?batchSizeLimit=ten", `parameter batchSizeLimit: got "ten", want a positive integer`},
		{"zero", "kafka://b:1/t?queueLimit=0", `parameter queueLimit: got "0", want a positive integer`},
		{"negative period", "kafka://b:1/t?period=-1s", `parameter period: got "-1s", want a positive duration`},
		{"bad period", "kafka://b:1/t?period=soon", `parameter period: got "soon", want a duration`},
		{"huge period", "kafka://b:1/t?period=1e300", `parameter period: got "1e300"`},
		{"bad bool", "kafka://b:1/t?eagerlyEmitFirstEvent=maybe", `got "maybe", want true or false`},
		{"bad shedLevel", "kafka://b:1/t?shedLevel=loud", `parameter shedLevel: unknown level "loud" (want trace, debug,`},
		{"bad shedThreshold", "kafka://b:1/t?shedThreshold=1.5", `parameter shedThreshold: got "1.5", want a fraction`},
		{"bad policy", "kafka://b:1/t?overflowPolicy=wait", `parameter overflowPolicy: unknown overflow policy "wait" (want drop_newest, drop_oldest or block)`},
		{"bad compression", "kafka://b:1/t?compression=brotli", `unknown compression "brotli"`},
		{"bad acks", "kafka://b:1/t?acks=2", `unknown acks "2"`},
		{"bad protocol", "kafka://b:1/t?securityProtocol=tls", `unknown security protocol "tls"`},
		{"bad mechanism", "kafka://b:1/t?saslMechanism=gssapi", `unknown SASL mechanism "gssapi"`},
		{"missing env", "kafka://u@b:1/t?saslPasswordEnv=ZAPSINK_TEST_UNSET", `environment variable "ZAPSINK_TEST_UNSET" is not set`},
		{"empty levelKey", "kafka://b:1/t?levelKey=", `parameter levelKey: got ""`},
		{"bad escape in value", "kafka://b:1/t?clientId=%zz", "parameter clientId: invalid percent-encoding"},
		{"bad escape in name", "kafka://b:1/t?%zz=1", "parameter name has invalid percent-encoding"},
		{"hosts and bootstrapServers", "kafka://b:1/t?bootstrapServers=c:2", "both as the URL's hosts and as bootstrapServers"},
		{"path and topic", "kafka://b:1/t?topic=u", `topic given both as the path ("t") and as the topic parameter ("u")`},
		{"user twice", "kafka://u:p@b:1/t?saslUsername=v", "SASL user given both"},
		{"password twice", "kafka://u:p@b:1/t?saslPassword=q", "SASL password given both"},
		{"user without password", "kafka://u@b:1/t", "SASLPassword: required with SASL_SSL (in the URL: the password, saslPassword or saslPasswordEnv)"},
		{"password without SASL", "kafka://b:1/t?saslPassword=x&securityProtocol=ssl", "invalid config: SecurityProtocol"},
		{"CA without TLS", "kafka://b:1/t?sslCaLocation=/nonexistent", "SSLCALocation: set, but SecurityProtocol (empty, so PLAINTEXT) does not use TLS: a contradiction (want SecurityProtocol SSL or SASL_SSL) (in the URL: sslCaLocation)"},
		{"CA with plaintext", "kafka://b:1/t?securityProtocol=plaintext&sslCaLocation=/nonexistent", "SSLCALocation: set, but SecurityProtocol PLAINTEXT does not use TLS"},
		{"missing CA file", "kafka://b:1/t?securityProtocol=SSL&sslCaLocation=/nonexistent/ca.pem", "SSLCALocation: cannot read CA file"},
		{"bad port", "kafka://b:x/t", `invalid port ":x" after host`},
		{"bad spoolSync", "kafka://b:1/t?spoolDir=d&spoolSync=never", `parameter spoolSync: got "never", want always (every write) or a duration`},
		{"bad spoolByteLimit", "kafka://b:1/t?spoolDir=d&spoolByteLimit=1GiB", `parameter spoolByteLimit: got "1GiB", want a positive integer`},
		{"spool setting without spoolDir", "kafka://b:1/t?spoolInterval=5ms", "SpoolInterval: set, but SpoolDir is empty: there is no spool (set SpoolDir for durable mode) (in the URL: spoolInterval)"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := zapsink.ParseURL(tt.url)
			if err == nil {
				t.Fatalf("ParseURL(%q): got nil error, want one containing %q", tt.url, tt.want)
			}
			if !strings.Contains(err.Error(), tt.want) || !strings.HasPrefix(err.Error(), "zapsink: kafka URL: ") {
				t.Errorf("ParseURL(%q):\ngot  %v\nwant zapsink: kafka URL: …%s…", tt.url, err, tt.want)
			}
		})
	}
}

func TestParseURLConfigError(t *testing.T) {
	_, err := zapsink.ParseURL("kafka://b:99999/t")
	var ce *core.ConfigError
	if !errors.As(err, &ce) || ce.Field != "Brokers[0]" {
		t.Errorf("got %v, want a *core.ConfigError for Brokers[0]", err)
	}
}

// secret is a password that must never show in an error.
const secret = "Hunter2-secret"

func TestParseURLHidesPassword(t *testing.T) {
	for _, tt := range []struct {
		name, url string
	}{
		{"bad parameter", "kafka://u:" + secret + "@b:1/t?batchSizeLimit=x"},
		{"unknown parameter", "kafka://u:" + secret + "@b:1/t?foo=" + secret},
		{"misspelt saslPassword", "kafka://b:1/t?saslPasword=" + secret},
		{"bad mechanism", "kafka://u:" + secret + "@b:1/t?saslMechanism=" + "x"},
		{"slash in password", "kafka://u:" + secret + "/x@b:1/t"},
		{"slash in password, digits", "kafka://u:1/" + secret + "@b:1/t"},
		{"question mark in password", "kafka://u:" + secret + "?x@b:1/t"},
		{"hash in password", "kafka://u:x#" + secret + "@b:1/t"},
		{"bad escape in password", "kafka://u:" + secret + "%zz@b:1/t"},
		{"bad escape in saslPassword", "kafka://b:1/t?saslPassword=" + secret + "%zz"},
		{"saslPassword without SASL", "kafka://b:1/t?securityProtocol=plaintext&saslPassword=" + secret},
		{"password with plaintext", "kafka://u:" + secret + "@b:1/t?securityProtocol=plaintext"},
		{"bad port", "kafka://u:" + secret + "@b:x/t"},
		{"bad topic", "kafka://u:" + secret + "@b:1/%20"},
		{"password twice", "kafka://u:" + secret + "@b:1/t?saslPassword=" + secret},
		{"escaped password", "kafka://u:" + url.PathEscape(secret+"/+") + "@b:1/t?period=0"},
		// A '&' not written %26 cuts the password short: the rest looks
		// like parameter names, which must not be quoted either.
		{"ampersand in saslPassword", "kafka://b:1/t?saslPassword=abc&" + secret},
		{"ampersand and equals in saslPassword", "kafka://b:1/t?saslPassword=abc&" + secret + "=x&period=1s"},
		{"ampersand in saslPassword, name in other case", "kafka://b:1/t?SASLPASSWORD=abc&" + secret},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := zapsink.ParseURL(tt.url)
			if err == nil {
				t.Fatalf("ParseURL(%q): got nil error, want one", tt.url)
			}
			if strings.Contains(err.Error(), secret) || strings.Contains(err.Error(), "secret") {
				t.Errorf("ParseURL(%q): got %q, want no password in it", tt.url, err)
			}
		})
	}
}

func FuzzParseURL(f *testing.F) {
	for _, s := range []string{
		"kafka://broker1:9092,broker2:9092/app-logs?batchSizeLimit=100&period=1s",
		"kafka://u:p@b:1/t?saslMechanism=ScramSha512&securityProtocol=SaslPlaintext",
		"kafka:///t?bootstrapServers=a,b&period=5",
		"kafka://[::1]/t?compression=zstd&acks=all",
		"kafka://b:1/t?foo=bar&&x",
		"kafka://b:x/%zz?%zz=%zz#f",
	} {
		f.Add(s, "p4ssw0rd")
	}
	f.Fuzz(func(t *testing.T, raw, password string) {
		_, _ = zapsink.ParseURL(raw) // must not panic

		// A password, in the user info or as a parameter, escaped or
		// not, never shows in the error.
		if len(password) < 6 || strings.Contains(raw, password) || strings.ContainsAny(password, "%&=") {
			return
		}
		u, err := url.Parse(raw)
		if err != nil || u.Scheme != "kafka" {
			return
		}
		sep := "?"
		if strings.Contains(raw, "?") {
			sep = "&"
		}
		for _, v := range []string{
			strings.Replace(raw, "kafka://", "kafka://user:"+password+"@", 1),
			strings.Replace(raw, "kafka://", "kafka://"+url.UserPassword("user", password).String()+"@", 1),
			raw + sep + "saslPassword=" + password,
			raw + sep + "saslPassword=" + url.QueryEscape(password),
		} {
			if _, err := zapsink.ParseURL(v); err != nil && strings.Contains(err.Error(), password) {
				t.Errorf("ParseURL(%q): got %q, want no password in it", v, err)
			}
		}
	})
}

func TestRegisterURLSink(t *testing.T) {
	for i := range 2 {
		if err := zapsink.RegisterURLSink(); err != nil {
			t.Fatalf("call %d: got %v, want nil", i+1, err)
		}
	}
	if err := zap.RegisterSink("kafka", nil); err == nil {
		t.Errorf(`zap.RegisterSink("kafka") after RegisterURLSink: got nil, want "already registered"`)
	}
}

func TestURLSinkOpenError(t *testing.T) {
	if err := zapsink.RegisterURLSink(); err != nil {
		t.Fatal(err)
	}
	_, _, err := zap.Open("kafka://b:1/t?nope=1")
	if err == nil || !strings.Contains(err.Error(), `unknown parameters "nope"`) {
		t.Errorf(`zap.Open: got %v, want an error naming "nope"`, err)
	}
}
