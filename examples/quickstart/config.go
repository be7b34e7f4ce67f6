package main

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/sasl/plain"
	"github.com/twmb/franz-go/pkg/sasl/scram"

	"github.com/kafkasink/kafkasink/core"
)

// The environment variables for an external cluster, as the consumer
// example reads them.
const (
	envBrokers   = "KAFKA_BROKERS"
	envProtocol  = "KAFKA_SECURITY_PROTOCOL"
	envMechanism = "KAFKA_SASL_MECHANISM"
	envUsername  = "KAFKA_SASL_USERNAME"
	envPassword  = "KAFKA_SASL_PASSWORD"
	envCA        = "KAFKA_SSL_CA_LOCATION"
	envTopic     = "KAFKA_TOPIC"
)

// target is the cluster the quickstart talks to: how the sink writes to it
// (security settings of core.Config) and how the read-back client reaches
// it.
type target struct {
	brokers []string
	sink    core.Config // Brokers and the security fields only
	read    []kgo.Opt   // the read-back client's login and TLS, without brokers
	desc    string      // e.g. "SASL_SSL, SCRAM-SHA-512 as reader"
}

// externalTarget reads KAFKA_BROKERS and the security variables through
// getenv. It returns ok false if KAFKA_BROKERS is unset, and an error
// naming the variable to fix if a setting is wrong.
func externalTarget(getenv func(string) string) (t target, ok bool, err error) {
	get := func(k string) string { return strings.TrimSpace(getenv(k)) }
	for b := range strings.SplitSeq(get(envBrokers), ",") {
		if b = strings.TrimSpace(b); b != "" {
			t.brokers = append(t.brokers, b)
		}
	}
	if len(t.brokers) == 0 {
		for _, k := range []string{envProtocol, envUsername, envPassword, envCA} {
			if get(k) != "" {
				return target{}, false, fmt.Errorf("%s is set but %s is not: set the brokers too, or unset it to use the embedded cluster", k, envBrokers)
			}
		}
		return target{}, false, nil
	}
	c := core.Config{Brokers: t.brokers}
	if v := get(envProtocol); v != "" {
		if c.SecurityProtocol, err = core.ParseSecurityProtocol(v); err != nil {
			return target{}, true, fmt.Errorf("%s: %w", envProtocol, err)
		}
	}
	if v := get(envMechanism); v != "" {
		if c.SASLMechanism, err = core.ParseSASLMechanism(v); err != nil {
			return target{}, true, fmt.Errorf("%s: %w", envMechanism, err)
		}
	}
	c.SASLUsername, c.SASLPassword, c.SSLCALocation = get(envUsername), getenv(envPassword), get(envCA)
	// The sink validates the combination; name the variable, not the field.
	if err := c.Validate(); err != nil {
		var ce *core.ConfigError
		if errors.As(err, &ce) {
			v := map[string]string{
				"SecurityProtocol": envProtocol, "SASLMechanism": envMechanism,
				"SASLUsername": envUsername, "SASLPassword": envPassword, "SSLCALocation": envCA,
			}[ce.Field]
			if v == "" {
				v = envBrokers
			}
			return target{}, true, fmt.Errorf("%s: %s", v, ce.Reason)
		}
		return target{}, true, err
	}
	t.sink = c

	proto := c.SecurityProtocol
	if proto == "" {
		proto = core.Plaintext
	}
	t.desc = string(proto)
	if proto == core.SSL || proto == core.SASLSSL {
		tc := &tls.Config{MinVersion: tls.VersionTLS12}
		if c.SSLCALocation != "" {
			pem, err := os.ReadFile(c.SSLCALocation)
			if err != nil {
				return target{}, true, fmt.Errorf("%s: %w", envCA, err)
			}
			tc.RootCAs = x509.NewCertPool()
			tc.RootCAs.AppendCertsFromPEM(pem) // checked by Validate
		}
		t.read = append(t.read, kgo.DialTLSConfig(tc))
	}
	if proto == core.SASLPlaintext || proto == core.SASLSSL {
		mech := c.SASLMechanism
		if mech == "" {
			mech = core.Plain
		}
		auth := scram.Auth{User: c.SASLUsername, Pass: c.SASLPassword}
		switch mech {
		case core.Plain:
			t.read = append(t.read, kgo.SASL(plain.Auth{User: c.SASLUsername, Pass: c.SASLPassword}.AsMechanism()))
		case core.ScramSHA256:
			t.read = append(t.read, kgo.SASL(auth.AsSha256Mechanism()))
		case core.ScramSHA512:
			t.read = append(t.read, kgo.SASL(auth.AsSha512Mechanism()))
		}
		t.desc += ", " + string(mech) + " as " + c.SASLUsername
	}
	return t, true, nil
}
