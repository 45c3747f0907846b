package cluster

import (
	"crypto/ed25519"
	"encoding/binary"
	"errors"
	"fmt"
)

// Identity is what a node proves its metadata with: its own ed25519 key,
// and the network's certificate that binds that key to the node's name,
// role and operator. Holding the cluster key lets a node join and read the
// pools; only an Identity makes its metadata believed where the pool is
// given the network's key (PoolConfig.Network).
type Identity struct {
	Key ed25519.PrivateKey
	// Operator is who runs the node, as enrolled; it is gossiped in
	// Meta.Operator and covered by the certificate.
	Operator string
	// Cert is the network key's signature over CertMessage of this node.
	Cert []byte
}

// CertMessage is what the network key signs to certify a node: its name,
// role, operator and public key, each length-prefixed so that no two
// different tuples share a message.
func CertMessage(node string, role Role, operator string, key ed25519.PublicKey) []byte {
	b := []byte("stratus-node-cert/1")
	for _, part := range [][]byte{[]byte(node), []byte(role), []byte(operator), key} {
		b = binary.AppendUvarint(b, uint64(len(part)))
		b = append(b, part...)
	}
	return b
}

// VerifyCert checks that network certified key as node, with role and
// operator.
func VerifyCert(network ed25519.PublicKey, node string, role Role, operator string, key ed25519.PublicKey, cert []byte) error {
	if len(network) != ed25519.PublicKeySize {
		return errors.New("cluster: no network key to check certificates with")
	}
	if len(key) != ed25519.PublicKeySize || len(cert) != ed25519.SignatureSize {
		return errors.New("cluster: malformed node key or certificate")
	}
	if !ed25519.Verify(network, CertMessage(node, role, operator, key), cert) {
		return fmt.Errorf("cluster: node %q is not certified as %s of operator %q by this network's key (not enrolled, or enrolled elsewhere)",
			node, role, operator)
	}
	return nil
}

func (id *Identity) validate(name string) error {
	switch {
	case id == nil:
		return nil
	case len(id.Key) != ed25519.PrivateKeySize:
		return fmt.Errorf("identity of %q: the node key is %d bytes, want %d", name, len(id.Key), ed25519.PrivateKeySize)
	case len(id.Cert) != ed25519.SignatureSize:
		return fmt.Errorf("identity of %q: the certificate is %d bytes, want %d", name, len(id.Cert), ed25519.SignatureSize)
	}
	return nil
}

func (id *Identity) public() ed25519.PublicKey { return id.Key.Public().(ed25519.PublicKey) }
