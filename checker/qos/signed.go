package qos

import (
	"crypto/ed25519"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
)

// Signed is a report as a checker sends it: the report's JSON as signed,
// so that the signature is checked over the very bytes that were signed.
type Signed struct {
	Checker string          `json:"checker"`
	Report  json.RawMessage `json:"report"`
	Sig     []byte          `json:"sig"`
}

// MaxSigned bounds a signed report on the wire: a report is a few hundred
// bytes.
const MaxSigned = 16 << 10

// Sign signs rep as checker with key.
func Sign(checker string, key ed25519.PrivateKey, rep Report) (Signed, error) {
	b, err := json.Marshal(rep)
	if err != nil {
		return Signed{}, err
	}
	return Signed{Checker: checker, Report: b, Sig: ed25519.Sign(key, message(checker, b))}, nil
}

// Open checks s against the checker's key and returns its report.
func (s Signed) Open(key ed25519.PublicKey) (Report, error) {
	var rep Report
	if len(key) != ed25519.PublicKeySize || !ed25519.Verify(key, message(s.Checker, s.Report), s.Sig) {
		return rep, fmt.Errorf("qos: the report's signature is not %s's", s.Checker)
	}
	if err := json.Unmarshal(s.Report, &rep); err != nil {
		return rep, fmt.Errorf("qos: report: %w", err)
	}
	if rep.Edge == "" {
		return rep, errors.New("qos: report names no edge")
	}
	return rep, nil
}

// message is what a checker signs: a purpose, its name length-prefixed,
// the report.
func message(checker string, report []byte) []byte {
	b := binary.AppendUvarint([]byte("stratus-check/1"), uint64(len(checker)))
	b = append(b, checker...)
	return append(b, report...)
}
