package studio

import (
	"crypto/sha256"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"

	"stratus/trust"
)

// MinKeyLen is the shortest API key accepted: anything shorter could be
// guessed by trying.
const MinKeyLen = 16

// DevStudio is the studio that Config.DevKey authenticates.
const DevStudio = "dev"

// Keys maps API keys to studios. Only the keys' SHA-256 hashes are kept, so
// a memory dump does not hand out working keys. Keys is read-only after it
// is built and safe for concurrent use.
type Keys struct {
	entries []keyEntry
}

type keyEntry struct {
	hash   [sha256.Size]byte
	studio string
}

// LoadKeys reads a keys file: a JSON object from studio name to its keys,
// {"acme": ["key1", "key2"]}. A studio may hold several keys so that it can
// roll one over without downtime.
func LoadKeys(path string) (*Keys, error) {
	m, err := readKeysFile(path)
	if err != nil {
		return nil, err
	}
	k, err := NewKeys(m)
	if err != nil {
		return nil, fmt.Errorf("%w (in %s)", err, path)
	}
	return k, nil
}

// maxKeysFile bounds a keys file: thousands of studios' keys.
const maxKeysFile = 4 << 20

func readKeysFile(path string) (map[string][]string, error) {
	data, err := trust.ReadSecret(path, "studio: keys", maxKeysFile)
	if err != nil {
		return nil, err
	}
	var m map[string][]string
	if err := json.Unmarshal(data, &m); err != nil {
		return nil, fmt.Errorf("studio: keys file %s: %w", path, err)
	}
	return m, nil
}

// NewKeys builds Keys from studio names to keys, reporting every problem.
// A key given to two studios is refused: it could not say which one calls.
func NewKeys(byStudio map[string][]string) (*Keys, error) {
	k := &Keys{}
	var errs []error
	owner := map[[sha256.Size]byte]string{}
	studios := make([]string, 0, len(byStudio))
	for st := range byStudio {
		studios = append(studios, st)
	}
	sort.Strings(studios) // the same report every run
	for _, st := range studios {
		if err := checkStudioName(st); err != nil {
			errs = append(errs, err)
			continue
		}
		for i, key := range byStudio[st] {
			if len(key) < MinKeyLen {
				errs = append(errs, fmt.Errorf("studio: keys: %s[%d] is shorter than %d characters", st, i, MinKeyLen))
				continue
			}
			h := sha256.Sum256([]byte(key))
			if prev, ok := owner[h]; ok {
				errs = append(errs, fmt.Errorf("studio: keys: %s[%d] is also a key of %s", st, i, prev))
				continue
			}
			owner[h] = st
			k.entries = append(k.entries, keyEntry{hash: h, studio: st})
		}
	}
	return k, errors.Join(errs...)
}

// checkStudioName keeps names to what reads well in logs and file records.
func checkStudioName(s string) error {
	if s == "" || len(s) > 64 || strings.Trim(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.") != "" {
		return fmt.Errorf("studio: keys: studio name %q: want 1 to 64 letters, digits, '-', '_' or '.'", s)
	}
	return nil
}

// Len is the number of keys.
func (k *Keys) Len() int { return len(k.entries) }

// Studio returns the studio whose key is key. Every stored hash is
// compared, in constant time, whatever matches, so the time taken tells
// nothing about which keys exist.
func (k *Keys) Studio(key string) (string, bool) {
	if key == "" {
		return "", false
	}
	h := sha256.Sum256([]byte(key))
	found := ""
	for _, e := range k.entries {
		if subtle.ConstantTimeCompare(h[:], e.hash[:]) == 1 {
			found = e.studio
		}
	}
	return found, found != ""
}

// bearer extracts the token from an Authorization header value. The scheme
// is case-insensitive (RFC 9110).
func bearer(header string) string {
	scheme, token, ok := strings.Cut(header, " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return ""
	}
	return strings.TrimSpace(token)
}
