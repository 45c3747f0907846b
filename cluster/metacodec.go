package cluster

import (
	"bytes"
	"crypto/sha256"
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

// The wire form of Meta is a two-byte header followed by compact JSON:
//
//	byte 0  format: 1 (metaFormatV1)
//	byte 1  flags, bit 0 = the node is leaving gracefully (set by Pool.Leave);
//	        readers ignore bits they do not know
//	2..     JSON of Meta (the short field names of meta.go)
//
// The format byte lets a later release change the body; a reader refuses a
// format it does not know rather than guessing, and the pool then lists
// that node with a zero Meta (see view.go). JSON readers ignore unknown
// fields, so adding a field to Meta needs no new format.
const (
	metaFormatV1    byte = 1
	metaHeaderSize       = 2
	metaFlagLeaving byte = 1 << 0
)

// Encode returns m's wire form, at most MaxMetaSize bytes. When the title
// list makes it too long, the list is replaced by TitlesDigest (the list
// itself is then fetched from the node's API); when even that does not fit,
// Encode returns an error wrapping ErrMetaTooLarge. m is not modified.
func (m Meta) Encode() ([]byte, error) {
	return m.encode(0)
}

func (m Meta) encode(flags byte) ([]byte, error) {
	b, err := marshalMeta(m, flags)
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
	if b, err = marshalMeta(short, flags); err != nil {
		return nil, err
	}
	if len(b) > MaxMetaSize {
		return nil, fmt.Errorf("%w: %d bytes with %d titles, still %d with their digest, limit %d",
			ErrMetaTooLarge, full, len(m.Titles), len(b), MaxMetaSize)
	}
	return b, nil
}

func marshalMeta(m Meta, flags byte) ([]byte, error) {
	var buf bytes.Buffer
	buf.Grow(256)
	buf.WriteByte(metaFormatV1)
	buf.WriteByte(flags)
	enc := json.NewEncoder(&buf)
	// '<', '>' and '&' would otherwise cost six bytes each in URLs.
	enc.SetEscapeHTML(false)
	if err := enc.Encode(m); err != nil {
		// Only a NaN or infinite Load or coordinate gets here.
		return nil, fmt.Errorf("cluster: encoding metadata: %w", err)
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte{'\n'}), nil
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
// (such as "leaving") are not part of Meta and are ignored here.
func DecodeMeta(b []byte) (Meta, error) {
	m, _, err := decodeWire(b)
	return m, err
}

func decodeWire(b []byte) (Meta, byte, error) {
	switch {
	case len(b) == 0:
		return Meta{}, 0, errors.New("cluster: no metadata (the node publishes none; not a stratus node?)")
	case len(b) > MaxMetaSize:
		return Meta{}, 0, fmt.Errorf("cluster: metadata of %d bytes exceeds the %d-byte limit", len(b), MaxMetaSize)
	case b[0] != metaFormatV1:
		return Meta{}, 0, fmt.Errorf("cluster: metadata format %d not understood, this build reads format %d (node running another release?)",
			b[0], metaFormatV1)
	case len(b) < metaHeaderSize:
		return Meta{}, 0, errors.New("cluster: metadata truncated inside its header")
	}
	var m Meta
	if err := json.Unmarshal(b[metaHeaderSize:], &m); err != nil {
		return Meta{}, 0, fmt.Errorf("cluster: metadata body (format 1, %d bytes): %w", len(b), err)
	}
	return m, b[1], nil
}
