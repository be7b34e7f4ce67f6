package core

import (
	"fmt"
	"strings"
	"testing"

	"github.com/segmentio/kafka-go/sasl/plain"
)

// TestConfigNoVerbPrintsCredentials: Config's String and GoString redact
// the password, but fmt uses them only for %v, %s, %q, %x and %X; under any
// other verb (%d, %t, %o, %b, …, as a log line's format may put it) fmt
// prints the struct field by field, the password and a kafka-go SASL
// mechanism's fields included. "The password never appears in errors, logs
// or String output" has to hold whatever the verb.
func TestConfigNoVerbPrintsCredentials(t *testing.T) {
	for _, c := range []struct {
		name string
		cfg  Config
	}{
		{"SASLPassword", Config{SecurityProtocol: SASLSSL, SASLUsername: "user", SASLPassword: "hunter2-secret"}},
		{"SASL plain.Mechanism", Config{SecurityProtocol: SASLSSL, SASL: plain.Mechanism{Username: "user", Password: "hunter2-secret"}}},
	} {
		for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%q", "%x", "%X", "%d", "%t", "%o", "%b", "%e", "%g", "%c", "%U", "%10.3d"} {
			for _, arg := range []any{c.cfg, &c.cfg, []Config{c.cfg}, struct{ C Config }{c.cfg}} {
				s := fmt.Sprintf(verb, arg)
				if strings.Contains(s, "hunter2") || strings.Contains(strings.ToLower(s), fmt.Sprintf("%x", "hunter2")) {
					t.Errorf("%s: fmt.Sprintf(%q, %T) reveals the password: %s", c.name, verb, arg, s)
				}
			}
		}
	}
	o := OAuthBearer{Token: staticToken("SECRET"), Extensions: map[string]string{"logicalCluster": "lkc-VALUE"}}
	for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%d", "%t", "%o"} {
		for _, arg := range []any{o, &o, Config{SecurityProtocol: SASLSSL, SASL: o}} {
			if s := fmt.Sprintf(verb, arg); strings.Contains(s, "VALUE") {
				t.Errorf("fmt.Sprintf(%q, %T) reveals an OAuthBearer extension value: %s", verb, arg, s)
			}
		}
	}
}
