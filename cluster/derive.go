package cluster

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
)

// Purpose is a use of the cluster key outside gossip. Each purpose gets a
// key of its own, derived from the cluster key, so that what travels over
// HTTP or sits in a page reveals nothing of the key that encrypts gossip.
type Purpose int

const (
	// PurposeResume signs the game snapshots that pages carry from edge to
	// edge (resume tokens): any edge of the cluster resumes any other
	// edge's players.
	PurposeResume Purpose = iota + 1
	// PurposeCatalog is the bearer token with which edges read the studio
	// catalog from signaling nodes.
	PurposeCatalog
	// PurposeEdgeControl signs the tickets with which signaling nodes call
	// edges' control APIs (trust.Ticket).
	PurposeEdgeControl
	// PurposeTURN is the shared secret of the TURN credentials that
	// signaling nodes hand pages and the region's TURN servers check.
	PurposeTURN
)

// DeriveKey derives purpose's key from the cluster key, nil without one
// (dev mode), which leaves each purpose to its own fallback.
//
// The derivations differ from purpose to purpose and never change: nodes of
// two releases in one cluster must derive the same keys, or resume tokens
// sealed by one would not open on the other, and its edges could not read
// the catalog.
func DeriveKey(clusterKey []byte, p Purpose) []byte {
	if len(clusterKey) == 0 {
		return nil
	}
	switch p {
	case PurposeResume:
		h := sha256.Sum256(append([]byte("stratus resume tokens\x00"), clusterKey...))
		return h[:]
	case PurposeCatalog:
		m := hmac.New(sha256.New, clusterKey)
		m.Write([]byte("stratus catalog v1"))
		return m.Sum(nil)
	case PurposeEdgeControl:
		m := hmac.New(sha256.New, clusterKey)
		m.Write([]byte("stratus edge control tickets v1"))
		return m.Sum(nil)
	case PurposeTURN:
		m := hmac.New(sha256.New, clusterKey)
		m.Write([]byte("stratus turn credentials v1"))
		return m.Sum(nil)
	}
	panic(fmt.Sprintf("cluster: no key derivation for purpose %d", p))
}

// DeriveToken is DeriveKey in hex, for HTTP headers; "" without a cluster
// key.
func DeriveToken(clusterKey []byte, p Purpose) string {
	return hex.EncodeToString(DeriveKey(clusterKey, p))
}
