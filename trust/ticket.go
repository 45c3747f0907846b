package trust

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"strings"
	"sync"
	"time"
)

// A ticket authorises one call of a signaling node on one edge's control
// API: this method on this path of this edge, about this subject (the
// title a session is created for, or the session a call is about), once,
// within TicketTTL. Signaling nodes and edges share the key (derived from
// the cluster key), so a ticket cannot be forged without it, cannot be
// pointed at another edge, session or title, and cannot be replayed.
//
// A ticket travels in the TicketHeader header as
// "<base64url(JSON claims)>.<base64url(HMAC-SHA256)>".
type Ticket struct {
	Edge    string `json:"e"`
	Method  string `json:"m"`
	Path    string `json:"p"`
	Subject string `json:"s,omitempty"`
	// Expires is Unix milliseconds.
	Expires int64  `json:"x"`
	Nonce   string `json:"n"`
}

// TicketHeader carries a ticket.
const TicketHeader = "Stratus-Ticket"

// TicketTTL bounds a ticket's life: a call is made the moment its ticket
// is, so a few seconds cover clock skew between machines; what is left
// bounds how long an edge remembers nonces.
const TicketTTL = 30 * time.Second

var (
	// ErrBadTicket is a ticket that is malformed, forged or expired.
	ErrBadTicket = errors.New("ticket invalid or expired")
	// ErrReplayedTicket is a ticket used before.
	ErrReplayedTicket = errors.New("ticket already used")
)

// SignTicket makes a ticket for one call.
func SignTicket(key []byte, edge, method, path, subject string, now time.Time) string {
	var n [12]byte
	rand.Read(n[:])
	t := Ticket{Edge: edge, Method: method, Path: path, Subject: subject,
		Expires: now.Add(TicketTTL).UnixMilli(), Nonce: base64.RawURLEncoding.EncodeToString(n[:])}
	body, _ := json.Marshal(t) // strings and a number: cannot fail
	b := base64.RawURLEncoding.EncodeToString(body)
	return b + "." + base64.RawURLEncoding.EncodeToString(mac(key, b))
}

// OpenTicket checks a ticket's signature and expiry and returns its claims.
func OpenTicket(key []byte, s string, now time.Time) (Ticket, error) {
	b, sig, ok := strings.Cut(s, ".")
	if !ok || len(s) > 4096 {
		return Ticket{}, ErrBadTicket
	}
	got, err := base64.RawURLEncoding.DecodeString(sig)
	if err != nil || !hmac.Equal(got, mac(key, b)) {
		return Ticket{}, ErrBadTicket
	}
	body, err := base64.RawURLEncoding.DecodeString(b)
	if err != nil {
		return Ticket{}, ErrBadTicket
	}
	var t Ticket
	if err := json.Unmarshal(body, &t); err != nil || t.Nonce == "" {
		return Ticket{}, ErrBadTicket
	}
	exp := time.UnixMilli(t.Expires)
	if now.After(exp) || exp.Sub(now) > 2*TicketTTL {
		return Ticket{}, ErrBadTicket
	}
	return t, nil
}

func mac(key []byte, b string) []byte {
	m := hmac.New(sha256.New, key)
	m.Write([]byte("stratus ticket\x00"))
	m.Write([]byte(b))
	return m.Sum(nil)
}

// Nonces remembers the tickets used until they expire, so that each is
// used once. Safe for concurrent use.
type Nonces struct {
	mu   sync.Mutex
	seen map[string]time.Time // nonce → expiry
	max  int
}

// maxNonces bounds the memory: far more calls than an edge gets in a
// ticket's life.
const maxNonces = 200_000

// NewNonces returns an empty set.
func NewNonces() *Nonces { return &Nonces{seen: map[string]time.Time{}, max: maxNonces} }

// Use records t's nonce, or refuses a ticket seen before. When full of
// live nonces it refuses every new ticket rather than forget one that
// could then be replayed.
func (n *Nonces) Use(t Ticket, now time.Time) error {
	n.mu.Lock()
	defer n.mu.Unlock()
	if _, ok := n.seen[t.Nonce]; ok {
		return ErrReplayedTicket
	}
	if len(n.seen) >= n.max {
		for k, exp := range n.seen {
			if now.After(exp) {
				delete(n.seen, k)
			}
		}
		if len(n.seen) >= n.max {
			return errors.New("too many tickets in flight")
		}
	}
	n.seen[t.Nonce] = time.UnixMilli(t.Expires)
	return nil
}
