package enroll

import (
	"crypto/ed25519"

	"stratus/cluster"
	"stratus/edge/api"
)

// Request is a node's POST /v1/enroll: who it is, and its proof that it
// holds the token's secret.
type Request struct {
	// Token is the enrollment token's id; its secret stays on the node.
	Token string            `json:"token"`
	Node  string            `json:"node"`
	Role  cluster.Role      `json:"role"`
	Key   ed25519.PublicKey `json:"key"`
	// Proof is the HMAC of the secret over token id, node, role and key
	// (purposeProof).
	Proof []byte `json:"proof"`
}

func (r Request) proofParts() [][]byte {
	return [][]byte{[]byte(r.Token), []byte(r.Node), []byte(r.Role), r.Key}
}

func (r Request) check() error {
	switch {
	case !isHex(r.Token, 16):
		return api.Errorf(api.CodeBadMessage, "token: want the 16 hex digits of an enrollment token's id")
	case !validName.MatchString(r.Node):
		return api.Errorf(api.CodeBadMessage, "node name %q: want 1 to 64 letters, digits, '.', '_' or '-'", r.Node)
	case r.Role != cluster.RoleEdge && r.Role != cluster.RoleChecker:
		// Signaling nodes hold the network key and certify themselves.
		return api.Errorf(api.CodeBadMessage, "role %q: only edges and checkers enroll with a token", r.Role)
	case len(r.Key) != ed25519.PublicKeySize || len(r.Proof) == 0:
		return api.Errorf(api.CodeBadMessage, "key and proof are required; the key is %d bytes", ed25519.PublicKeySize)
	}
	return nil
}

// Answer is the registry's reply: the node's certificate and the network
// key, with an HMAC under the token's secret that shows the registry
// holding the token made it.
type Answer struct {
	Operator string            `json:"operator"`
	Network  ed25519.PublicKey `json:"network"`
	Cert     []byte            `json:"cert"`
	MAC      []byte            `json:"mac"`
}

func (a Answer) parts(node string) [][]byte {
	return [][]byte{[]byte(node), []byte(a.Operator), a.Network, a.Cert}
}

// AddRequest and AddAnswer are POST /v1/operators.
type AddRequest struct {
	Name string `json:"name"`
	// Role the token enrolls: edge (the default) or checker, which only
	// the network itself runs (Name NetworkOperator).
	Role cluster.Role `json:"role,omitempty"`
}

type AddAnswer struct {
	Operator string `json:"operator"`
	Token    string `json:"token"`
	Expires  string `json:"expires"`
}

// RevokeRequest is POST /v1/operators/revoke.
type RevokeRequest struct {
	Name string `json:"name"`
}
