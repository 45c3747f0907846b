package cluster

import (
	"bytes"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
)

// MaxMetaSize is the most bytes a node's encoded metadata may take. It is
// memberlist's own limit (memberlist.MetaMaxSize): more makes memberlist
// panic, so Encode never returns more.
const MaxMetaSize = 512

// The wire form of Meta is a header followed by compact JSON. Format 1,
// unsigned (dev mode, tests):
//
//	byte 0  format: 1 (metaFormatV1)
//	byte 1  flags, bit 0 = the node is leaving gracefully (set by Pool.Leave);
//	        readers ignore bits they do not know
//	2..     JSON of Meta (the short field names of meta.go)
//
// Format 2, signed by a node with an Identity:
//
//	byte 0      format: 2 (metaFormatSigned)
//	byte 1      flags, as above
//	2..34       the node's ed25519 public key
//	34..98      the network's certificate of that key (Identity.Cert)
//	98..n-64    JSON of Meta
//	n-64..n     the node key's signature over sealMessage(name, bytes 0..n-64)
//
// The signature covers the node's name, the flags and everything else, so
// that a holder of the cluster key can neither alter a node's metadata nor
// replay it under another name. The format byte lets a later release change
// the body; a reader refuses a format it does not know rather than
// guessing, and the pool then lists that node with a zero Meta (see
// view.go). JSON readers ignore unknown fields, so adding a field to Meta
// needs no new format.
const (
	metaFormatV1     byte = 1
	metaFormatSigned byte = 2
	metaHeaderSize        = 2
	metaFlagLeaving  byte = 1 << 0

	sealHeaderSize = metaHeaderSize + ed25519.PublicKeySize + ed25519.SignatureSize
	// sealOverhead is what signing adds to the unsigned form.
	sealOverhead = sealHeaderSize - metaHeaderSize + ed25519.SignatureSize
)

// sealer signs a node's metadata; nil encodes format 1.
type sealer struct {
	name string
	id   *Identity
}

// Encode returns m's wire form, at most MaxMetaSize bytes. When the title
// list makes it too long, the list is replaced by TitlesDigest (the list
// itself is then fetched from the node's API); when even that does not fit,
// Encode returns an error wrapping ErrMetaTooLarge. m is not modified.
func (m Meta) Encode() ([]byte, error) {
	return m.encode(0, nil)
}

func (m Meta) encode(flags byte, s *sealer) ([]byte, error) {
	b, err := marshalMeta(m, flags, s)
	if err != nil {
		return nil, err
	}
	if len(b) <= MaxMetaSize {
		return b, nil
	}
	full := len(b)
	if len(m.Titles) == 0 {
		return nil, fmt.Errorf("%w: %d bytes, limit %d (no titles to drop; shorten the URLs or the region)",
			ErrMetaTooLarge, full, MaxMetaSize)
	}
	short := m
	short.Titles = nil
	short.TitlesDigest = TitlesDigest(m.Titles)
	if b, err = marshalMeta(short, flags, s); err != nil {
		return nil, err
	}
	if len(b) > MaxMetaSize {
		return nil, fmt.Errorf("%w: %d bytes with %d titles, still %d with their digest, limit %d",
			ErrMetaTooLarge, full, len(m.Titles), len(b), MaxMetaSize)
	}
	return b, nil
}

func marshalMeta(m Meta, flags byte, s *sealer) ([]byte, error) {
	var buf bytes.Buffer
	buf.Grow(MaxMetaSize)
	if s != nil {
		buf.WriteByte(metaFormatSigned)
		buf.WriteByte(flags)
		buf.Write(s.id.public())
		buf.Write(s.id.Cert)
	} else {
		buf.WriteByte(metaFormatV1)
		buf.WriteByte(flags)
	}
	enc := json.NewEncoder(&buf)
	// '<', '>' and '&' would otherwise cost six bytes each in URLs.
	enc.SetEscapeHTML(false)
	if err := enc.Encode(m); err != nil {
		// Only a NaN or infinite Load or coordinate gets here.
		return nil, fmt.Errorf("cluster: encoding metadata: %w", err)
	}
	b := bytes.TrimSuffix(buf.Bytes(), []byte{'\n'})
	if s != nil {
		b = append(b, ed25519.Sign(s.id.Key, sealMessage(s.name, b))...)
	}
	return b, nil
}

// sealMessage is what a node signs: its name, length-prefixed, then the
// wire form up to the signature.
func sealMessage(name string, wire []byte) []byte {
	b := binary.AppendUvarint([]byte("stratus-meta/2"), uint64(len(name)))
	b = append(b, name...)
	return append(b, wire...)
}

// TitlesDigest is what Encode puts in Meta.TitlesDigest when the title list
// does not fit: the first 8 bytes, in hex, of the SHA-256 of the sorted IDs
// joined with NUL. Two nodes offering the same titles, in any order, have the
// same digest, so a receiver can tell whether its fetched copy is current.
func TitlesDigest(titles []string) string {
	s := slices.Clone(titles)
	slices.Sort(s)
	sum := sha256.Sum256([]byte(strings.Join(s, "\x00")))
	return hex.EncodeToString(sum[:8])
}

// DecodeMeta parses the wire form written by Encode. Flags in the header
// (such as "leaving") are not part of Meta and are ignored here, and so is
// a signed form's signature, which needs the node's name: the pool checks
// it (see view.go).
func DecodeMeta(b []byte) (Meta, error) {
	w, err := parseWire(b)
	return w.meta, err
}

// wireMeta is a parsed wire form.
type wireMeta struct {
	meta  Meta
	flags byte
	// The signed form's parts; key is nil for format 1.
	key       ed25519.PublicKey
	cert, sig []byte
	signed    []byte // the bytes the signature covers, without the name
}

func parseWire(b []byte) (wireMeta, error) {
	var w wireMeta
	switch {
	case len(b) == 0:
		return w, errors.New("cluster: no metadata (the node publishes none; not a stratus node?)")
	case len(b) > MaxMetaSize:
		return w, fmt.Errorf("cluster: metadata of %d bytes exceeds the %d-byte limit", len(b), MaxMetaSize)
	case b[0] != metaFormatV1 && b[0] != metaFormatSigned:
		return w, fmt.Errorf("cluster: metadata format %d not understood, this build reads formats %d and %d (node running another release?)",
			b[0], metaFormatV1, metaFormatSigned)
	case len(b) < metaHeaderSize:
		return w, errors.New("cluster: metadata truncated inside its header")
	}
	w.flags = b[1]
	body := b[metaHeaderSize:]
	if b[0] == metaFormatSigned {
		if len(b) < sealHeaderSize+ed25519.SignatureSize {
			return w, fmt.Errorf("cluster: signed metadata of %d bytes is shorter than its %d-byte frame", len(b), sealOverhead+metaHeaderSize)
		}
		w.key = ed25519.PublicKey(b[metaHeaderSize : metaHeaderSize+ed25519.PublicKeySize])
		w.cert = b[metaHeaderSize+ed25519.PublicKeySize : sealHeaderSize]
		w.signed = b[:len(b)-ed25519.SignatureSize]
		w.sig = b[len(b)-ed25519.SignatureSize:]
		body = b[sealHeaderSize : len(b)-ed25519.SignatureSize]
	}
	if err := json.Unmarshal(body, &w.meta); err != nil {
		return wireMeta{}, fmt.Errorf("cluster: metadata body (format %d, %d bytes): %w", b[0], len(b), err)
	}
	return w, nil
}

// verify checks a signed form's signature by its own key for node name.
// It says nothing of whether the key belongs to the network: that is the
// certificate's business (VerifyCert).
func (w wireMeta) verify(name string) error {
	if w.key == nil {
		return errors.New("cluster: metadata is not signed")
	}
	if !ed25519.Verify(w.key, sealMessage(name, w.signed), w.sig) {
		return fmt.Errorf("cluster: the signature of %q's metadata does not match its key (altered, or another node's)", name)
	}
	return nil
}
