package core

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/segmentio/kafka-go/sasl"
	"github.com/segmentio/kafka-go/sasl/plain"
	"github.com/segmentio/kafka-go/sasl/scram"
)

// namedMech is a sasl.Mechanism with a chosen name that never logs in.
type namedMech string

func (m namedMech) Name() string { return string(m) }
func (m namedMech) Start(context.Context) (sasl.StateMachine, []byte, error) {
	return nil, nil, errors.New("namedMech does not log in")
}

func TestConfigSASL(t *testing.T) {
	oauth := OAuthBearer{Token: staticToken("tok")}
	scramMech, err := scram.Mechanism(scram.SHA512, "u", "p")
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		name      string
		cfg       Config
		wantField string   // "" for a valid config
		wantWords []string // in the error, besides the field
	}{
		{"kafka-go PLAIN over SASL_SSL", Config{SecurityProtocol: SASLSSL, SASL: plain.Mechanism{Username: "u", Password: "p"}}, "", nil},
		{"kafka-go SCRAM over SASL_PLAINTEXT", Config{SecurityProtocol: SASLPlaintext, SASL: scramMech}, "", nil},
		{"OAuthBearer value", Config{SecurityProtocol: SASLSSL, SASL: oauth}, "", nil},
		{"OAuthBearer pointer", Config{SecurityProtocol: SASLSSL, SASL: &oauth}, "", nil},
		{"OAuthBearer with extensions", Config{SecurityProtocol: SASLSSL, SASL: OAuthBearer{Token: oauth.Token, Extensions: map[string]string{"logicalCluster": "lkc-1"}}}, "", nil},
		{"any mechanism", Config{SecurityProtocol: SASLSSL, SASL: namedMech("AWS_MSK_IAM")}, "", nil},

		{"SASL with SASLUsername", Config{SecurityProtocol: SASLSSL, SASL: oauth, SASLUsername: "u"},
			"SASL", []string{"SASLUsername", "OAUTHBEARER"}},
		{"SASL with SASLPassword", Config{SecurityProtocol: SASLSSL, SASL: oauth, SASLPassword: "hunter2-secret"},
			"SASL", []string{"SASLPassword"}},
		{"SASL with both", Config{SecurityProtocol: SASLSSL, SASL: oauth, SASLUsername: "u", SASLPassword: "hunter2-secret"},
			"SASL", []string{"SASLUsername and SASLPassword"}},
		{"SASL with SASLMechanism", Config{SecurityProtocol: SASLSSL, SASL: plain.Mechanism{}, SASLMechanism: Plain},
			"SASL", []string{"SASLMechanism", `"PLAIN"`}},
		{"SASL with the default protocol", Config{SASL: oauth},
			"SecurityProtocol", []string{"SASL is set (OAUTHBEARER)", "SASL_SSL"}},
		{"SASL with TLS and the default protocol", Config{SASL: oauth, TLS: &tls.Config{}},
			"SecurityProtocol", []string{"SSL with TLS", "SASL_SSL"}},
		{"SASL with PLAINTEXT", Config{SecurityProtocol: Plaintext, SASL: oauth},
			"SecurityProtocol", []string{"PLAINTEXT does not use SASL", "SASL is set"}},
		{"SASL with SSL", Config{SecurityProtocol: SSL, SASL: oauth},
			"SecurityProtocol", []string{"SSL does not use SASL", "SASL is set"}},
		{"SASL with an unknown protocol", Config{SecurityProtocol: "QUIC", SASL: oauth},
			"SecurityProtocol", []string{"unknown protocol"}},
		{"nil OAuthBearer pointer", Config{SecurityProtocol: SASLSSL, SASL: (*OAuthBearer)(nil)},
			"SASL", []string{"*core.OAuthBearer"}},
		{"empty name", Config{SecurityProtocol: SASLSSL, SASL: namedMech("")},
			"SASL", []string{"empty Name"}},
		{"OAuthBearer without Token", Config{SecurityProtocol: SASLSSL, SASL: OAuthBearer{}},
			"SASL", []string{"OAUTHBEARER without a Token"}},
		{"OAuthBearer bad extension", Config{SecurityProtocol: SASLSSL, SASL: &OAuthBearer{Token: oauth.Token, Extensions: map[string]string{"auth": "x"}}},
			"SASL", []string{`"auth" is reserved`}},
		{"SASLMechanism OAUTHBEARER", Config{SecurityProtocol: SASLSSL, SASLMechanism: "oauthbearer", SASLUsername: "u", SASLPassword: "p"},
			"SASLMechanism", []string{"core.OAuthBearer"}},
		{"SASLMechanism AWS_MSK_IAM", Config{SecurityProtocol: SASLSSL, SASLMechanism: "AWS_MSK_IAM"},
			"SASLMechanism", []string{"aws_msk_iam_v2"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.cfg.Validate()
			if tt.wantField == "" {
				if err != nil {
					t.Fatalf("Validate = %v, want nil", err)
				}
				return
			}
			var ce *ConfigError
			if !errors.As(err, &ce) {
				t.Fatalf("Validate = %v, want a *ConfigError", err)
			}
			if ce.Field != tt.wantField {
				t.Errorf("Field = %q, want %q (error %v)", ce.Field, tt.wantField, err)
			}
			for _, w := range tt.wantWords {
				if !strings.Contains(ce.Reason, w) {
					t.Errorf("Reason %q does not mention %q", ce.Reason, w)
				}
			}
			if strings.Contains(err.Error(), "hunter2") {
				t.Errorf("error reveals the password: %v", err)
			}
			if _, err := New(tt.cfg); err == nil {
				t.Error("New accepted the config Validate refused")
			}
		})
	}
}

func TestTransportUsesConfigSASL(t *testing.T) {
	mech := plain.Mechanism{Username: "svc", Password: "p"}
	for _, tt := range []struct {
		name string
		cfg  Config
		want sasl.Mechanism
	}{
		{"Config.SASL", Config{SecurityProtocol: SASLPlaintext, SASL: mech}, mech},
		{"built-in PLAIN", Config{SecurityProtocol: SASLPlaintext, SASLUsername: "a", SASLPassword: "b"}, plain.Mechanism{Username: "a", Password: "b"}},
		{"no SASL", Config{}, nil},
	} {
		t.Run(tt.name, func(t *testing.T) {
			r, err := tt.cfg.resolve()
			if err != nil {
				t.Fatal(err)
			}
			tr, err := newKafkaTransport(r)
			if err != nil {
				t.Fatal(err)
			}
			defer tr.close()
			if tr.tr.SASL != tt.want {
				t.Errorf("transport SASL = %#v, want %#v", tr.tr.SASL, tt.want)
			}
		})
	}
}

func TestConfigStringNamesSASLOnly(t *testing.T) {
	for _, tt := range []struct {
		name string
		mech sasl.Mechanism
		want string
	}{
		{"kafka-go PLAIN", plain.Mechanism{Username: "svc-user", Password: "hunter2-secret"}, `SASL:"PLAIN"`},
		{"OAuthBearer", OAuthBearer{Token: staticToken("hunter2-secret")}, `SASL:"OAUTHBEARER"`},
		{"nil pointer", (*OAuthBearer)(nil), `SASL:"invalid"`},
		{"none", nil, `SASL:""`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			c := Config{SecurityProtocol: SASLSSL, SASL: tt.mech}
			for _, s := range []string{c.String(), fmt.Sprintf("%v|%+v|%#v|%s", c, c, c, c), fmt.Sprint(&c)} {
				if strings.Contains(s, "hunter2") || strings.Contains(s, "svc-user") {
					t.Errorf("printed config reveals the mechanism's credentials: %s", s)
				}
				if !strings.Contains(s, tt.want) {
					t.Errorf("printed config %s lacks %s", s, tt.want)
				}
			}
		})
	}
}

func TestSASLHint(t *testing.T) {
	for _, tt := range []struct {
		name string
		cfg  Config
		want string
	}{
		{"Config.SASL", Config{SecurityProtocol: SASLSSL, SASL: OAuthBearer{Token: staticToken("t")}},
			", and the SASL mechanism OAUTHBEARER and its credentials"},
		{"built-in", Config{SecurityProtocol: SASLSSL, SASLMechanism: ScramSHA256, SASLUsername: "svc", SASLPassword: "hunter2"},
			`, and the SASL mechanism SCRAM-SHA-256 and the credentials of user "svc"`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			r, err := tt.cfg.resolve()
			if err != nil {
				t.Fatal(err)
			}
			if got := saslHint(r.Config); got != tt.want {
				t.Errorf("saslHint = %q, want %q", got, tt.want)
			}
		})
	}
}
