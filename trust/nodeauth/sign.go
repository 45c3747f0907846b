package nodeauth

import (
	"crypto/ed25519"
	"crypto/rand"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"net/http"
	"strconv"
	"time"
)

// The headers of a signed request.
const (
	HeaderNode      = "Stratus-Node"
	HeaderTime      = "Stratus-Time" // Unix seconds
	HeaderNonce     = "Stratus-Nonce"
	HeaderSignature = "Stratus-Signature" // base64 (standard, padded)
)

// nonceBytes: 128 random bits never repeat by chance.
const nonceBytes = 16

// maxNonce bounds the nonce a verifier keeps: twice a fresh one's hex.
const maxNonce = 4 * nonceBytes

// Message is what a node signs for a request: a label, then the method,
// the request target (path and query, as sent), the node's name, the time
// and the nonce, each length-prefixed so that no two requests share a
// message.
func Message(method, target, node string, unix int64, nonce string) []byte {
	b := []byte("stratus-node-request/1")
	for _, part := range []string{method, target, node, strconv.FormatInt(unix, 10), nonce} {
		b = binary.AppendUvarint(b, uint64(len(part)))
		b = append(b, part...)
	}
	return b
}

// Sign signs req as node with its key, at now, with a fresh nonce. req's
// URL must be final: its path and query are signed.
func Sign(req *http.Request, node string, key ed25519.PrivateKey, now time.Time) {
	n := make([]byte, nonceBytes)
	rand.Read(n) // never fails (crypto/rand)
	nonce := hex.EncodeToString(n)
	unix := now.Unix()
	sig := ed25519.Sign(key, Message(req.Method, req.URL.RequestURI(), node, unix, nonce))
	req.Header.Set(HeaderNode, node)
	req.Header.Set(HeaderTime, strconv.FormatInt(unix, 10))
	req.Header.Set(HeaderNonce, nonce)
	req.Header.Set(HeaderSignature, base64.StdEncoding.EncodeToString(sig))
}
