package edge

import (
	"sync"
	"time"

	"stratus/edge/api"
	"stratus/stream"
)

// Standbys. A page that plays here may hold a second connection to the
// next-best edge, admitted as a standby: the peer is answered and
// connected (ICE, DTLS, SCTP, the data channels, the edge's beat on the
// motion channel), but no title runs and nothing is encoded. The page
// forwards each new resume token to it; when the serving edge dies the
// page activates the standby with one message, and the game resumes here
// on a connection already up instead of through a join (activate.go).
//
// How standbys count: not against admission. A standby takes no player
// slot, no encoder and no GPU share, and is not gossiped as load, since
// it costs the edge a peer connection and its beat only. They are bounded
// on their own: Config.Standbys per edge, one per signed-in player (and
// signaling holds each connection to one), and Config.StandbyIdle, after
// which a standby that heard nothing from its page is closed. Activation
// takes a slot like a join: an edge that has filled up since refuses it,
// and the page rejoins as it would have without a standby. A draining or
// closing edge takes no standbys and closes those it holds.
//
// A standby keeps no usage record: it is not a played session. The
// session its activation starts is metered as any other, from the
// activation on.

// standby is one admitted standby connection. Its fields are set before it
// is added to the room and read-only after, but for mu's.
type standby struct {
	id, title, player string
	// r is the session the standby becomes; its peer is the standby's
	// connection, and its callbacks find the session through it.
	r *running

	mu sync.Mutex
	// peer is the standby's connection, once answered (r.peer too).
	peer *stream.Peer
	// token is the latest resume token the page forwarded.
	token  string
	idle   *time.Timer // closes the standby when the page goes quiet
	closed bool
}

// setPeer gives sb its answered connection and starts its idle timer;
// false says sb was closed meanwhile, and the caller closes p.
func (sb *standby) setPeer(p *stream.Peer, idle time.Duration, onIdle func()) bool {
	sb.mu.Lock()
	defer sb.mu.Unlock()
	if sb.closed {
		return false
	}
	sb.peer, sb.r.peer = p, p
	sb.idle = time.AfterFunc(idle, onIdle)
	return true
}

// conn is sb's connection; nil before it was answered.
func (sb *standby) conn() *stream.Peer {
	sb.mu.Lock()
	defer sb.mu.Unlock()
	return sb.peer
}

// close stops the idle timer and closes the connection, once answered.
func (sb *standby) close() {
	sb.mu.Lock()
	sb.closed = true
	if sb.idle != nil {
		sb.idle.Stop()
	}
	p := sb.peer
	sb.mu.Unlock()
	if p != nil {
		p.Close()
	}
}

// latest is the last resume token the page forwarded.
func (sb *standby) latest() string {
	sb.mu.Lock()
	defer sb.mu.Unlock()
	return sb.token
}

func (sb *standby) keep(token string, idle time.Duration) {
	sb.mu.Lock()
	defer sb.mu.Unlock()
	if token != "" {
		sb.token = token
	}
	if sb.idle != nil {
		sb.idle.Reset(idle)
	}
}

func (sb *standby) stopIdle() {
	sb.mu.Lock()
	defer sb.mu.Unlock()
	if sb.idle != nil {
		sb.idle.Stop()
	}
}

// standbys is the single owner of the edge's standbys: one is added
// before its peer is answered (so that set-ups count against the limit)
// and leaves the room exactly once, by take (activation) or remove (the
// page went away, idle, drain, close). Its methods are safe for concurrent
// use.
type standbys struct {
	name  string // the edge's, for refusals
	limit int

	mu      sync.Mutex
	m       map[string]*standby
	players map[string]string // signed-in player → their standby's id
	closed  bool
}

func newStandbys(name string, limit int) *standbys {
	return &standbys{name: name, limit: limit, m: map[string]*standby{}, players: map[string]string{}}
}

// add admits sb, or says why not: the edge is closed or draining
// (api.CodeDraining), at its limit (api.CodeEdgeFull), or the player
// holds a standby here already (api.CodeRateLimited).
func (s *standbys) add(sb *standby, draining bool) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	switch {
	case s.closed || draining:
		return api.Errorf(api.CodeDraining, "edge %s is draining", s.name)
	case len(s.m) >= s.limit:
		return api.Errorf(api.CodeEdgeFull, "edge %s holds %d standbys, its limit", s.name, s.limit)
	case sb.player != "" && s.players[sb.player] != "":
		return api.Errorf(api.CodeRateLimited, "player holds a standby on edge %s already", s.name)
	}
	s.m[sb.id] = sb
	if sb.player != "" {
		s.players[sb.player] = sb.id
	}
	return nil
}

// get finds a standby by id.
func (s *standbys) get(id string) (*standby, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	sb, ok := s.m[id]
	return sb, ok
}

// remove takes sb out of the room; it reports whether sb was there, so
// that one caller only closes it.
func (s *standbys) remove(sb *standby) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.m[sb.id] != sb {
		return false
	}
	delete(s.m, sb.id)
	if sb.player != "" && s.players[sb.player] == sb.id {
		delete(s.players, sb.player)
	}
	return true
}

// closeAll empties the room and refuses later standbys once stop is set
// (the edge closes); it returns the standbys it took out.
func (s *standbys) closeAll(stop bool) []*standby {
	s.mu.Lock()
	defer s.mu.Unlock()
	if stop {
		s.closed = true
	}
	out := make([]*standby, 0, len(s.m))
	for _, sb := range s.m {
		out = append(out, sb)
	}
	clear(s.m)
	clear(s.players)
	return out
}

func (s *standbys) len() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.m)
}
