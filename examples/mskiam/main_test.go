package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/kafkasink/kafkasink/integration/kafkatest"
)

// The test's AWS credentials: the secret and the session token must never
// be printed.
const (
	accessKey    = "AKIAKAFKASINKTEST"
	secretKey    = "c2VjcmV0LWFjY2Vzcy1rZXktZG8tbm90LXByaW50"
	sessionToken = "c2Vzc2lvbi10b2tlbi1kby1ub3QtcHJpbnQ"
	region       = "eu-west-1"
)

// awsEnv points the AWS SDK at the test's credentials only: no shared
// files, no instance metadata.
func awsEnv(t *testing.T, withCredentials bool) {
	none := filepath.Join(t.TempDir(), "none")
	t.Setenv("AWS_CONFIG_FILE", none)
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", none)
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")
	t.Setenv("AWS_REGION", region)
	if withCredentials {
		t.Setenv("AWS_ACCESS_KEY_ID", accessKey)
		t.Setenv("AWS_SECRET_ACCESS_KEY", secretKey)
		t.Setenv("AWS_SESSION_TOKEN", sessionToken)
	} else {
		t.Setenv("AWS_ACCESS_KEY_ID", "")
		t.Setenv("AWS_SECRET_ACCESS_KEY", "")
		t.Setenv("AWS_SESSION_TOKEN", "")
	}
}

func env(m map[string]string) func(string) string {
	return func(k string) string { return m[k] }
}

func TestDryRun(t *testing.T) {
	for _, tt := range []struct {
		name  string
		creds bool
	}{
		{"with credentials", true},
		{"without any credentials: none are fetched", false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			awsEnv(t, tt.creds)
			var out, errOut bytes.Buffer
			code := run(t.Context(), []string{"-dry-run"}, &out, &errOut,
				env(map[string]string{envBrokers: "b-1.logs.abc123.c2.kafka.eu-west-1.amazonaws.com:9098, b-2.logs.abc123.c2.kafka.eu-west-1.amazonaws.com:9098", envTopic: "app-logs"}))
			if code != 0 {
				t.Fatalf("exit code %d, want 0; stderr:\n%s", code, errOut.String())
			}
			got := out.String()
			for _, w := range []string{`SecurityProtocol:"SASL_SSL"`, `SASL:"AWS_MSK_IAM"`, `Topic:"app-logs"`,
				`"b-1.logs.abc123.c2.kafka.eu-west-1.amazonaws.com:9098" "b-2.logs.abc123.c2.kafka.eu-west-1.amazonaws.com:9098"`, "not connecting"} {
				if !strings.Contains(got, w) {
					t.Errorf("output does not contain %q:\n%s", w, got)
				}
			}
			if strings.Contains(got, secretKey) || strings.Contains(got, sessionToken) {
				t.Errorf("output shows a credential:\n%s", got)
			}
		})
	}
}

func TestConfigErrors(t *testing.T) {
	for _, tt := range []struct {
		name    string
		vars    map[string]string
		region  string
		wantErr string
	}{
		{"no brokers", nil, region, "MSK_BROKERS is not set"},
		{"no region", map[string]string{envBrokers: "b:9098"}, "", "no AWS region: set AWS_REGION"},
		{"bad broker", map[string]string{envBrokers: "b:9098,nohost"}, region, "invalid config: Brokers[1]"},
		{"bad topic", map[string]string{envBrokers: "b:9098", envTopic: "a topic"}, region, "invalid config: Topic"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			awsEnv(t, true)
			t.Setenv("AWS_REGION", tt.region)
			t.Setenv("AWS_DEFAULT_REGION", "")
			var out, errOut bytes.Buffer
			if code := run(t.Context(), []string{"-dry-run"}, &out, &errOut, env(tt.vars)); code != 2 {
				t.Errorf("exit code %d, want 2", code)
			}
			if !strings.Contains(errOut.String(), tt.wantErr) {
				t.Errorf("stderr %q does not contain %q", errOut.String(), tt.wantErr)
			}
		})
	}
}

// mskBroker makes a kfake cluster take AWS_MSK_IAM logins, through kfake's
// control hooks, checking each one as MSK does: the signed payload must be
// for kafka-cluster:Connect on the broker's host, and its SigV4 signature
// must be the one the broker computes with the secret it knows for the
// access key. A good login becomes the PLAIN login of principal, so that
// kfake's own SASL gate lets the connection through; a bad one fails.
type mskBroker struct {
	principal, pass string
	secret          string // the broker's idea of accessKey's secret

	mu       sync.Mutex
	accepted int
	refused  []string
}

func (b *mskBroker) install(k *kfake.Cluster) {
	k.ControlKey(int16(kmsg.SASLHandshake), func(kr kmsg.Request) (kmsg.Response, error, bool) {
		if req := kr.(*kmsg.SASLHandshakeRequest); req.Mechanism == "AWS_MSK_IAM" {
			req.Mechanism = kafkatest.Plain
		}
		return nil, nil, false
	})
	k.ControlKey(int16(kmsg.SASLAuthenticate), func(kr kmsg.Request) (kmsg.Response, error, bool) {
		req := kr.(*kmsg.SASLAuthenticateRequest)
		if !bytes.HasPrefix(req.SASLAuthBytes, []byte("{")) {
			return nil, nil, false // a PLAIN login
		}
		b.mu.Lock()
		defer b.mu.Unlock()
		if err := b.verify(req.SASLAuthBytes); err != nil {
			k.KeepControl()
			b.refused = append(b.refused, err.Error())
			resp := req.ResponseKind().(*kmsg.SASLAuthenticateResponse)
			resp.ErrorCode = kerr.SaslAuthenticationFailed.Code
			msg := "[" + err.Error() + "] Access denied"
			resp.ErrorMessage = &msg
			return resp, nil, true
		}
		b.accepted++
		req.SASLAuthBytes = []byte("\x00" + b.principal + "\x00" + b.pass)
		return nil, nil, false
	})
}

// verify checks an AWS_MSK_IAM payload, as the MSK broker does.
func (b *mskBroker) verify(payload []byte) error {
	var p map[string]string
	if err := json.Unmarshal(payload, &p); err != nil {
		return fmt.Errorf("payload not JSON: %v", err)
	}
	for k, want := range map[string]string{"version": "2020_10_22", "action": "kafka-cluster:Connect", "host": "127.0.0.1",
		"x-amz-algorithm": "AWS4-HMAC-SHA256", "x-amz-signedheaders": "host", "x-amz-security-token": sessionToken} {
		if p[k] != want {
			return fmt.Errorf("%s is %q, want %q", k, p[k], want)
		}
	}
	if cred := p["x-amz-credential"]; !strings.HasPrefix(cred, accessKey+"/") || !strings.HasSuffix(cred, "/"+region+"/kafka-cluster/aws4_request") {
		return fmt.Errorf("x-amz-credential %q is not for %s in %s", cred, accessKey, region)
	}
	at, err := time.Parse("20060102T150405Z", p["x-amz-date"])
	if err != nil {
		return fmt.Errorf("x-amz-date: %v", err)
	}
	u := url.URL{Scheme: "kafka", Host: p["host"], Path: "/",
		RawQuery: url.Values{"Action": {p["action"]}, "X-Amz-Expires": {p["x-amz-expires"]}}.Encode()}
	r, err := http.NewRequest(http.MethodGet, u.String(), nil)
	if err != nil {
		return err
	}
	const emptySHA256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
	signed, _, err := v4.NewSigner().PresignHTTP(context.Background(), aws.Credentials{AccessKeyID: accessKey, SecretAccessKey: b.secret, SessionToken: sessionToken},
		r, emptySHA256, "kafka-cluster", region, at)
	if err != nil {
		return err
	}
	su, err := url.Parse(signed)
	if err != nil {
		return err
	}
	if want := su.Query().Get("X-Amz-Signature"); p["x-amz-signature"] != want || want == "" {
		return fmt.Errorf("signature does not match")
	}
	return nil
}

func startMSK(t *testing.T, secret string) (*kafkatest.Cluster, *kafkatest.Certs, *mskBroker) {
	t.Helper()
	certs := kafkatest.NewCerts(t)
	c := kafkatest.Start(t, kfake.NumBrokers(1), kafkatest.TLS(certs),
		kafkatest.SASL(kafkatest.Plain, "reader", "reader-pw"), kfake.Superuser(kafkatest.Plain, "msk-client", "bridge-pw"))
	b := &mskBroker{principal: "msk-client", pass: "bridge-pw", secret: secret}
	b.install(c.Kfake())
	return c, certs, b
}

// TestRun logs through kafka-go's AWS_MSK_IAM mechanism to a kfake cluster
// that checks the SigV4-signed login, and reads the topic back.
func TestRun(t *testing.T) {
	awsEnv(t, true)
	c, certs, b := startMSK(t, secretKey)
	vars := map[string]string{envBrokers: strings.Join(c.Addrs(), ","), envTopic: "app-logs", envCA: certs.CAFile}
	var out, errOut bytes.Buffer
	if code := run(t.Context(), []string{"-entries", "20"}, &out, &errOut, env(vars)); code != 0 {
		t.Fatalf("exit code %d, want 0; stdout:\n%s\nstderr:\n%s\nbroker refused: %q", code, out.String(), errOut.String(), b.refused)
	}
	if !strings.Contains(out.String(), "delivered 20 of 20 entries") {
		t.Errorf("no delivery line in output:\n%s", out.String())
	}
	if recs := c.ReadN(t, "app-logs", 20, 10*time.Second); len(recs) != 20 {
		t.Errorf("topic holds %d records, want 20", len(recs))
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.accepted == 0 || len(b.refused) != 0 {
		t.Errorf("broker accepted %d signed logins and refused %q; want some, and none refused", b.accepted, b.refused)
	}
	for _, s := range []string{out.String(), errOut.String()} {
		if strings.Contains(s, secretKey) || strings.Contains(s, sessionToken) {
			t.Errorf("output shows a credential:\n%s", s)
		}
	}
}

// TestRunWrongSecret: a broker that knows another secret for the access
// key refuses every login, and the program says the entries are undelivered.
func TestRunWrongSecret(t *testing.T) {
	awsEnv(t, true)
	c, certs, b := startMSK(t, "another-secret")
	vars := map[string]string{envBrokers: strings.Join(c.Addrs(), ","), envCA: certs.CAFile}
	var out, errOut bytes.Buffer
	if code := run(t.Context(), []string{"-entries", "3", "-timeout", "1s"}, &out, &errOut, env(vars)); code != 1 {
		t.Fatalf("exit code %d, want 1; stdout:\n%s", code, out.String())
	}
	for _, w := range []string{"delivered 0 of 3 entries", "signature does not match", "hint:"} {
		if !strings.Contains(out.String(), w) {
			t.Errorf("output does not contain %q:\n%s", w, out.String())
		}
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.accepted != 0 || len(b.refused) == 0 {
		t.Errorf("broker accepted %d and refused %d logins; want 0 and some", b.accepted, len(b.refused))
	}
}
