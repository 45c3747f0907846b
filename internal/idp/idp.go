// Package idp is an identity provider for tests: it publishes a freshly
// generated signing key as a JWKS on a loopback HTTP server and signs
// players' tokens with it, so that tests check real signatures without
// reaching any real provider.
package idp

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"
)

// Provider is an identity provider on loopback. Its issuer is its base URL.
type Provider struct {
	Issuer  string
	JWKSURL string
	alg     jose.SignatureAlgorithm
	kid     string
	key     crypto.Signer
	srv     *httptest.Server
	fetches atomic.Int64
	failing atomic.Bool
}

// Start starts a provider signing with alg (RS256, ES256 or EdDSA).
func Start(alg jose.SignatureAlgorithm) (*Provider, error) {
	key, err := newKey(alg)
	if err != nil {
		return nil, err
	}
	p := &Provider{alg: alg, kid: rand.Text(), key: key}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /jwks", p.serveKeys)
	p.srv = httptest.NewServer(mux)
	p.Issuer = p.srv.URL
	p.JWKSURL = p.srv.URL + "/jwks"
	return p, nil
}

func newKey(alg jose.SignatureAlgorithm) (crypto.Signer, error) {
	switch alg {
	case jose.RS256:
		return rsa.GenerateKey(rand.Reader, 2048)
	case jose.ES256:
		return ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	case jose.EdDSA:
		_, k, err := ed25519.GenerateKey(rand.Reader)
		return k, err
	default:
		return nil, fmt.Errorf("idp: algorithm %s not offered", alg)
	}
}

func (p *Provider) serveKeys(w http.ResponseWriter, r *http.Request) {
	p.fetches.Add(1)
	if p.failing.Load() {
		http.Error(w, "down for the test", http.StatusServiceUnavailable)
		return
	}
	set := jose.JSONWebKeySet{Keys: []jose.JSONWebKey{{Key: p.key.Public(), KeyID: p.kid, Algorithm: string(p.alg), Use: "sig"}}}
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(set)
}

// Close stops the provider's server.
func (p *Provider) Close() { p.srv.Close() }

// Fetches counts the requests for the keys.
func (p *Provider) Fetches() int { return int(p.fetches.Load()) }

// SetFailing makes the keys' URL answer 503 (or stop doing so).
func (p *Provider) SetFailing(failing bool) { p.failing.Store(failing) }

// Claims are a token's claims, valid for five minutes from now.
func (p *Provider) Claims(subject, audience string) jwt.Claims {
	now := time.Now()
	return jwt.Claims{
		Issuer: p.Issuer, Subject: subject, Audience: jwt.Audience{audience},
		IssuedAt: jwt.NewNumericDate(now), NotBefore: jwt.NewNumericDate(now),
		Expiry: jwt.NewNumericDate(now.Add(5 * time.Minute)),
	}
}

// Sign signs c with the provider's key.
func (p *Provider) Sign(c jwt.Claims) (string, error) { return sign(p.alg, p.kid, p.key, c) }

// Forge signs c with a new key under the provider's key id and algorithm:
// a token the provider never issued.
func (p *Provider) Forge(c jwt.Claims) (string, error) {
	key, err := newKey(p.alg)
	if err != nil {
		return "", err
	}
	return sign(p.alg, p.kid, key, c)
}

func sign(alg jose.SignatureAlgorithm, kid string, key crypto.Signer, c jwt.Claims) (string, error) {
	s, err := jose.NewSigner(jose.SigningKey{Algorithm: alg, Key: jose.JSONWebKey{Key: key, KeyID: kid}}, (&jose.SignerOptions{}).WithType("JWT"))
	if err != nil {
		return "", err
	}
	return jwt.Signed(s).Claims(c).Serialize()
}
