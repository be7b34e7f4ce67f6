package core_test

// Config.SASL against kfake: kafka-go's own mechanisms passed in, and
// OAUTHBEARER, which kfake lacks, taught to kfake through its control hooks.

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/segmentio/kafka-go/sasl"
	"github.com/segmentio/kafka-go/sasl/plain"
	"github.com/segmentio/kafka-go/sasl/scram"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/kafkasink/kafkasink/core"
	"github.com/kafkasink/kafkasink/integration/internal/testutil"
	"github.com/kafkasink/kafkasink/integration/kafkatest"
)

// oauthErrorChallenge is the JSON error a broker sends when it refuses a
// token (RFC 7628 section 3.2.2), as Kafka's OAuthBearerSaslServer words it.
const oauthErrorChallenge = `{"status":"invalid_token","scope":"kafka-cluster"}`

// oauthBroker makes a kfake cluster take OAUTHBEARER logins as a Kafka
// broker does, through kfake's control hooks, while kfake's own SASL stays
// on (so a connection that skips the login, or fails it, gets nothing).
//
// A handshake for OAUTHBEARER goes on as one for PLAIN. The client's first
// message is parsed and checked here: a malformed one, or one with other
// extensions than ext, fails the login; a token that refuse says is expired
// gets the JSON error challenge, then, on the client's 0x01, the failure
// with that JSON as its error message, as Kafka sends. A good one is
// rewritten into the PLAIN login of principal, so that kfake marks the
// connection logged in. The cluster's own clients log in with PLAIN, whose
// messages hold no 0x01, and pass untouched.
type oauthBroker struct {
	principal, pass string
	ext             map[string]string
	refuse          func(token string) bool

	mu         sync.Mutex
	handshakes int
	accepted   []string // tokens logged in with, in order
	refused    []string // tokens refused as expired, in order
	dummies    int      // lone 0x01 answers to the error challenge
	bad        []string // what was wrong with malformed logins
}

func (o *oauthBroker) install(k *kfake.Cluster) {
	k.ControlKey(int16(kmsg.SASLHandshake), func(kr kmsg.Request) (kmsg.Response, error, bool) {
		req := kr.(*kmsg.SASLHandshakeRequest)
		if req.Mechanism != "OAUTHBEARER" {
			return nil, nil, false
		}
		o.mu.Lock()
		o.handshakes++
		o.mu.Unlock()
		req.Mechanism = kafkatest.Plain
		return nil, nil, false
	})
	k.ControlKey(int16(kmsg.SASLAuthenticate), func(kr kmsg.Request) (kmsg.Response, error, bool) {
		req := kr.(*kmsg.SASLAuthenticateRequest)
		auth := req.SASLAuthBytes
		if !bytes.Equal(auth, []byte{1}) && !(bytes.HasPrefix(auth, []byte("n,")) && bytes.IndexByte(auth, 1) >= 0) {
			return nil, nil, false // PLAIN
		}
		k.KeepControl()
		resp := req.ResponseKind().(*kmsg.SASLAuthenticateResponse)
		fail := func(msg string) (kmsg.Response, error, bool) {
			resp.ErrorCode = kerr.SaslAuthenticationFailed.Code
			resp.ErrorMessage = &msg
			return resp, nil, true
		}
		o.mu.Lock()
		defer o.mu.Unlock()
		if len(auth) == 1 {
			o.dummies++
			return fail(oauthErrorChallenge)
		}
		tok, ext, err := parseOAuthBearer(auth)
		if err != nil {
			o.bad = append(o.bad, err.Error())
			return fail("malformed OAUTHBEARER message")
		}
		if !maps.Equal(ext, o.ext) {
			o.bad = append(o.bad, fmt.Sprintf("extensions %v, want %v", ext, o.ext))
			return fail("wrong extensions")
		}
		if o.refuse(tok) {
			o.refused = append(o.refused, tok)
			resp.SASLAuthBytes = []byte(oauthErrorChallenge)
			return resp, nil, true
		}
		o.accepted = append(o.accepted, tok)
		req.SASLAuthBytes = []byte("\x00" + o.principal + "\x00" + o.pass)
		return nil, nil, false
	})
}

func (o *oauthBroker) String() string {
	o.mu.Lock()
	defer o.mu.Unlock()
	return fmt.Sprintf("handshakes %d, accepted %q, refused %q, 0x01 answers %d, malformed %q",
		o.handshakes, o.accepted, o.refused, o.dummies, o.bad)
}

// parseOAuthBearer parses a client's first OAUTHBEARER message as a broker
// does (RFC 7628 section 3.1): the GS2 header "n,,", 0x01, key=value pairs
// each ended by 0x01, one of them auth=Bearer <token>, and a final 0x01.
func parseOAuthBearer(b []byte) (token string, ext map[string]string, err error) {
	rest, ok := strings.CutPrefix(string(b), "n,,\x01")
	if !ok {
		return "", nil, fmt.Errorf("%q: no GS2 header n,,", b)
	}
	body, ok := strings.CutSuffix(rest, "\x01\x01")
	if !ok {
		return "", nil, fmt.Errorf("%q: not ended by 0x01 0x01", b)
	}
	ext = map[string]string{}
	for _, kv := range strings.Split(body, "\x01") {
		k, v, ok := strings.Cut(kv, "=")
		if !ok {
			return "", nil, fmt.Errorf("%q: pair %q without '='", b, kv)
		}
		if k == "auth" {
			tok, ok := strings.CutPrefix(v, "Bearer ")
			if !ok || tok == "" || token != "" {
				return "", nil, fmt.Errorf("%q: bad auth pair", b)
			}
			token = tok
			continue
		}
		if _, dup := ext[k]; dup {
			return "", nil, fmt.Errorf("%q: extension %q twice", b, k)
		}
		ext[k] = v
	}
	if token == "" {
		return "", nil, fmt.Errorf("%q: no auth pair", b)
	}
	return token, ext, nil
}

// tokenSource hands out a new token on every call: "expired.<n>.sig" for
// the calls listed in expired, "valid.<n>.sig" otherwise.
type tokenSource struct {
	expired map[int64]bool

	calls  atomic.Int64
	mu     sync.Mutex
	issued []string
}

func (s *tokenSource) token(ctx context.Context) (string, error) {
	if ctx.Err() != nil {
		return "", ctx.Err()
	}
	n := s.calls.Add(1)
	tok := fmt.Sprintf("valid.%d.c2ln", n)
	if s.expired[n] {
		tok = fmt.Sprintf("expired.%d.c2ln", n)
	}
	s.mu.Lock()
	s.issued = append(s.issued, tok)
	s.mu.Unlock()
	return tok, nil
}

func (s *tokenSource) tokens() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.issued...)
}

// errLog is an ErrorHandler that keeps every message.
type errLog struct {
	mu   sync.Mutex
	msgs []string
}

func (l *errLog) handle(err error) { l.mu.Lock(); l.msgs = append(l.msgs, err.Error()); l.mu.Unlock() }

func (l *errLog) all() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]string(nil), l.msgs...)
}

// checkIDs checks that recs are exactly the entries logLine(0 … n-1).
func checkIDs(t *testing.T, recs []kafkatest.Record, n int) {
	t.Helper()
	seen := make(map[int]int)
	for _, r := range recs {
		var v struct{ ID int }
		if err := json.Unmarshal(r.Value, &v); err != nil {
			t.Fatalf("record %v is not JSON: %v", r, err)
		}
		if want := strings.TrimSuffix(string(logLine(v.ID).JSON), "\n"); string(r.Value) != want {
			t.Errorf("record %s, want %s", r.Value, want)
		}
		seen[v.ID]++
	}
	for i := 0; i < n; i++ {
		if seen[i] != 1 {
			t.Errorf("entry %d arrived %d times, want once", i, seen[i])
		}
	}
	if len(recs) != n {
		t.Errorf("read %d records, want %d", len(recs), n)
	}
}

func TestOAuthBearer(t *testing.T) {
	certs := kafkatest.NewCerts(t)
	for _, tt := range []struct {
		name  string
		proto core.SecurityProtocol
		opts  []kfake.Opt
		caf   string
	}{
		{"SASL_PLAINTEXT", core.SASLPlaintext, nil, ""},
		{"SASL_SSL", core.SASLSSL, []kfake.Opt{kafkatest.TLS(certs)}, certs.CAFile},
	} {
		t.Run(tt.name, func(t *testing.T) {
			opts := append([]kfake.Opt{kfake.NumBrokers(1),
				kafkatest.SASL(kafkatest.Plain, "reader", "reader-pw"),
				kfake.Superuser(kafkatest.Plain, "oauth-client", "bridge-pw")}, tt.opts...)
			c := kafkatest.Start(t, opts...)
			ext := map[string]string{"logicalCluster": "lkc-test1", "identityPoolId": "pool-Ab12"}
			broker := &oauthBroker{principal: "oauth-client", pass: "bridge-pw", ext: ext,
				refuse: func(tok string) bool { return strings.HasPrefix(tok, "expired.") }}
			broker.install(c.Kfake())
			src := &tokenSource{expired: map[int64]bool{1: true}} // the first token is refused
			var errs errLog
			s := mustNew(t, core.Config{
				Brokers:          c.Addrs(),
				SecurityProtocol: tt.proto,
				SSLCALocation:    tt.caf,
				SASL:             core.OAuthBearer{Token: src.token, Extensions: ext},
				Period:           20 * time.Millisecond,
				MinBackoff:       10 * time.Millisecond,
				MaxBackoff:       100 * time.Millisecond,
				ErrorHandler:     errs.handle,
			})

			const n = 50
			for i := 0; i < n; i++ {
				if err := s.Write(logLine(i)); err != nil {
					t.Fatalf("Write = %v", err)
				}
			}
			// kafka-go answers from its failed bootstrap until its next
			// metadata refresh, up to its MetadataTTL (6s) later.
			flush(t, s, 30*time.Second)
			checkIDs(t, c.ReadN(t, "logs", n, 10*time.Second), n)

			broker.mu.Lock()
			if len(broker.bad) != 0 {
				t.Errorf("malformed logins: %q", broker.bad)
			}
			if want := []string{"expired.1.c2ln"}; !slices.Equal(broker.refused, want) {
				t.Errorf("tokens refused = %q, want %q", broker.refused, want)
			}
			if broker.dummies != len(broker.refused) {
				t.Errorf("%d error challenges answered with 0x01, want %d", broker.dummies, len(broker.refused))
			}
			if len(broker.accepted) == 0 {
				t.Error("no token accepted")
			}
			before := len(broker.accepted)
			acceptedBefore := append([]string(nil), broker.accepted...)
			broker.mu.Unlock()

			// The refused token reached the ErrorHandler as the broker's
			// JSON error, retried with a new token.
			sawRefusal := false
			for _, m := range errs.all() {
				if strings.Contains(m, "SASL") && strings.Contains(m, `"status":"invalid_token"`) {
					sawRefusal = true
				}
			}
			if !sawRefusal {
				t.Errorf("no error with the broker's invalid_token challenge reached the ErrorHandler; got %q", errs.all())
			}

			// A reconnect fetches a new token: stop the brokers (every
			// connection drops), start them again, log again.
			fetched := src.calls.Load()
			c.Stop()
			if err := c.Restart(); err != nil {
				t.Fatal(err)
			}
			broker.install(c.Kfake()) // controls do not survive a restart
			for i := n; i < 2*n; i++ {
				if err := s.Write(logLine(i)); err != nil {
					t.Fatalf("Write = %v", err)
				}
			}
			flush(t, s, 30*time.Second)
			checkIDs(t, c.ReadN(t, "logs", 2*n, 10*time.Second), 2*n)

			if got := src.calls.Load(); got <= fetched {
				t.Errorf("Token called %d times in all, %d before the restart: want more after it", got, fetched)
			}
			broker.mu.Lock()
			after := append([]string(nil), broker.accepted[before:]...)
			broker.mu.Unlock()
			if len(after) == 0 {
				t.Errorf("no login after the restart: %v", broker)
			}
			for _, tok := range after {
				if slices.Contains(acceptedBefore, tok) {
					t.Errorf("token %s, accepted before the restart, was sent again after it: want a fresh one per connection", tok)
				}
			}

			for _, m := range errs.all() {
				for _, tok := range src.tokens() {
					if strings.Contains(m, tok) {
						t.Errorf("error reveals token %s: %s", tok, m)
					}
				}
			}
			t.Logf("broker: %v; Token calls: %d", broker, src.calls.Load())
		})
	}
}

func TestOAuthBearerTokenSourceFails(t *testing.T) {
	c := kafkatest.Start(t, kfake.NumBrokers(1), kafkatest.SASL(kafkatest.Plain, "reader", "reader-pw"),
		kfake.Superuser(kafkatest.Plain, "oauth-client", "bridge-pw"))
	ext := map[string]string{"logicalCluster": "lkc-1"}
	broker := &oauthBroker{principal: "oauth-client", pass: "bridge-pw", ext: ext, refuse: func(string) bool { return false }}
	broker.install(c.Kfake())

	errIdP := errors.New("identity provider unavailable")
	var calls atomic.Int64
	var errs errLog
	var sawTokenErr atomic.Bool
	s := mustNew(t, core.Config{
		Brokers:          c.Addrs(),
		SecurityProtocol: core.SASLPlaintext,
		SASL: &core.OAuthBearer{Extensions: ext, Token: func(ctx context.Context) (string, error) {
			if calls.Add(1) == 1 {
				return "", errIdP // the first connection: the identity provider is down
			}
			return "valid.token", nil
		}},
		MinBackoff: 10 * time.Millisecond,
		MaxBackoff: 100 * time.Millisecond,
		ErrorHandler: func(err error) {
			var te *core.TokenError
			if errors.Is(err, errIdP) && errors.As(err, &te) {
				sawTokenErr.Store(true)
			}
			errs.handle(err)
		},
	})
	for i := 0; i < 10; i++ {
		s.Write(logLine(i))
	}
	// kafka-go answers from its failed bootstrap until its next metadata
	// refresh, up to its MetadataTTL (6s) later.
	flush(t, s, 30*time.Second)
	checkIDs(t, c.ReadN(t, "logs", 10, 10*time.Second), 10)
	if !sawTokenErr.Load() {
		t.Errorf("no error wrapping the token source's (as a *core.TokenError) reached the ErrorHandler; got %q", errs.all())
	}
	if calls.Load() < 2 {
		t.Errorf("Token called %d times, want at least 2 (a failure, then a login)", calls.Load())
	}
}

// countingMech counts the logins of the mechanism it wraps.
type countingMech struct {
	sasl.Mechanism
	starts atomic.Int64
}

func (m *countingMech) Start(ctx context.Context) (sasl.StateMachine, []byte, error) {
	m.starts.Add(1)
	return m.Mechanism.Start(ctx)
}

func TestConfigSASLMechanism(t *testing.T) {
	scram512, err := scram.Mechanism(scram.SHA512, "svc", "s3cret-512")
	if err != nil {
		t.Fatal(err)
	}
	certs := kafkatest.NewCerts(t)
	for _, tt := range []struct {
		name  string
		opts  []kfake.Opt
		proto core.SecurityProtocol
		caf   string
		mech  sasl.Mechanism
	}{
		{"kafka-go plain.Mechanism", []kfake.Opt{kafkatest.SASL(kafkatest.Plain, "svc", "s3cret")},
			core.SASLPlaintext, "", plain.Mechanism{Username: "svc", Password: "s3cret"}},
		{"kafka-go plain.Mechanism over TLS", []kfake.Opt{kafkatest.TLS(certs), kafkatest.SASL(kafkatest.Plain, "svc", "s3cret")},
			core.SASLSSL, certs.CAFile, plain.Mechanism{Username: "svc", Password: "s3cret"}},
		{"kafka-go scram SHA-512", []kfake.Opt{kafkatest.SASL(kafkatest.ScramSHA512, "svc", "s3cret-512")},
			core.SASLPlaintext, "", scram512},
	} {
		t.Run(tt.name, func(t *testing.T) {
			c := kafkatest.Start(t, tt.opts...)
			mech := &countingMech{Mechanism: tt.mech}
			s := mustNew(t, core.Config{Brokers: c.Addrs(), SecurityProtocol: tt.proto, SSLCALocation: tt.caf, SASL: mech})
			for i := 0; i < 20; i++ {
				s.Write(logLine(i))
			}
			flush(t, s, 10*time.Second)
			checkIDs(t, c.ReadN(t, "logs", 20, 10*time.Second), 20)
			if mech.starts.Load() == 0 {
				t.Error("the mechanism of Config.SASL never logged in")
			}
		})
	}

	t.Run("wrong password reported without it", func(t *testing.T) {
		c := kafkatest.Start(t, kfake.NumBrokers(1), kafkatest.SASL(kafkatest.Plain, "svc", "right"))
		mech := &countingMech{Mechanism: plain.Mechanism{Username: "svc", Password: "wrong-pa55word"}}
		var errs errLog
		s := mustNew(t, core.Config{Brokers: c.Addrs(), SecurityProtocol: core.SASLPlaintext, SASL: mech,
			MinBackoff: 10 * time.Millisecond, MaxBackoff: 50 * time.Millisecond, ErrorHandler: errs.handle})
		s.Write(logLine(1))
		testutil.WaitFor(t, 10*time.Second, func() bool { return len(errs.all()) > 0 && mech.starts.Load() >= 1 },
			func() string { return fmt.Sprintf("errors %q, logins %d", errs.all(), mech.starts.Load()) })
		ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
		defer cancel()
		if err := s.Close(ctx); err == nil {
			t.Error("Close with a wrong password = nil, want the entry undelivered")
		}
		for _, m := range errs.all() {
			if strings.Contains(m, "wrong-pa55word") {
				t.Errorf("error reveals the password: %s", m)
			}
		}
		if st := s.Stats(); st.Delivered != 0 || st.Dropped.Closed != 1 {
			t.Errorf("stats = %+v, want nothing delivered, 1 dropped at Close", st)
		}
	})
}
