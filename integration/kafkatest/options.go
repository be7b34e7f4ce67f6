package kafkatest

import (
	"fmt"
	"testing"

	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/sasl"
	"github.com/twmb/franz-go/pkg/sasl/plain"
	"github.com/twmb/franz-go/pkg/sasl/scram"

	"github.com/kafkasink/kafkasink/internal/testcerts"
)

// SASL mechanism names, as kfake and Kafka spell them.
const (
	Plain       = "PLAIN"
	ScramSHA256 = "SCRAM-SHA-256"
	ScramSHA512 = "SCRAM-SHA-512"
)

// saslOpt is kfake.Superuser, marked so that start also enables SASL and
// logs the cluster's own clients in as that user.
type saslOpt struct {
	kfake.Opt
	mech, user, pass string
}

// SASL makes [Start] and [StartCluster] require SASL authentication on every
// broker, with user as a superuser logging in with mechanism ([Plain],
// [ScramSHA256] or [ScramSHA512]) and pass. The cluster's own readers and
// [Cluster.ClientOpts] log in as user.
//
// Add other logins with [kfake.User] or [kfake.Superuser]. A failed login
// makes kfake close the connection without an error response.
//
// SASL is meant for Start and StartCluster: given to [kfake.NewCluster] it
// only adds the user.
func SASL(mechanism, user, pass string) kfake.Opt {
	return saslOpt{kfake.Superuser(mechanism, user, pass), mechanism, user, pass}
}

func (o saslOpt) mechanism() (sasl.Mechanism, error) {
	switch o.mech {
	case Plain:
		return plain.Auth{User: o.user, Pass: o.pass}.AsMechanism(), nil
	case ScramSHA256:
		return scram.Auth{User: o.user, Pass: o.pass}.AsSha256Mechanism(), nil
	case ScramSHA512:
		return scram.Auth{User: o.user, Pass: o.pass}.AsSha512Mechanism(), nil
	}
	return nil, fmt.Errorf("unknown SASL mechanism %q", o.mech)
}

// tlsOpt is kfake.TLS, marked so that start makes its own clients trust the
// certificate authority.
type tlsOpt struct {
	kfake.Opt
	certs *Certs
}

// TLS makes every broker of [Start] and [StartCluster] accept only TLS
// connections, presenting certs.Server. The cluster's own readers and
// [Cluster.ClientOpts] trust certs' authority.
//
// TLS is meant for Start and StartCluster: given to [kfake.NewCluster] it is
// [kfake.TLS](certs.Server).
func TLS(certs *Certs) kfake.Opt {
	return tlsOpt{kfake.TLS(certs.Server), certs}
}

// Certs is a throwaway certificate authority and server certificate; see
// [testcerts.Certs].
type Certs = testcerts.Certs

// CAFileName is the name of the PEM file [WriteCerts] writes the
// certificate authority to.
const CAFileName = testcerts.CAFileName

// NewCerts makes [Certs] with CAFile in t.TempDir(), failing t if it cannot.
func NewCerts(t testing.TB) *Certs { t.Helper(); return testcerts.New(t) }

// WriteCerts makes [Certs] with CAFile in dir, named [CAFileName].
func WriteCerts(dir string) (*Certs, error) { return testcerts.Write(dir) }
