package core

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"
)

// staticToken returns a Token function that always returns tok.
func staticToken(tok string) func(context.Context) (string, error) {
	return func(context.Context) (string, error) { return tok, nil }
}

func TestOAuthBearerMessage(t *testing.T) {
	for _, tt := range []struct {
		name string
		tok  string
		ext  map[string]string
		want string
	}{
		{"token only", "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJzdmMifQ.c2ln", nil,
			"n,,\x01auth=Bearer eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJzdmMifQ.c2ln\x01\x01"},
		{"empty extensions", "tok", map[string]string{},
			"n,,\x01auth=Bearer tok\x01\x01"},
		{"extensions sorted by key", "tok", map[string]string{"logicalCluster": "lkc-abc123", "identityPoolId": "pool-Xy12"},
			"n,,\x01auth=Bearer tok\x01identityPoolId=pool-Xy12\x01logicalCluster=lkc-abc123\x01\x01"},
		{"every character a value may hold", "tok", map[string]string{"x": "a b\tc\r\nd=e,f~!"},
			"n,,\x01auth=Bearer tok\x01x=a b\tc\r\nd=e,f~!\x01\x01"},
		{"every character a token may hold", "AZaz09-._~+/==", nil,
			"n,,\x01auth=Bearer AZaz09-._~+/==\x01\x01"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, ir, err := OAuthBearer{Token: staticToken(tt.tok), Extensions: tt.ext}.Start(context.Background())
			if err != nil {
				t.Fatalf("Start = %v", err)
			}
			if string(ir) != tt.want {
				t.Errorf("first message = %q, want %q", ir, tt.want)
			}
		})
	}
}

func TestOAuthBearerExtensionRules(t *testing.T) {
	const secret = "s3cret-value"
	for _, tt := range []struct {
		name    string
		ext     map[string]string
		wantErr string // "" for valid
	}{
		{"letters only key", map[string]string{"logicalCluster": "lkc-1"}, ""},
		{"one letter key", map[string]string{"a": "1"}, ""},
		{"empty key", map[string]string{"": "x"}, "empty key"},
		{"key with digit", map[string]string{"pool1": "x"}, `extension key "pool1": byte 4 is not an ASCII letter`},
		{"key with underscore", map[string]string{"pool_id": "x"}, `extension key "pool_id": byte 4`},
		{"key with dash", map[string]string{"pool-id": "x"}, `extension key "pool-id": byte 4`},
		{"key with equals", map[string]string{"a=b": "x"}, `extension key "a=b": byte 1`},
		{"key not ASCII", map[string]string{"clé": "x"}, `extension key "cl\u00e9": byte 2`},
		{"reserved key", map[string]string{"auth": "x"}, `"auth" is reserved`},
		{"empty value", map[string]string{"a": ""}, `extension "a" has an empty value`},
		{"value with 0x01", map[string]string{"a": secret + "\x01"}, `extension "a": value byte 12 is not printable ASCII`},
		{"value with NUL", map[string]string{"a": "\x00" + secret}, `extension "a": value byte 0`},
		{"value with DEL", map[string]string{"a": secret + "\x7f"}, `extension "a": value byte 12`},
		{"value not ASCII", map[string]string{"a": secret + "é"}, `extension "a": value byte 12`},
		{"first bad key in key order", map[string]string{"b_": "x", "a_": "y"}, `extension key "a_"`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			o := OAuthBearer{Token: staticToken("tok"), Extensions: tt.ext}
			_, _, startErr := o.Start(context.Background())
			cfgErr := Config{SecurityProtocol: SASLSSL, SASL: o}.Validate()
			if tt.wantErr == "" {
				if startErr != nil || cfgErr != nil {
					t.Fatalf("Start = %v, Validate = %v; want nil, nil", startErr, cfgErr)
				}
				return
			}
			if startErr == nil || !strings.Contains(startErr.Error(), tt.wantErr) {
				t.Errorf("Start = %v, want an error with %q", startErr, tt.wantErr)
			}
			var ce *ConfigError
			if !errors.As(cfgErr, &ce) || ce.Field != "SASL" || !strings.Contains(ce.Reason, tt.wantErr) {
				t.Errorf("Validate = %v, want a *ConfigError for SASL with %q", cfgErr, tt.wantErr)
			}
			for _, err := range []error{startErr, cfgErr} {
				if err != nil && strings.Contains(err.Error(), "s3cret") {
					t.Errorf("error quotes the extension value: %v", err)
				}
			}
		})
	}
}

func TestOAuthBearerTokenRules(t *testing.T) {
	for _, tt := range []struct {
		name    string
		tok     string
		wantErr string // "" for valid
	}{
		{"JWT", "eyJhbGciOiJSUzI1NiJ9.eyJTRUNSRVQiOjF9.c2ln", ""},
		{"padding", "SECRETtoken==", ""},
		{"empty", "", "empty token"},
		{"padding only", "==", "'=' only"},
		{"space", "SECRET token", "(12 bytes) with a character at byte 6"},
		{"0x01 would end the field", "SECRET\x01x=y", "at byte 6"},
		{"comma", "SECRET,", "at byte 6"},
		{"equals inside", "SECRET=x", "at byte 6"},
		{"not ASCII", "SECRETé", "at byte 6"},
		{"newline", "SECRET\n", "at byte 6"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, ir, err := OAuthBearer{Token: staticToken(tt.tok)}.Start(context.Background())
			if tt.wantErr == "" {
				if err != nil {
					t.Fatalf("Start = %v, want nil", err)
				}
				if !strings.Contains(string(ir), "auth=Bearer "+tt.tok+"\x01") {
					t.Errorf("first message %q does not carry the token", ir)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("Start = %v, want an error with %q", err, tt.wantErr)
			}
			if strings.Contains(err.Error(), "SECRET") {
				t.Errorf("error reveals the token: %v", err)
			}
		})
	}
}

func TestOAuthBearerSession(t *testing.T) {
	const tok = "SECRET.token"
	o := OAuthBearer{Token: staticToken(tok)}

	t.Run("accepted", func(t *testing.T) {
		sess, _, err := o.Start(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		done, resp, err := sess.Next(context.Background(), nil)
		if !done || resp != nil || err != nil {
			t.Errorf("Next(empty) = %v, %q, %v; want true, nil, nil", done, resp, err)
		}
	})

	t.Run("error challenge answered with 0x01", func(t *testing.T) {
		sess, _, err := o.Start(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		challenge := []byte(`{"status":"invalid_token","scope":"kafka"}`)
		done, resp, err := sess.Next(context.Background(), challenge)
		if done || string(resp) != "\x01" || err != nil {
			t.Fatalf("Next(error challenge) = %v, %q, %v; want false, \"\\x01\", nil", done, resp, err)
		}
		// A broker that goes on rather than failing the login.
		done, resp, err = sess.Next(context.Background(), nil)
		if done || resp != nil || err == nil {
			t.Fatalf("Next after the 0x01 = %v, %q, %v; want false, nil, an error", done, resp, err)
		}
		if !strings.Contains(err.Error(), `invalid_token`) {
			t.Errorf("error %q does not give the broker's status", err)
		}
		if strings.Contains(err.Error(), "SECRET") {
			t.Errorf("error reveals the token: %v", err)
		}
	})

	t.Run("long or binary challenge quoted and bounded", func(t *testing.T) {
		sess, _, _ := o.Start(context.Background())
		sess.Next(context.Background(), append([]byte("\x00\xff"), strings.Repeat("x", 5000)...))
		_, _, err := sess.Next(context.Background(), nil)
		if err == nil || len(err.Error()) > 700 || !strings.Contains(err.Error(), `\x00\xff`) {
			t.Errorf("error = %q (%d bytes), want the challenge quoted, at most 700 bytes", err, len(err.Error()))
		}
	})
}

type ctxKey struct{}

func TestOAuthBearerFetchesTokenEveryStart(t *testing.T) {
	var fetches atomic.Int32
	var sawCtx atomic.Bool
	o := OAuthBearer{Token: func(ctx context.Context) (string, error) {
		if ctx.Value(ctxKey{}) == "dial" {
			sawCtx.Store(true)
		}
		return fmt.Sprintf("tok-%d", fetches.Add(1)), nil
	}}
	ctx := context.WithValue(context.Background(), ctxKey{}, "dial")
	for i := 1; i <= 3; i++ {
		_, ir, err := o.Start(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if want := fmt.Sprintf("n,,\x01auth=Bearer tok-%d\x01\x01", i); string(ir) != want {
			t.Errorf("Start #%d = %q, want %q", i, ir, want)
		}
	}
	if got := fetches.Load(); got != 3 {
		t.Errorf("Token called %d times for 3 Starts, want 3", got)
	}
	if !sawCtx.Load() {
		t.Error("Token did not get Start's context")
	}
}

func TestOAuthBearerTokenFailures(t *testing.T) {
	errIdP := errors.New("identity provider unavailable")
	for _, tt := range []struct {
		name    string
		o       OAuthBearer
		wantErr string
		wantIs  error
	}{
		{"nil Token", OAuthBearer{}, "Token is nil", nil},
		{"Token error", OAuthBearer{Token: func(context.Context) (string, error) { return "", errIdP }},
			"kafkasink: OAUTHBEARER: Token: identity provider unavailable", errIdP},
		{"Token error with a token too", OAuthBearer{Token: func(context.Context) (string, error) { return "SECRET", errIdP }},
			"identity provider unavailable", errIdP},
		{"Token panics", OAuthBearer{Token: func(context.Context) (string, error) { panic("boom") }},
			"Token panicked: boom", nil},
	} {
		t.Run(tt.name, func(t *testing.T) {
			sess, ir, err := tt.o.Start(context.Background())
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("Start = %v, want an error with %q", err, tt.wantErr)
			}
			if sess != nil || ir != nil {
				t.Errorf("Start returned a session or a message with its error")
			}
			if tt.wantIs != nil {
				var te *TokenError
				if !errors.Is(err, tt.wantIs) || !errors.As(err, &te) {
					t.Errorf("Start = %v, want a *TokenError wrapping %v", err, tt.wantIs)
				}
			}
			if strings.Contains(err.Error(), "SECRET") {
				t.Errorf("error reveals the token: %v", err)
			}
		})
	}
}

func TestOAuthBearerPrinting(t *testing.T) {
	o := OAuthBearer{Token: staticToken("SECRET"), Extensions: map[string]string{"logicalCluster": "lkc-VALUE", "identityPoolId": "pool-VALUE"}}
	cfg := Config{SecurityProtocol: SASLSSL, SASL: &o}
	for _, s := range []string{
		o.String(), o.GoString(), fmt.Sprint(o), fmt.Sprintf("%v|%+v|%#v|%s", o, o, o, o),
		fmt.Sprintf("%v|%+v|%#v|%s", &o, &o, &o, &o),
		cfg.String(), fmt.Sprintf("%v|%+v|%#v", cfg, cfg, cfg),
	} {
		if strings.Contains(s, "VALUE") || strings.Contains(s, "SECRET") {
			t.Errorf("printed %q reveals an extension value or the token", s)
		}
		if !strings.Contains(s, "OAUTHBEARER") {
			t.Errorf("printed %q does not name the mechanism", s)
		}
	}
	if got, want := o.String(), "OAUTHBEARER (extensions identityPoolId, logicalCluster)"; got != want {
		t.Errorf("String = %q, want %q", got, want)
	}
	if got, want := (OAuthBearer{}).String(), "OAUTHBEARER"; got != want {
		t.Errorf("String = %q, want %q", got, want)
	}
	if got := cfg.String(); !strings.Contains(got, ` SASLMechanism:"" `) || !strings.Contains(got, ` SASL:"OAUTHBEARER" `) {
		t.Errorf("Config.String = %s, want SASLMechanism:\"\" and SASL:\"OAUTHBEARER\"", got)
	}
}
