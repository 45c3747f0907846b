package signaling

import (
	"container/list"
	"errors"
	"fmt"
	"math"
	"net"
	"net/http"
	"sync"
	"time"

	"stratus/stream"
)

// Limits bound what one client may ask of a signaling node, so that one
// address cannot hold every socket, start sessions without end or keep the
// edges busy with candidates.
//
// A client is the host part of the request's RemoteAddr, or its /64 for
// IPv6 (clientIP). Forwarding headers (X-Forwarded-For, Forwarded) are not
// trusted: anyone can write them. A node behind a reverse proxy therefore
// sees every player as the proxy's address; trusting a configured list of
// proxies is not supported yet, so such a node needs limits raised to what
// the proxy's players need.
type Limits struct {
	// WebSocketsPerIP bounds the player sockets one address holds open at
	// once.
	WebSocketsPerIP int
	// JoinsPerMinute is how many joins one address may send a minute, as
	// a token bucket holding that many: a burst of joins in a row (a
	// failover rejoin retried a few times) passes, a steady stream does not.
	// Every join counts, those refused included, so that it also bounds
	// the sign-in checks one address costs.
	JoinsPerMinute int
	// SessionsPerPlayer bounds the sessions one player holds at once. A
	// player is the subject of their sign-in where players sign in
	// (Config.PlayerAuth), and their address where they are anonymous. A
	// rejoin on the same socket (failover, a move off a draining edge)
	// ends the socket's session first, so it is not counted twice.
	SessionsPerPlayer int
	// CandidatesPerSession bounds the ICE candidates relayed to the edge for
	// one session.
	CandidatesPerSession int
	// TrackedIPs bounds the addresses remembered; beyond it the one least
	// recently seen is forgotten.
	TrackedIPs int
	// Forget is how long an address with no socket open is remembered.
	Forget time.Duration
}

// DefaultLimits returns the limits a public node starts with.
func DefaultLimits() Limits {
	return Limits{
		// A household behind one NAT address: a few players, a few tabs
		// each, and the sockets a page opens while it fails over.
		WebSocketsPerIP: 8,
		// A page joins once per game, and a few times in a row while it
		// fails over (each attempt a join); 30 a minute leaves room for
		// a household doing both.
		JoinsPerMinute: 30,
		// One game per player: a second one is a second player, or abuse.
		SessionsPerPlayer: 1,
		// As many as the edge accepts from a player (stream.MaxCandidates);
		// more would only be refused there.
		CandidatesPerSession: stream.MaxCandidates,
		// About 100 bytes each: 64 Ki addresses cost a few MiB at most.
		TrackedIPs: 1 << 16,
		// A bucket refills within a minute, so an idle address forgotten
		// after two is one that would be allowed everything anyway.
		Forget: 2 * time.Minute,
	}
}

// Validate reports every problem at once.
func (l Limits) Validate() error {
	var errs []error
	for _, f := range []struct {
		name string
		v    int
	}{
		{"websockets per ip", l.WebSocketsPerIP},
		{"joins per minute", l.JoinsPerMinute},
		{"sessions per player", l.SessionsPerPlayer},
		{"candidates per session", l.CandidatesPerSession},
		{"tracked ips", l.TrackedIPs},
	} {
		if f.v <= 0 {
			errs = append(errs, fmt.Errorf("signaling: %s %d must be positive", f.name, f.v))
		}
	}
	if l.Forget < time.Minute {
		// Forgetting an address sooner than its bucket refills would hand
		// it a full bucket early.
		errs = append(errs, fmt.Errorf("signaling: forget %v must be at least a minute", l.Forget))
	}
	return errors.Join(errs...)
}

// socketRetryAfter is the Retry-After of a socket refused for its address's
// count: the page backs off on its own; this is a hint for other clients.
const socketRetryAfter = 10 * time.Second

// ipv6ClientBits is how much of an IPv6 address names one client: a
// household or a host is given a /64, every address of which it may use.
const ipv6ClientBits = 64

// clientIP is the client of r: the host of its RemoteAddr, or its /64 for
// IPv6 (see Limits on forwarding headers).
func clientIP(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		host = r.RemoteAddr
	}
	ip := net.ParseIP(host)
	if ip == nil {
		return host
	}
	if v4 := ip.To4(); v4 != nil {
		return v4.String() // also when written as IPv6 (::ffff:a.b.c.d)
	}
	return fmt.Sprintf("%s/%d", ip.Mask(net.CIDRMask(ipv6ClientBits, 128)), ipv6ClientBits)
}

// clients counts what each address holds and may still do, and the
// sessions each player holds. It is safe for concurrent use; no method
// blocks on anything but its mutex.
type clients struct {
	lim Limits
	now func() time.Time

	mu    sync.Mutex
	byIP  map[string]*list.Element // of *client
	order *list.List               // least recently seen first
	// players counts the sessions of each player holding any: no more
	// entries than sessions, each held by a connection.
	players map[player]int
}

// player is who Limits.SessionsPerPlayer counts: the subject of a signed-in
// player, or the address of an anonymous one.
type player struct {
	subject string // "" for an anonymous player
	ip      string // an anonymous player's
}

// client is one address's counts; its fields are guarded by clients.mu. A
// client forgotten while it holds sockets keeps being released through
// its connections, harmlessly: it is no longer in the table.
type client struct {
	ip      string
	sockets int
	tokens  float64 // joins left, refilled at JoinsPerMinute a minute
	seen    time.Time
}

func newClients(lim Limits, now func() time.Time) *clients {
	return &clients{lim: lim, now: now, byIP: map[string]*list.Element{}, order: list.New(), players: map[player]int{}}
}

// get returns ip's client, remembering it; cs.mu is held.
func (cs *clients) get(ip string) *client {
	now := cs.now()
	cs.forget(now)
	if e, ok := cs.byIP[ip]; ok {
		cl := e.Value.(*client)
		cs.refill(cl, now)
		cl.seen = now
		cs.order.MoveToBack(e)
		return cl
	}
	for cs.order.Len() >= cs.lim.TrackedIPs {
		old := cs.order.Front()
		cs.order.Remove(old)
		delete(cs.byIP, old.Value.(*client).ip)
	}
	cl := &client{ip: ip, tokens: float64(cs.lim.JoinsPerMinute), seen: now}
	cs.byIP[ip] = cs.order.PushBack(cl)
	return cl
}

// forget drops the addresses not seen for Limits.Forget that hold nothing;
// one still holding a socket counts as seen now.
func (cs *clients) forget(now time.Time) {
	for n := cs.order.Len(); n > 0; n-- {
		e := cs.order.Front()
		cl := e.Value.(*client)
		if now.Sub(cl.seen) < cs.lim.Forget {
			return
		}
		if cl.sockets > 0 {
			cs.refill(cl, now)
			cl.seen = now
			cs.order.MoveToBack(e)
			continue
		}
		cs.order.Remove(e)
		delete(cs.byIP, cl.ip)
	}
}

func (cs *clients) refill(cl *client, now time.Time) {
	per := float64(cs.lim.JoinsPerMinute)
	cl.tokens = min(per, cl.tokens+now.Sub(cl.seen).Minutes()*per)
}

// openSocket counts a socket of ip, unless ip holds as many as allowed.
func (cs *clients) openSocket(ip string) (*client, bool) {
	cs.mu.Lock()
	defer cs.mu.Unlock()
	cl := cs.get(ip)
	if cl.sockets >= cs.lim.WebSocketsPerIP {
		return nil, false
	}
	cl.sockets++
	return cl, true
}

func (cs *clients) closeSocket(cl *client) {
	cs.mu.Lock()
	defer cs.mu.Unlock()
	cl.sockets--
}

// limitError is a refusal for being over a limit, in the page's words.
type limitError struct {
	limit string // which, for logs and metrics
	msg   string
}

func (e *limitError) Error() string { return e.msg }

// takeJoin takes one of cl's joins, or says the limit refuses.
func (cs *clients) takeJoin(cl *client) *limitError {
	cs.mu.Lock()
	defer cs.mu.Unlock()
	now := cs.now()
	cs.refill(cl, now)
	cl.seen = now
	if cl.tokens < 1 {
		wait := (1 - cl.tokens) / float64(cs.lim.JoinsPerMinute) * 60
		return &limitError{"joins", fmt.Sprintf("too many joins from your address: try again in %.0f s", math.Ceil(wait))}
	}
	cl.tokens--
	return nil
}

// holdSession takes one of p's session slots, or says the limit refuses.
// The slot is given back with endSession.
func (cs *clients) holdSession(p player) *limitError {
	cs.mu.Lock()
	defer cs.mu.Unlock()
	if n := cs.players[p]; n >= cs.lim.SessionsPerPlayer {
		where := "another tab or device on your network"
		if p.subject != "" {
			where = "another tab or device signed in as you"
		}
		return &limitError{"sessions", fmt.Sprintf("you already play %d game(s) elsewhere (%s); leave it first", n, where)}
	}
	cs.players[p]++
	return nil
}

func (cs *clients) endSession(p player) {
	cs.mu.Lock()
	defer cs.mu.Unlock()
	if cs.players[p]--; cs.players[p] <= 0 {
		delete(cs.players, p)
	}
}
