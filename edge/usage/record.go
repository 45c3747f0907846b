package usage

import (
	"crypto/ed25519"
	"encoding/json"
	"errors"
	"time"
)

// Record is one session's usage, as of its sequence number.
type Record struct {
	Session string `json:"session"`
	// Seq grows with every checkpoint of the session; the record with the
	// highest is the session's.
	Seq uint64 `json:"seq"`
	// Final: the session ended. Interrupted: it ended with its edge, at
	// End, its last checkpoint.
	Final       bool `json:"final"`
	Interrupted bool `json:"interrupted,omitempty"`
	// Kind is player or check: an edge cannot tell them apart, so it
	// writes player; the ledger knows its checkers' sessions.
	Kind     string `json:"kind"`
	Title    string `json:"title"`
	Studio   string `json:"studio,omitempty"`
	Edge     string `json:"edge"`
	Operator string `json:"operator,omitempty"`
	Region   string `json:"region"`
	// Player is the signed-in subject, if the player signed in.
	Player          string    `json:"player,omitempty"`
	Start           time.Time `json:"start"`
	End             time.Time `json:"end"`
	Seconds         float64   `json:"seconds"`
	FramesSent      int64     `json:"frames_sent"`
	FramesPresented int64     `json:"frames_presented"`
	Bytes           int64     `json:"bytes"`
	Encoder         string    `json:"encoder"`
	GPU             *GPUUse   `json:"gpu,omitempty"`
	// Signature is the edge's node key's, over the record without it
	// (Canonical).
	Signature []byte `json:"signature,omitempty"`
}

// GPUUse is the GPU a session encoded on.
type GPUUse struct {
	Model        string  `json:"model"`
	NVENCSeconds float64 `json:"nvenc_seconds"`
}

// Kinds of session.
const (
	KindPlayer = "player"
	KindCheck  = "check"
)

// Canonical is what the signature covers: the record's JSON without its
// signature. encoding/json writes a struct's fields in their declared
// order, so the same record always gives the same bytes.
func (r Record) Canonical() []byte {
	r.Signature = nil
	b, _ := json.Marshal(r) // a Record always marshals
	return b
}

// Sign signs r with the edge's node key.
func (r *Record) Sign(key ed25519.PrivateKey) {
	r.Signature = ed25519.Sign(key, r.Canonical())
}

// Verify checks r's signature against the edge's key.
func (r Record) Verify(key ed25519.PublicKey) error {
	if len(key) != ed25519.PublicKeySize || !ed25519.Verify(key, r.Canonical(), r.Signature) {
		return errors.New("usage: the record's signature does not match its edge's key (altered, or not this edge's)")
	}
	return nil
}
