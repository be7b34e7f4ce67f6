package main

import (
	"bytes"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/kafkasink/kafkasink/integration/kafkatest"
)

// secretKey is the shared access key of the test connection strings: it
// must never be printed.
const secretKey = "c2VjcmV0LWtleS1kby1ub3QtcHJpbnQ="

// goodConn is a complete namespace-level connection string.
const goodConn = "Endpoint=sb://mynamespace.servicebus.windows.net/;SharedAccessKeyName=send;SharedAccessKey=" + secretKey

// env is a getenv over a map.
func env(m map[string]string) func(string) string {
	return func(k string) string { return m[k] }
}

// TestLoadSettings checks what the settings accept and that each problem
// is named precisely, without showing the key.
func TestLoadSettings(t *testing.T) {
	for _, tt := range []struct {
		name       string
		vars       map[string]string
		wantErrs   []string // each must appear in the error
		wantBroker string
		wantHub    string
	}{
		{
			name:     "nothing set",
			wantErrs: []string{"EVENTHUBS_CONNECTION_STRING is not set", "EVENTHUB_NAME is not set"},
		},
		{
			name:       "complete",
			vars:       map[string]string{envConnString: goodConn, envHub: "app-logs"},
			wantBroker: "mynamespace.servicebus.windows.net:9093",
			wantHub:    "app-logs",
		},
		{
			name:       "hub from EntityPath, namespace agrees",
			vars:       map[string]string{envConnString: goodConn + ";EntityPath=orders", envNamespace: "MyNamespace"},
			wantBroker: "mynamespace.servicebus.windows.net:9093",
			wantHub:    "orders",
		},
		{
			name:       "sovereign cloud endpoint",
			vars:       map[string]string{envConnString: "Endpoint=sb://ns.servicebus.chinacloudapi.cn/;SharedAccessKeyName=k;SharedAccessKey=" + secretKey, envHub: "h"},
			wantBroker: "ns.servicebus.chinacloudapi.cn:9093",
			wantHub:    "h",
		},
		{
			name:       "shared access signature",
			vars:       map[string]string{envConnString: "Endpoint=sb://ns.servicebus.windows.net/;SharedAccessSignature=SharedAccessSignature sr=x&sig=" + secretKey, envHub: "h"},
			wantBroker: "ns.servicebus.windows.net:9093",
			wantHub:    "h",
		},
		{
			name:       "broker override",
			vars:       map[string]string{envConnString: goodConn, envHub: "h", envBroker: "10.0.0.7:9093", envNamespace: "other"},
			wantBroker: "10.0.0.7:9093",
			wantHub:    "h",
		},
		{
			name:     "quoted",
			vars:     map[string]string{envConnString: `"` + goodConn + `"`, envHub: "h"},
			wantErrs: []string{"wrapped in quotes"},
		},
		{
			name:     "no endpoint",
			vars:     map[string]string{envConnString: "SharedAccessKeyName=send;SharedAccessKey=" + secretKey, envHub: "h"},
			wantErrs: []string{"has no Endpoint"},
		},
		{
			name:     "endpoint not sb",
			vars:     map[string]string{envConnString: "Endpoint=https://ns.servicebus.windows.net/;SharedAccessKeyName=send;SharedAccessKey=" + secretKey, envHub: "h"},
			wantErrs: []string{"Endpoint=https://ns.servicebus.windows.net/: want sb://"},
		},
		{
			name:     "no key name",
			vars:     map[string]string{envConnString: "Endpoint=sb://ns.servicebus.windows.net/;SharedAccessKey=" + secretKey, envHub: "h"},
			wantErrs: []string{"has no SharedAccessKeyName"},
		},
		{
			name:     "no key",
			vars:     map[string]string{envConnString: "Endpoint=sb://ns.servicebus.windows.net/;SharedAccessKeyName=send", envHub: "h"},
			wantErrs: []string{"has no SharedAccessKey "},
		},
		{
			name:     "empty key",
			vars:     map[string]string{envConnString: "Endpoint=sb://ns.servicebus.windows.net/;SharedAccessKeyName=send;SharedAccessKey=", envHub: "h"},
			wantErrs: []string{"has no SharedAccessKey "},
		},
		{
			name:     "key only, no hub",
			vars:     map[string]string{envConnString: "not a connection string"},
			wantErrs: []string{"part without '='", "has no Endpoint", "neither SharedAccessKeyName nor SharedAccessKey", "EVENTHUB_NAME is not set, and the connection string has no EntityPath"},
		},
		{
			name:     "hub disagrees with EntityPath",
			vars:     map[string]string{envConnString: goodConn + ";EntityPath=orders", envHub: "payments"},
			wantErrs: []string{`EVENTHUB_NAME is "payments" but the connection string is for event hub "orders"`},
		},
		{
			name:     "namespace disagrees",
			vars:     map[string]string{envConnString: goodConn, envHub: "h", envNamespace: "othernamespace"},
			wantErrs: []string{`EVENTHUBS_NAMESPACE is "othernamespace.servicebus.windows.net" but the connection string's Endpoint is for "mynamespace.servicebus.windows.net"`},
		},
		{
			name:     "bad broker",
			vars:     map[string]string{envConnString: goodConn, envHub: "h", envBroker: "ns.servicebus.windows.net"},
			wantErrs: []string{"EVENTHUBS_BROKER is \"ns.servicebus.windows.net\": want host:port"},
		},
		{
			name:     "bad hub name",
			vars:     map[string]string{envConnString: goodConn, envHub: "app logs"},
			wantErrs: []string{"EVENTHUB_NAME: topic name \"app logs\""},
		},
		{
			name:     "missing CA file",
			vars:     map[string]string{envConnString: goodConn, envHub: "h", envCA: filepath.Join(t.TempDir(), "nope.pem")},
			wantErrs: []string{"EVENTHUBS_SSL_CA_LOCATION: cannot read CA file"},
		},
	} {
		t.Run(tt.name, func(t *testing.T) {
			s, err := loadSettings(env(tt.vars))
			if len(tt.wantErrs) > 0 {
				if err == nil {
					t.Fatalf("no error, want %q", tt.wantErrs)
				}
				for _, w := range tt.wantErrs {
					if !strings.Contains(err.Error(), w) {
						t.Errorf("error %q does not contain %q", err, w)
					}
				}
				if strings.Contains(err.Error(), secretKey) {
					t.Errorf("error %q shows the key", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if s.broker != tt.wantBroker || s.hub != tt.wantHub {
				t.Errorf("got broker %q, hub %q; want %q, %q", s.broker, s.hub, tt.wantBroker, tt.wantHub)
			}
			if d := s.describe(); strings.Contains(d, secretKey) {
				t.Errorf("describe shows the key:\n%s", d)
			}
		})
	}
}

// TestRunBadConfigExits2 checks that an incomplete configuration lists
// every problem on stderr and exits 2 without connecting.
func TestRunBadConfigExits2(t *testing.T) {
	var out, errOut bytes.Buffer
	code := run(t.Context(), nil, &out, &errOut, env(map[string]string{envConnString: "Endpoint=sb://ns.servicebus.windows.net/;SharedAccessKey=" + secretKey}))
	if code != 2 {
		t.Errorf("exit code %d, want 2", code)
	}
	got := errOut.String()
	for _, w := range []string{"  - EVENTHUBS_CONNECTION_STRING has no SharedAccessKeyName", "  - EVENTHUB_NAME is not set"} {
		if !strings.Contains(got, w) {
			t.Errorf("stderr does not contain %q:\n%s", w, got)
		}
	}
	if strings.Contains(got+out.String(), secretKey) {
		t.Errorf("output shows the key:\n%s%s", got, out.String())
	}
}

// TestDryRun checks that -dry-run prints the configuration, redacted.
func TestDryRun(t *testing.T) {
	var out, errOut bytes.Buffer
	code := run(t.Context(), []string{"-dry-run"}, &out, &errOut, env(map[string]string{envConnString: goodConn, envHub: "app-logs"}))
	if code != 0 {
		t.Fatalf("exit code %d, want 0; stderr:\n%s", code, errOut.String())
	}
	got := out.String()
	for _, w := range []string{"mynamespace.servicebus.windows.net:9093", "event hub:  app-logs", "policy send, key [REDACTED]", "login:      $ConnectionString", "requests under 900000 bytes, compression none", "not connecting"} {
		if !strings.Contains(got, w) {
			t.Errorf("output does not contain %q:\n%s", w, got)
		}
	}
	if strings.Contains(got, secretKey) {
		t.Errorf("output shows the key:\n%s", got)
	}
}

// startEventHub starts a cluster that logs in as Event Hubs does: SASL
// PLAIN over TLS, user "$ConnectionString", the connection string as the
// password.
func startEventHub(t *testing.T) (*kafkatest.Cluster, *kafkatest.Certs) {
	t.Helper()
	certs := kafkatest.NewCerts(t)
	c := kafkatest.Start(t, kafkatest.TLS(certs), kafkatest.SASL(kafkatest.Plain, "$ConnectionString", goodConn))
	return c, certs
}

// TestRun sends to a kfake cluster standing in for Event Hubs, through
// EVENTHUBS_BROKER, and reads the event hub back.
func TestRun(t *testing.T) {
	c, certs := startEventHub(t)
	c.CreateTopic(t, "app-logs", 4)
	vars := map[string]string{
		envConnString: goodConn,
		envHub:        "app-logs",
		envBroker:     c.Addrs()[0],
		envCA:         certs.CAFile,
	}
	var out, errOut bytes.Buffer
	if code := run(t.Context(), []string{"-entries", "30"}, &out, &errOut, env(vars)); code != 0 {
		t.Fatalf("exit code %d, want 0; stdout:\n%s\nstderr:\n%s", code, out.String(), errOut.String())
	}
	if !strings.Contains(out.String(), `delivered 30 of 30 entries to event hub "app-logs"`) {
		t.Errorf("no delivery line in output:\n%s", out.String())
	}
	if strings.Contains(out.String(), secretKey) {
		t.Errorf("output shows the key:\n%s", out.String())
	}
	recs := c.ReadN(t, "app-logs", 30, 10*time.Second)
	if len(recs) != 30 {
		t.Errorf("event hub holds %d records, want 30", len(recs))
	}
	if recs[0].Compression != "none" {
		t.Errorf("records compressed with %s, want none", recs[0].Compression)
	}
}

// TestRunRefusedLogin sends with a key the cluster does not accept: the
// program reports the entries undelivered, and suggests checking the
// connection string.
func TestRunRefusedLogin(t *testing.T) {
	c, certs := startEventHub(t)
	vars := map[string]string{
		envConnString: strings.Replace(goodConn, secretKey, "d3Jvbmcta2V5", 1),
		envHub:        "app-logs",
		envBroker:     c.Addrs()[0],
		envCA:         certs.CAFile,
	}
	var out, errOut bytes.Buffer
	code := run(t.Context(), []string{"-entries", "3", "-timeout", "1s"}, &out, &errOut, env(vars))
	if code != 1 {
		t.Fatalf("exit code %d, want 1; stdout:\n%s", code, out.String())
	}
	for _, w := range []string{"delivered 0 of 3 entries", "refused login"} {
		if !strings.Contains(out.String(), w) {
			t.Errorf("output does not contain %q:\n%s", w, out.String())
		}
	}
}
