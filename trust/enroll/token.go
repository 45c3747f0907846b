package enroll

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"net/url"
	"strings"
)

// tokenPrefix starts every enrollment token, so that one pasted in the
// wrong place is recognised.
const tokenPrefix = "stratus-enroll"

// Token is a parsed enrollment token: where to enroll, which token it is
// and its secret.
type Token struct {
	// URL is the registry's base URL, as the network's operator reached
	// it when the token was made.
	URL string
	// ID names the token in the registry; Secret proves possession.
	ID, Secret string
}

func newToken(base string) (Token, error) {
	id, secret := make([]byte, 8), make([]byte, 32)
	if _, err := rand.Read(id); err != nil {
		return Token{}, err
	}
	if _, err := rand.Read(secret); err != nil {
		return Token{}, err
	}
	return Token{URL: base, ID: hex.EncodeToString(id), Secret: hex.EncodeToString(secret)}, nil
}

// String is the token as the operator passes it on:
// stratus-enroll.<base64url of the URL>.<id>.<secret>.
func (t Token) String() string {
	return strings.Join([]string{tokenPrefix, base64.RawURLEncoding.EncodeToString([]byte(t.URL)), t.ID, t.Secret}, ".")
}

// ParseToken reads a token as String writes it, surrounding whitespace
// (a file's newline) removed.
func ParseToken(s string) (Token, error) {
	parts := strings.Split(strings.TrimSpace(s), ".")
	if len(parts) != 4 || parts[0] != tokenPrefix {
		return Token{}, errors.New("enrollment token: want stratus-enroll.<url>.<id>.<secret>, as stratus operator add prints it")
	}
	u, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		return Token{}, errors.New("enrollment token: its URL part is not base64url")
	}
	if p, err := url.Parse(string(u)); err != nil || (p.Scheme != "http" && p.Scheme != "https") || p.Host == "" {
		return Token{}, fmt.Errorf("enrollment token: %q is not an http(s) URL", u)
	}
	if !isHex(parts[2], 16) || !isHex(parts[3], 64) {
		return Token{}, errors.New("enrollment token: malformed id or secret (truncated when copied?)")
	}
	return Token{URL: string(u), ID: parts[2], Secret: parts[3]}, nil
}

func isHex(s string, n int) bool {
	_, err := hex.DecodeString(s)
	return len(s) == n && err == nil
}

// mac is HMAC-SHA256 under the token's secret over a purpose and parts,
// each length-prefixed.
func mac(secret, purpose string, parts ...[]byte) []byte {
	h := hmac.New(sha256.New, []byte(secret))
	h.Write([]byte(purpose))
	for _, p := range parts {
		fmt.Fprintf(h, "%d:", len(p))
		h.Write(p)
	}
	return h.Sum(nil)
}

// The two purposes: the node's proof, and the registry's answer.
const (
	purposeProof  = "stratus-enroll-proof/1"
	purposeAnswer = "stratus-enroll-answer/1"
)
