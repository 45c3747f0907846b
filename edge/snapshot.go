package edge

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"time"
)

// A resume token carries a title's saved state to the player's page, which
// hands it to the next edge if this one dies or drains. The state lives with
// the player, so nothing has to be fetched from an edge that is gone. Tokens
// are signed with the cluster's state key, so a page can neither forge a
// score nor carry state from one title into another.
//
//	[version 1][title length 1][title][saved at, Unix ms, 8][state][HMAC-SHA256 32]
const (
	tokenVersion = 1
	// tokenMaxAge bounds how old a state may be resumed: long enough for a
	// player to reconnect after a crash, short enough that an old token
	// cannot be replayed for ever.
	tokenMaxAge = 15 * time.Minute
)

var errBadToken = errors.New("resume token invalid or expired")

// sealState makes a resume token.
func sealState(key []byte, titleID string, at time.Time, state []byte) string {
	b := make([]byte, 0, 2+len(titleID)+8+len(state)+sha256.Size)
	b = append(b, tokenVersion, byte(len(titleID)))
	b = append(b, titleID...)
	b = binary.BigEndian.AppendUint64(b, uint64(at.UnixMilli()))
	b = append(b, state...)
	m := hmac.New(sha256.New, key)
	m.Write(b)
	b = m.Sum(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

// openState checks a resume token for titleID and returns the state in it.
func openState(key []byte, titleID string, token string, now time.Time) ([]byte, error) {
	b, err := base64.RawURLEncoding.DecodeString(token)
	if err != nil || len(b) < 2+8+sha256.Size {
		return nil, errBadToken
	}
	body, mac := b[:len(b)-sha256.Size], b[len(b)-sha256.Size:]
	m := hmac.New(sha256.New, key)
	m.Write(body)
	if !hmac.Equal(mac, m.Sum(nil)) {
		return nil, errBadToken
	}
	if body[0] != tokenVersion || len(body) < 2+int(body[1])+8 {
		return nil, errBadToken
	}
	n := int(body[1])
	if string(body[2:2+n]) != titleID {
		return nil, fmt.Errorf("resume token is for another title")
	}
	at := time.UnixMilli(int64(binary.BigEndian.Uint64(body[2+n:])))
	if age := now.Sub(at); age > tokenMaxAge || age < -time.Minute {
		return nil, errBadToken
	}
	return body[2+n+8:], nil
}
