package core

import (
	"fmt"
	"strconv"

	"github.com/segmentio/kafka-go/sasl"
)

// checkSASL reports a [*ConfigError] for a Config.SASL that cannot work or
// that contradicts other fields, naming both. It reads c as given, before
// defaults, since a defaulted SASLMechanism or SecurityProtocol cannot be
// told from a set one. Without SASL it only steers the mechanisms that
// need more than a user and a password towards it.
func checkSASL(c Config) error {
	bad := func(field, format string, args ...any) error {
		return &ConfigError{Field: field, Reason: fmt.Sprintf(format, args...)}
	}
	if c.SASL == nil {
		switch normalize(string(c.SASLMechanism)) {
		case "OAUTHBEARER":
			return bad("SASLMechanism", "%q needs a token, not a user and password: set SASL to a core.OAuthBearer instead", string(c.SASLMechanism))
		case "AWSMSKIAM":
			return bad("SASLMechanism", "%q needs AWS credentials: set SASL to kafka-go's aws_msk_iam_v2.Mechanism instead", string(c.SASLMechanism))
		}
		return nil
	}
	name, ok := mechanismName(c.SASL)
	if !ok {
		return bad("SASL", "its Name method panicked (a nil %T?)", c.SASL)
	}
	if name == "" {
		return bad("SASL", "%T has an empty Name", c.SASL)
	}
	if c.SASLMechanism != "" {
		return bad("SASL", "set (%s) together with SASLMechanism %q: SASL replaces SASLMechanism, SASLUsername and SASLPassword; leave them empty", name, string(c.SASLMechanism))
	}
	if c.SASLUsername != "" || c.SASLPassword != "" {
		set := "SASLUsername"
		switch {
		case c.SASLUsername == "":
			set = "SASLPassword"
		case c.SASLPassword != "":
			set = "SASLUsername and SASLPassword"
		}
		return bad("SASL", "set (%s) together with %s: the mechanism carries its own credentials; leave SASLUsername and SASLPassword empty", name, set)
	}
	switch c.SecurityProtocol {
	case SASLPlaintext, SASLSSL:
	case "":
		return bad("SecurityProtocol", "empty (PLAINTEXT, or SSL with TLS), which does not use SASL, but SASL is set (%s): set SecurityProtocol to SASL_SSL or SASL_PLAINTEXT", name)
	case Plaintext, SSL:
		return bad("SecurityProtocol", "%s does not use SASL, but SASL is set (%s) (want SASL_SSL or SASL_PLAINTEXT)", c.SecurityProtocol, name)
	default:
		// An unknown protocol: resolve names it.
	}
	if o, ok := asOAuthBearer(c.SASL); ok {
		if o.Token == nil {
			return bad("SASL", "OAUTHBEARER without a Token function")
		}
		if err := checkExtensions(o.Extensions); err != nil {
			return bad("SASL", "OAUTHBEARER: %v", err)
		}
	}
	return nil
}

// mechanismName returns m.Name(), or false if it panics, as a nil pointer
// to a mechanism with value methods does.
func mechanismName(m sasl.Mechanism) (name string, ok bool) {
	defer func() {
		if recover() != nil {
			name, ok = "", false
		}
	}()
	return m.Name(), true
}

// saslName describes Config.SASL by name only, for String: "" if nil.
func saslName(m sasl.Mechanism) string {
	if m == nil {
		return ""
	}
	if name, ok := mechanismName(m); ok {
		return name
	}
	return "invalid"
}

// asOAuthBearer returns m as an OAuthBearer, if it is one.
func asOAuthBearer(m sasl.Mechanism) (OAuthBearer, bool) {
	switch o := m.(type) {
	case OAuthBearer:
		return o, true
	case *OAuthBearer:
		if o != nil {
			return *o, true
		}
	}
	return OAuthBearer{}, false
}

// saslHint says what to check of the SASL login when the brokers closed
// the connection before any request succeeded. It names the user of the
// built-in mechanisms, never a credential.
func saslHint(c Config) string {
	if c.SASL != nil {
		return ", and the SASL mechanism " + saslName(c.SASL) + " and its credentials"
	}
	return ", and the SASL mechanism " + string(c.SASLMechanism) + " and the credentials of user " + strconv.Quote(c.SASLUsername)
}
