package trust

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// TokenBytes is the operator token's length before hex encoding: 256 bits,
// beyond any guessing over the network.
const TokenBytes = 32

// maxTokenFile bounds what LoadToken reads: a token file is one line of
// 2*TokenBytes characters, so anything much longer is the wrong file.
const maxTokenFile = 4 << 10

// Token is an operator token as its file holds it: hex, no whitespace.
type Token string

// NewToken draws a fresh token.
func NewToken() (Token, error) {
	b := make([]byte, TokenBytes)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("operator token: %w", err)
	}
	return Token(hex.EncodeToString(b)), nil
}

// ParseToken checks the text of a token: exactly 2*TokenBytes hex digits,
// surrounding whitespace (the file's newline) removed. A short or
// malformed token is refused rather than accepted as a weaker one.
func ParseToken(s string) (Token, error) {
	s = strings.TrimSpace(s)
	if len(s) != 2*TokenBytes {
		return "", fmt.Errorf("operator token: want %d hex digits, have %d characters", 2*TokenBytes, len(s))
	}
	if _, err := hex.DecodeString(s); err != nil {
		return "", errors.New("operator token: not hex")
	}
	return Token(s), nil
}

// Equal compares in constant time, so that the time an answer takes says
// nothing of how much of a guess was right. The empty token equals nothing,
// not even itself: a node without a token must not accept an empty one.
func (t Token) Equal(other string) bool {
	if t == "" || other == "" {
		return false
	}
	return subtle.ConstantTimeCompare([]byte(t), []byte(other)) == 1
}

// EnsureTokenFile creates path with a fresh token when it does not exist
// (mode 0600, its directory created 0700 as needed) and returns the token
// in it; created says whether it was made now. An existing file must pass
// LoadToken's checks.
func EnsureTokenFile(path string) (tok Token, created bool, err error) {
	if path == "" {
		return "", false, errors.New("operator token: no file named")
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return "", false, fmt.Errorf("operator token: %w", err)
	}
	tok, err = NewToken()
	if err != nil {
		return "", false, err
	}
	// The token is written to a file of its own, then linked into place:
	// two commands creating the file at once end with one token, the loser
	// reading the winner's whole, never a half-written file.
	tmp, err := os.CreateTemp(filepath.Dir(path), ".operator-token-*")
	if err != nil {
		return "", false, fmt.Errorf("operator token: %w", err)
	}
	defer os.Remove(tmp.Name())
	_, werr := tmp.WriteString(string(tok) + "\n")
	if cerr := tmp.Close(); werr == nil {
		werr = cerr
	}
	if werr == nil {
		werr = os.Chmod(tmp.Name(), 0o600)
	}
	if werr != nil {
		return "", false, fmt.Errorf("operator token: writing %s: %w", path, werr)
	}
	err = os.Link(tmp.Name(), path)
	if errors.Is(err, fs.ErrExist) {
		tok, err = LoadToken(path)
		return tok, false, err
	}
	if err != nil {
		return "", false, fmt.Errorf("operator token: %w", err)
	}
	return tok, true, nil
}

// LoadToken reads the token in path. A file that group or others may read
// is refused: the token would no longer be the operator's alone.
func LoadToken(path string) (Token, error) {
	data, err := ReadSecret(path, "operator token", maxTokenFile)
	if err != nil {
		return "", err
	}
	tok, err := ParseToken(string(data))
	if err != nil {
		return "", fmt.Errorf("%w (in %s)", err, path)
	}
	return tok, nil
}
