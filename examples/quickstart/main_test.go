package main

import (
	"bytes"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/twmb/franz-go/pkg/kfake"

	"github.com/kafkasink/kafkasink/integration/kafkatest"
)

// env is a getenv over a map.
func env(m map[string]string) func(string) string {
	return func(k string) string { return m[k] }
}

// row is one line of the results table.
type row struct{ expected, got, missing, misrouted, duplicates int }

// rowRE matches a row of the results table.
var rowRE = regexp.MustCompile(`(?m)^(\S+)\s+(\d+)\s+(\d+)\s+(\d+)\s+(\d+)\s+(\d+)$`)

// table parses the results table of out, by topic.
func table(t *testing.T, out string) map[string]row {
	t.Helper()
	rows := map[string]row{}
	for _, m := range rowRE.FindAllStringSubmatch(out, -1) {
		var n [5]int
		for i := range n {
			n[i], _ = strconv.Atoi(m[i+2])
		}
		rows[m[1]] = row{n[0], n[1], n[2], n[3], n[4]}
	}
	if len(rows) != 2 {
		t.Fatalf("got %d table rows, want 2; output:\n%s", len(rows), out)
	}
	return rows
}

// runQuickstart runs the program and returns its exit code and stdout.
func runQuickstart(t *testing.T, vars map[string]string, args ...string) (int, string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code := run(t.Context(), args, &out, &errOut, env(vars))
	if errOut.Len() > 0 {
		t.Logf("stderr:\n%s", errOut.String())
	}
	return code, out.String()
}

// checkComplete checks that the run succeeded and that each topic holds
// what was expected: about 5% of the requests' entries in the errors topic.
func checkComplete(t *testing.T, code int, out, topic string, requests int) {
	t.Helper()
	if code != 0 {
		t.Fatalf("exit code %d, want 0; output:\n%s", code, out)
	}
	rows := table(t, out)
	main, errs := rows[topic], rows[topic+"-errors"]
	for name, r := range map[string]row{topic: main, topic + "-errors": errs} {
		if r.got != r.expected || r.missing != 0 || r.misrouted != 0 {
			t.Errorf("%s: %+v, want got == expected and nothing missing or misrouted", name, r)
		}
	}
	// Each request of the three services logs one entry, plus a warning
	// if slow.
	if total := main.expected + errs.expected; total < 3*requests || total > 9*requests/2 {
		t.Errorf("%d entries expected in all, want between %d and %d", total, 3*requests, 9*requests/2)
	}
	if errs.expected == 0 || errs.expected > 3*requests/10 {
		t.Errorf("%d errors expected, want about 5%% of %d", errs.expected, 3*requests)
	}
	// The errors topic's sample: zap and zerolog write "error", slog "ERROR".
	if !regexp.MustCompile(`-errors\[\d+\]@\d+ .*"level":"(error|ERROR)"`).MatchString(out) {
		t.Errorf("no sample record of the errors topic at level error in output:\n%s", out)
	}
	if !strings.Contains(out, "OK: all ") {
		t.Errorf("no OK line in output:\n%s", out)
	}
	if n := strings.Count(out, `"run":`); n != 4 {
		t.Errorf("%d sample records, want 4; output:\n%s", n, out)
	}
	for _, w := range []string{"sink stats: received ", `"service":"checkout"`, `"service":"inventory"`, `"service":"payments"`} {
		if !strings.Contains(out, w) {
			t.Errorf("output does not contain %q:\n%s", w, out)
		}
	}
}

// TestRunEmbedded runs as on a fresh machine: no variables, so an embedded
// cluster.
func TestRunEmbedded(t *testing.T) {
	if testing.Short() {
		t.Skip("in-process Kafka cluster")
	}
	code, out := runQuickstart(t, nil, "-requests", "400")
	checkComplete(t, code, out, "quickstart-logs", 400)
	if !strings.Contains(out, "starting an embedded Kafka cluster") {
		t.Errorf("no embedded cluster in output:\n%s", out)
	}
}

// TestRunExternal runs against a cluster given by KAFKA_BROKERS that wants
// SCRAM over TLS: the topics are new ones named after the run.
func TestRunExternal(t *testing.T) {
	certs := kafkatest.NewCerts(t)
	c := kafkatest.Start(t, kafkatest.TLS(certs), kafkatest.SASL(kafkatest.ScramSHA256, "app", "app-secret"))
	vars := map[string]string{
		envBrokers:   strings.Join(c.Addrs(), ","),
		envProtocol:  "SASL_SSL",
		envMechanism: "SCRAM-SHA-256",
		envUsername:  "app",
		envPassword:  "app-secret",
		envCA:        certs.CAFile,
	}
	code, out := runQuickstart(t, vars, "-requests", "200")
	m := regexp.MustCompile(`run ([0-9a-f]{6})`).FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("no run id in output:\n%s", out)
	}
	checkComplete(t, code, out, "quickstart-logs-"+m[1], 200)
	if !strings.Contains(out, "(SASL_SSL, SCRAM-SHA-256 as app)") {
		t.Errorf("no security settings in output:\n%s", out)
	}
}

// TestRunSharedTopic runs twice on one topic: the second run ignores the
// first one's entries.
func TestRunSharedTopic(t *testing.T) {
	c := kafkatest.Start(t)
	vars := map[string]string{envBrokers: strings.Join(c.Addrs(), ","), envTopic: "shared"}
	code, out := runQuickstart(t, vars, "-requests", "100")
	checkComplete(t, code, out, "shared", 100)
	first := table(t, out)

	code, out = runQuickstart(t, vars, "-requests", "100", "-seed", "2")
	checkComplete(t, code, out, "shared", 100)
	want := "(" + strconv.Itoa(first["shared"].got) + " records of other runs in shared ignored)"
	if !strings.Contains(out, want) {
		t.Errorf("output does not contain %q:\n%s", want, out)
	}
}

// TestRunReportsMissing runs against brokers that refuse every record as
// too large: the program reports every entry missing and exits 1.
func TestRunReportsMissing(t *testing.T) {
	c := kafkatest.Start(t, kfake.BrokerConfigs(map[string]string{"message.max.bytes": "100"}))
	vars := map[string]string{envBrokers: strings.Join(c.Addrs(), ",")}
	code, out := runQuickstart(t, vars, "-requests", "20")
	if code != 1 {
		t.Fatalf("exit code %d, want 1; output:\n%s", code, out)
	}
	for topic, r := range table(t, out) {
		if r.expected == 0 || r.got != 0 || r.missing != r.expected {
			t.Errorf("%s: %+v, want every expected entry missing", topic, r)
		}
	}
	if !strings.Contains(out, "FAILED:") {
		t.Errorf("no FAILED line in output:\n%s", out)
	}
}

// TestExternalTargetErrors checks that each wrong setting is reported with
// the variable to fix.
func TestExternalTargetErrors(t *testing.T) {
	for _, tt := range []struct {
		name    string
		vars    map[string]string
		wantErr string
	}{
		{"security without brokers", map[string]string{envProtocol: "SSL"}, "KAFKA_SECURITY_PROTOCOL is set but KAFKA_BROKERS is not"},
		{"bad broker", map[string]string{envBrokers: "localhost"}, `KAFKA_BROKERS: "localhost" is not host:port`},
		{"bad protocol", map[string]string{envBrokers: "b:1", envProtocol: "TLS"}, `KAFKA_SECURITY_PROTOCOL: unknown security protocol "TLS"`},
		{"bad mechanism", map[string]string{envBrokers: "b:1", envMechanism: "OAUTHBEARER"}, `KAFKA_SASL_MECHANISM: unknown SASL mechanism "OAUTHBEARER"`},
		{"no user", map[string]string{envBrokers: "b:1", envProtocol: "SASL_SSL"}, "KAFKA_SASL_USERNAME: required with SASL_SSL"},
		{"no password", map[string]string{envBrokers: "b:1", envProtocol: "SASL_PLAINTEXT", envUsername: "u"}, "KAFKA_SASL_PASSWORD: required with SASL_PLAINTEXT"},
		{"CA without TLS", map[string]string{envBrokers: "b:1", envCA: "ca.pem"}, "KAFKA_SSL_CA_LOCATION: set, but SecurityProtocol (empty, so PLAINTEXT) does not use TLS"},
		{"missing CA", map[string]string{envBrokers: "b:1", envProtocol: "SSL", envCA: "/nonexistent/ca.pem"}, "KAFKA_SSL_CA_LOCATION: cannot read CA file"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, _, err := externalTarget(env(tt.vars))
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("got error %v, want one containing %q", err, tt.wantErr)
			}
		})
	}
}
