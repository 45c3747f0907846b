package turn

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"fmt"
	"math/big"
	"net"
	"time"
)

// loadCert reads the operator's certificate, or makes a self-signed one
// for the relay's address (trusted false).
func loadCert(cfg Config) (tls.Certificate, bool, error) {
	if cfg.CertFile != "" {
		c, err := tls.LoadX509KeyPair(cfg.CertFile, cfg.KeyFile)
		if err != nil {
			return c, false, fmt.Errorf("turn: tls certificate: %w", err)
		}
		return c, true, nil
	}
	c, err := selfSigned(cfg.Host, cfg.RelayIP)
	return c, false, err
}

// selfSigned makes a certificate for host and ip, kept in memory only: it
// is made again at each start, so nothing on disk needs guarding.
func selfSigned(host, ip string) (tls.Certificate, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return tls.Certificate{}, err
	}
	now := time.Now()
	tpl := &x509.Certificate{
		SerialNumber: big.NewInt(now.UnixNano()),
		Subject:      pkix.Name{CommonName: "stratus turn"},
		NotBefore:    now.Add(-time.Hour),
		// A year: longer than any process lives, short enough to be no
		// credential worth keeping.
		NotAfter:    now.Add(365 * 24 * time.Hour),
		KeyUsage:    x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	if host != "" {
		tpl.DNSNames = []string{host}
	}
	if a := net.ParseIP(ip); a != nil {
		tpl.IPAddresses = []net.IP{a}
	}
	der, err := x509.CreateCertificate(rand.Reader, tpl, tpl, &key.PublicKey, key)
	if err != nil {
		return tls.Certificate{}, fmt.Errorf("turn: self-signed certificate: %w", err)
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}, nil
}
