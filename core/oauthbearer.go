package core

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"

	"github.com/segmentio/kafka-go/sasl"
)

// OAuthBearer is the SASL OAUTHBEARER mechanism (Kafka's KIP-255, RFC 7628),
// which kafka-go lacks: the sink logs in with a bearer token, such as an
// OAuth 2 access token (a JWT) issued by the cloud's identity provider. Set
// it as Config.SASL, with SecurityProtocol SASLSSL (or SASLPlaintext):
//
//	core.Config{SecurityProtocol: core.SASLSSL, SASL: core.OAuthBearer{
//		Token:      func(ctx context.Context) (string, error) { return idp.AccessToken(ctx) },
//		Extensions: map[string]string{"logicalCluster": "lkc-abc123"}}}
//
// Token is called for every new connection to a broker, so a connection made
// after a broker restart, a network cut or the broker closing a connection
// whose token expired (connections.max.reauth.ms) logs in with whatever token
// Token returns then. The sink does not re-authenticate open connections
// (KIP-368); brokers that require it close them, and the sink reconnects.
//
// The token is never kept, and never appears in errors or String output.
// OAuthBearer is safe for concurrent use; its methods have value receivers,
// so both OAuthBearer and *OAuthBearer are a [sasl.Mechanism], usable with
// kafka-go's own Transport or Dialer too.
type OAuthBearer struct {
	// Token returns the bearer token to log in with. Required.
	//
	// It is called on kafka-go's connecting goroutine (never on a logging
	// call, and under none of the sink's locks), possibly concurrently, for
	// every new connection; ctx ends when Config.DialTimeout has passed (and
	// carries the broker's address: [sasl.MetadataFromContext]). It must
	// return when ctx ends, and should cache the token until shortly before
	// it expires (golang.org/x/oauth2's ReuseTokenSource does) rather than
	// ask the identity provider every time. An error fails that connection
	// attempt, which the sink retries with backoff like any other; the
	// error is passed on wrapped, so it must not contain secrets.
	Token func(ctx context.Context) (string, error)

	// Extensions are SASL extensions sent with every token (RFC 7628
	// section 3.1, Kafka's KIP-342), such as Confluent Cloud's
	// logicalCluster and identityPoolId. Keys are ASCII letters only, and
	// "auth" is reserved; values are printable ASCII, space, tab, CR and LF,
	// at least one character. They are sent sorted by key. If nil, none.
	Extensions map[string]string
}

var (
	_ sasl.Mechanism = OAuthBearer{}
	_ sasl.Mechanism = (*OAuthBearer)(nil)
)

// oauthBearerName is the mechanism's name in the SASL handshake.
const oauthBearerName = "OAUTHBEARER"

// Name returns "OAUTHBEARER".
func (o OAuthBearer) Name() string { return oauthBearerName }

// String describes the mechanism by its name and its extensions' keys: the
// values are left out, like the token, which OAuthBearer never holds.
func (o OAuthBearer) String() string {
	if len(o.Extensions) == 0 {
		return oauthBearerName
	}
	return oauthBearerName + " (extensions " + strings.Join(sortedKeys(o.Extensions), ", ") + ")"
}

// GoString is String, so that %#v shows no extension values either.
func (o OAuthBearer) GoString() string { return "core.OAuthBearer{" + o.String() + "}" }

// Format prints String (GoString for %#v) under every verb, so that none
// prints an extension value (see [Config.Format]).
func (o OAuthBearer) Format(f fmt.State, verb rune) {
	if verb == 'v' && f.Flag('#') {
		io.WriteString(f, o.GoString())
		return
	}
	formatString(f, verb, o.String())
}

// Start calls Token and returns the client's first message (RFC 7628
// section 3.1): the GS2 header "n,," (no channel binding, no authorization
// identity), then "auth=Bearer <token>", the extensions as key=value, each
// ended by 0x01, and a final 0x01.
func (o OAuthBearer) Start(ctx context.Context) (sasl.StateMachine, []byte, error) {
	if o.Token == nil {
		return nil, nil, errors.New("kafkasink: OAUTHBEARER: Token is nil")
	}
	if err := checkExtensions(o.Extensions); err != nil {
		return nil, nil, fmt.Errorf("kafkasink: OAUTHBEARER: %w", err)
	}
	tok, err := o.fetch(ctx)
	if err != nil {
		return nil, nil, err
	}
	if err := checkToken(tok); err != nil {
		return nil, nil, fmt.Errorf("kafkasink: OAUTHBEARER: %w", err)
	}
	return &oauthBearerSession{}, oauthBearerMessage(tok, o.Extensions), nil
}

// fetch calls Token, turning a panic into an error: Token runs on a
// goroutine of kafka-go's, where a panic would end the program.
func (o OAuthBearer) fetch(ctx context.Context) (tok string, err error) {
	defer func() {
		if p := recover(); p != nil {
			tok, err = "", fmt.Errorf("kafkasink: OAUTHBEARER: Token panicked: %v", p)
		}
	}()
	tok, err = o.Token(ctx)
	if err != nil {
		return "", &TokenError{Err: err}
	}
	return tok, nil
}

// TokenError reports that [OAuthBearer.Token] failed; the connection attempt
// failed with it, and the sink retries. Err is Token's error.
type TokenError struct{ Err error }

// Error says that Token failed, and why.
func (e *TokenError) Error() string { return "kafkasink: OAUTHBEARER: Token: " + e.Err.Error() }

// Unwrap returns Err.
func (e *TokenError) Unwrap() error { return e.Err }

// oauthBearerMessage returns the client's first message for tok and ext.
func oauthBearerMessage(tok string, ext map[string]string) []byte {
	n := len("n,,\x01auth=Bearer \x01\x01") + len(tok)
	for k, v := range ext {
		n += len(k) + len(v) + 2
	}
	b := make([]byte, 0, n)
	b = append(b, "n,,\x01auth=Bearer "...)
	b = append(b, tok...)
	b = append(b, 1)
	for _, k := range sortedKeys(ext) {
		b = append(b, k...)
		b = append(b, '=')
		b = append(b, ext[k]...)
		b = append(b, 1)
	}
	return append(b, 1)
}

// oauthBearerSession is the state of one login. After the first message the
// broker answers either with nothing (logged in) or, when it refuses the
// token, with a JSON error ({"status":"invalid_token",…}, RFC 7628 section
// 3.2.2), which the client must answer with a lone 0x01 before the broker
// fails the login (RFC 7628 section 3.2.3); Kafka then puts the JSON in its
// SaslAuthenticate error, which kafka-go returns.
type oauthBearerSession struct {
	status string // the broker's error challenge, once received
}

func (s *oauthBearerSession) Next(_ context.Context, challenge []byte) (bool, []byte, error) {
	if s.status != "" {
		// The broker went on after the 0x01 instead of failing.
		return false, nil, fmt.Errorf("kafkasink: OAUTHBEARER: the broker refused the token: %s", s.status)
	}
	if len(challenge) == 0 {
		return true, nil, nil
	}
	s.status = quoteChallenge(challenge)
	return false, []byte{1}, nil
}

// quoteChallenge returns the broker's error challenge for an error message:
// printable, and bounded.
func quoteChallenge(c []byte) string {
	const limit = 512
	if len(c) > limit {
		return strconv.QuoteToASCII(string(c[:limit])) + "…"
	}
	return strconv.QuoteToASCII(string(c))
}

// checkToken applies RFC 6750's b64token syntax, which RFC 7628 requires of
// the bearer token: 1*( ALPHA / DIGIT / "-" / "." / "_" / "~" / "+" / "/" )
// *"=". The token is never quoted, only the position of what is wrong.
func checkToken(tok string) error {
	if tok == "" {
		return errors.New("Token returned an empty token")
	}
	end := len(tok)
	for end > 0 && tok[end-1] == '=' {
		end--
	}
	if end == 0 {
		return errors.New("Token returned a token of '=' only, which RFC 6750 does not allow")
	}
	for i := 0; i < end; i++ {
		c := tok[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' ||
			c == '-' || c == '.' || c == '_' || c == '~' || c == '+' || c == '/') {
			return fmt.Errorf("Token returned a token (%d bytes) with a character at byte %d that RFC 6750 does not allow (want letters, digits, -._~+/ and trailing '=')", len(tok), i)
		}
	}
	return nil
}

// checkExtensions applies RFC 7628's rules for SASL extensions, as Kafka's
// client and broker do: a key is one or more ASCII letters and not "auth",
// a value one or more of VCHAR, space, tab, CR and LF. Values are not
// quoted in the error, only the key and the position.
func checkExtensions(ext map[string]string) error {
	for _, k := range sortedKeys(ext) {
		if k == "" {
			return errors.New("extension with an empty key")
		}
		for i := 0; i < len(k); i++ {
			if c := k[i]; !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z') {
				return fmt.Errorf("extension key %s: byte %d is not an ASCII letter (RFC 7628 keys are letters only)", strconv.QuoteToASCII(k), i)
			}
		}
		if k == "auth" {
			return errors.New(`extension key "auth" is reserved for the token`)
		}
		v := ext[k]
		if v == "" {
			return fmt.Errorf("extension %q has an empty value (Kafka requires at least one character)", k)
		}
		for i := 0; i < len(v); i++ {
			if c := v[i]; !(0x21 <= c && c <= 0x7e || c == ' ' || c == '\t' || c == '\r' || c == '\n') {
				return fmt.Errorf("extension %q: value byte %d is not printable ASCII, space, tab, CR or LF (RFC 7628)", k, i)
			}
		}
	}
	return nil
}

func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
