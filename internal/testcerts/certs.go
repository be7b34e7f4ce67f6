// Package testcerts makes throwaway certificates for tests of TLS set-ups:
// a certificate authority and a server certificate it signed. It needs no
// broker, so the library's own tests and the integration module share it.
package testcerts

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// CAFileName is the name of the PEM file [Write] writes the
// certificate authority to.
const CAFileName = "ca.pem"

// Certs is a throwaway certificate authority and a server certificate it
// signed for 127.0.0.1, ::1 and localhost, valid for a day. The integration
// module's kafkatest.TLS option starts a TLS cluster with it; give CAFile to
// the producer under test.
type Certs struct {
	// Server presents the server certificate, for the brokers.
	Server *tls.Config

	// Client trusts the authority and nothing else. Clone it before
	// changing it.
	Client *tls.Config

	// CAFile is the path of the authority's certificate in PEM.
	CAFile string

	// CAPEM is the content of CAFile.
	CAPEM []byte
}

// New makes [Certs] with CAFile in t.TempDir(), failing t if it cannot.
func New(t testing.TB) *Certs {
	t.Helper()
	c, err := Write(t.TempDir())
	if err != nil {
		t.Fatalf("testcerts: %v", err)
	}
	return c
}

// Write makes [Certs] with CAFile in dir, named [CAFileName].
func Write(dir string) (*Certs, error) {
	now := time.Now()
	caKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("testcerts: CA key: %w", err)
	}
	caTmpl := &x509.Certificate{
		SerialNumber:          serial(),
		Subject:               pkix.Name{CommonName: "kafkatest CA"},
		NotBefore:             now.Add(-time.Hour),
		NotAfter:              now.Add(24 * time.Hour),
		IsCA:                  true,
		BasicConstraintsValid: true,
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign,
	}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	if err != nil {
		return nil, fmt.Errorf("testcerts: CA certificate: %w", err)
	}
	ca, err := x509.ParseCertificate(caDER)
	if err != nil {
		return nil, fmt.Errorf("testcerts: CA certificate: %w", err)
	}

	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("testcerts: server key: %w", err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: serial(),
		Subject:      pkix.Name{CommonName: "127.0.0.1"},
		DNSNames:     []string{"localhost"},
		IPAddresses:  []net.IP{net.IPv4(127, 0, 0, 1), net.IPv6loopback},
		NotBefore:    now.Add(-time.Hour),
		NotAfter:     now.Add(24 * time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca, &key.PublicKey, caKey)
	if err != nil {
		return nil, fmt.Errorf("testcerts: server certificate: %w", err)
	}

	caPEM := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: caDER})
	caFile := filepath.Join(dir, CAFileName)
	if err := os.WriteFile(caFile, caPEM, 0o600); err != nil {
		return nil, fmt.Errorf("testcerts: %w", err)
	}
	pool := x509.NewCertPool()
	pool.AddCert(ca)
	return &Certs{
		Server: &tls.Config{
			Certificates: []tls.Certificate{{Certificate: [][]byte{der}, PrivateKey: key}},
			MinVersion:   tls.VersionTLS12,
		},
		Client: &tls.Config{
			RootCAs:    pool,
			MinVersion: tls.VersionTLS12,
		},
		CAFile: caFile,
		CAPEM:  caPEM,
	}, nil
}

// serial returns a random 128-bit certificate serial number.
func serial() *big.Int {
	n, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 128))
	if err != nil {
		panic(err) // crypto/rand does not fail on supported platforms
	}
	return n
}
