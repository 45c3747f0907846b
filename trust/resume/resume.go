// Package resume is the players' saved game state as it travels between
// edges: resume tokens, sealed with a key derived from the cluster key,
// and the record of tokens already taken that makes each usable once.
// Edges take a token when they restore a title from it; signaling nodes
// take it too when they place a resumed join, so that a token copied from
// one page cannot be spent again on another edge.
package resume

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"sync"
	"time"
)

// A resume token carries a title's saved state to the player's page, which
// hands it to the next edge if this one dies or drains. The state lives with
// the player, so nothing has to be fetched from an edge that is gone. Tokens
// are signed with the cluster's state key, so a page can neither forge a
// score nor carry state from one title into another.
//
// Each token also names its lineage (a random id the player's first session
// draws, which every session resumed from it carries on) and its place in
// it (a sequence number that grows with every token the lineage issues). An
// edge takes a lineage's token only if it is newer than every one it took
// before: a token is usable once, and an older save cannot be replayed
// over a newer one.
//
//	[version 1][title length 1][title][lineage 16][sequence 8][saved at, Unix ms, 8][state][HMAC-SHA256 32]
const (
	tokenVersion = 2
	// MaxAge bounds how old a state may be resumed: long enough for a
	// player to reconnect after a crash, short enough that an old token
	// cannot be replayed for ever.
	MaxAge = 15 * time.Minute
)

var (
	ErrBad   = errors.New("resume token invalid or expired")
	ErrSpent = errors.New("resume token already used (or older than one that was)")
)

// Lineage identifies a chain of sessions resumed one from another.
type Lineage [16]byte

func NewLineage() Lineage {
	var l Lineage
	rand.Read(l[:])
	return l
}

// Token is an opened token.
type Token struct {
	Lineage Lineage
	Seq     uint64
	State   []byte
}

// Seal makes a resume token.
func Seal(key []byte, titleID string, l Lineage, seq uint64, at time.Time, state []byte) string {
	b := make([]byte, 0, 2+len(titleID)+16+8+8+len(state)+sha256.Size)
	b = append(b, tokenVersion, byte(len(titleID)))
	b = append(b, titleID...)
	b = append(b, l[:]...)
	b = binary.BigEndian.AppendUint64(b, seq)
	b = binary.BigEndian.AppendUint64(b, uint64(at.UnixMilli()))
	b = append(b, state...)
	m := hmac.New(sha256.New, key)
	m.Write(b)
	b = m.Sum(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

// Open checks a resume token for titleID.
func Open(key []byte, titleID string, token string, now time.Time) (Token, error) {
	b, err := base64.RawURLEncoding.DecodeString(token)
	if err != nil || len(b) < 2+16+8+8+sha256.Size {
		return Token{}, ErrBad
	}
	body, mac := b[:len(b)-sha256.Size], b[len(b)-sha256.Size:]
	m := hmac.New(sha256.New, key)
	m.Write(body)
	if !hmac.Equal(mac, m.Sum(nil)) {
		return Token{}, ErrBad
	}
	if body[0] != tokenVersion || len(body) < 2+int(body[1])+16+8+8 {
		return Token{}, ErrBad
	}
	n := int(body[1])
	if string(body[2:2+n]) != titleID {
		return Token{}, fmt.Errorf("resume token is for another title")
	}
	var t Token
	rest := body[2+n:]
	copy(t.Lineage[:], rest[:16])
	t.Seq = binary.BigEndian.Uint64(rest[16:])
	at := time.UnixMilli(int64(binary.BigEndian.Uint64(rest[24:])))
	if age := now.Sub(at); age > MaxAge || age < -time.Minute {
		return Token{}, ErrBad
	}
	t.State = rest[32:]
	return t, nil
}

// Spent remembers, per lineage, the newest token its owner (an edge, or
// a signaling node for all the edges it places players on) took, for
// as long as a token lives. Safe for concurrent use.
type Spent struct {
	mu  sync.Mutex
	max int // lineages remembered at most: bounds memory under a flood
	by  map[Lineage]spent
}

type spent struct {
	seq uint64
	at  time.Time
	// used says whether the session that took it got its player; nil
	// counts as yes.
	used func() bool
}

// maxSpent bounds the lineages an edge remembers: far more than players
// resume on one edge within MaxAge.
const maxSpent = 100_000

func NewSpent() *Spent { return &Spent{max: maxSpent, by: map[Lineage]spent{}} }

// take records t as used by a session whose used reports whether its
// player ever connected, or refuses it when the lineage already used a
// newer token, or this one in a session its player reached. A token whose
// session never connected (the join failed on the way) may be taken again.
func (s *Spent) Take(t Token, now time.Time, used func() bool) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if old, ok := s.by[t.Lineage]; ok && (t.Seq < old.seq || t.Seq == old.seq && (old.used == nil || old.used())) {
		return ErrSpent
	}
	if len(s.by) >= s.max {
		for l, e := range s.by {
			if now.Sub(e.at) > MaxAge {
				delete(s.by, l)
			}
		}
		if len(s.by) >= s.max {
			// Every entry is live: a flood. Refusing would let it block
			// real resumes, so the oldest make room.
			s.evictOldest()
		}
	}
	s.by[t.Lineage] = spent{seq: t.Seq, at: now, used: used}
	return nil
}

func (s *Spent) evictOldest() {
	var oldest Lineage
	var at time.Time
	for l, e := range s.by {
		if at.IsZero() || e.at.Before(at) {
			oldest, at = l, e.at
		}
	}
	delete(s.by, oldest)
}
