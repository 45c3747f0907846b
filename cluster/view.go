package cluster

import (
	"cmp"
	"crypto/ed25519"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hashicorp/memberlist"
)

// Member states, as Member.State and in events.
const (
	StateAlive = "alive"
	// StateLeaving: the member announced a graceful Leave and is still
	// reachable; give it no new work.
	StateLeaving = "leaving"
	// StateSuspect is reserved: memberlist v0.7.0 does not tell its user
	// when it suspects a member (its Node.State is never filled in), so a
	// suspect member is listed as alive until it is declared dead.
	StateSuspect = "suspect"
	// StateDead: declared failed by the pool (it stopped answering).
	StateDead = "dead"
	// StateLeft: left gracefully.
	StateLeft = "left"
)

// Member is one node of a pool as this node sees it.
type Member struct {
	Name string
	// Addr is the member's gossip address, host:port.
	Addr string
	// Meta is the member's metadata. It is the zero Meta when the member's
	// metadata could not be decoded (another release, not a stratus node):
	// its empty Role and Health keep it out of routing, and the pool logs a
	// rate-limited warning and counts it in Stats().MalformedMeta.
	Meta Meta
	// State is StateAlive or StateLeaving in Members(); events also carry
	// StateDead and StateLeft.
	State string
	// Key is the member's node key when its metadata is signed; where the
	// pool checks identities, the network certified it for this name,
	// role and Meta.Operator.
	Key ed25519.PublicKey
}

// EventType says what happened to a member.
type EventType int

const (
	// EventJoin: a member appeared (or came back).
	EventJoin EventType = iota + 1
	// EventUpdate: a member's metadata or state (leaving) changed.
	EventUpdate
	// EventLeave: a member is gone; Member.State is StateDead or StateLeft
	// and Member.Meta its last metadata.
	EventLeave
	// EventResync: the subscriber was too slow and events were dropped
	// after this point; re-read Pool.Members(). Its Member is empty.
	EventResync
)

func (t EventType) String() string {
	switch t {
	case EventJoin:
		return "join"
	case EventUpdate:
		return "update"
	case EventLeave:
		return "leave"
	case EventResync:
		return "resync"
	}
	return "unknown"
}

// Event is one change of the member view.
type Event struct {
	Type   EventType
	Member Member
	// At is when this node learned of it (not when the subscriber reads it).
	At time.Time
}

// subscriberBuffer is the capacity of a Subscribe channel. A 100-member
// pool starting up sends about 100 joins at once.
const subscriberBuffer = 256

// entry is a member of the view; leaving is the header flag of its meta.
type entry struct {
	member  Member
	leaving bool
}

// view is the pool's cached member list, kept current by memberlist's
// EventDelegate callbacks (events.go). The callbacks run under memberlist's
// node lock, so everything here is short and never blocks: subscribers get
// events by non-blocking sends.
type view struct {
	self string
	log  *slog.Logger
	// warn limits "undecodable metadata" warnings: a node of another release
	// republishes often, and each republish would warn again.
	warn *limiter

	mu      sync.Mutex
	members map[string]*entry
	sorted  []Member // cache for Members; nil when stale
	subs    map[*subscriber]struct{}
	closed  bool
	// joinedOnce closes joined the first time another member appears.
	joined     chan struct{}
	joinedOnce sync.Once
	// alone gets a signal whenever the last other member goes away, so the
	// join loop can try the seeds again.
	alone chan struct{}

	// network is PoolConfig.Network: nil believes any metadata.
	network ed25519.PublicKey
	// versions is the newest metadata version believed of each member,
	// kept after it goes so that its old metadata replayed later is
	// refused. Only certified names get an entry, so it stays as small as
	// the network. Guarded by mu.
	versions map[string]uint64

	dropped   atomic.Uint64
	malformed atomic.Uint64
	refused   atomic.Uint64
}

type subscriber struct {
	ch chan Event
}

func newView(self string, network ed25519.PublicKey, log *slog.Logger) *view {
	return &view{
		self:     self,
		log:      log,
		network:  network,
		versions: make(map[string]uint64),
		warn:     newLimiter(0.1, 5),
		members:  make(map[string]*entry),
		subs:     make(map[*subscriber]struct{}),
		joined:   make(chan struct{}),
		alone:    make(chan struct{}, 1),
	}
}

// decode turns a memberlist node into a Member, and says which version of
// its metadata it believed (0: none). Undecodable or unbelieved metadata
// gives a zero Meta (see Member.Meta).
func (v *view) decode(n *memberlist.Node) (m Member, leaving bool, version uint64) {
	m = Member{Name: n.Name, Addr: n.Address(), State: StateAlive}
	w, err := parseWire(n.Meta)
	if err != nil {
		v.malformed.Add(1)
		v.warnf("gossip: member metadata unreadable; listing it with empty metadata, so it gets no players", m, len(n.Meta), err)
		return m, false, 0
	}
	if err := v.believe(n.Name, w); err != nil {
		v.refused.Add(1)
		v.warnf("gossip: member metadata refused; listing it with empty metadata, so it gets no work", m, len(n.Meta), err)
		return m, false, 0
	}
	m.Meta, m.Key = w.meta, w.key
	leaving = w.flags&metaFlagLeaving != 0
	if leaving {
		m.State = StateLeaving
	}
	return m, leaving, w.meta.Version
}

// believe says whether metadata is to be believed: where the pool checks
// identities, signed by its node and certified by the network for its name,
// role and operator; elsewhere, correctly signed when signed at all.
func (v *view) believe(name string, w wireMeta) error {
	if v.network == nil {
		if w.key == nil {
			return nil
		}
		return w.verify(name)
	}
	if w.key == nil {
		return errors.New("cluster: the metadata is not signed, and this pool believes only enrolled nodes")
	}
	if err := w.verify(name); err != nil {
		return err
	}
	return VerifyCert(v.network, name, w.meta.Role, w.meta.Operator, w.key, w.cert)
}

// stale says whether version is older than one already believed of name,
// recording it otherwise. Called with mu held.
func (v *view) stale(name string, version uint64) bool {
	if v.network == nil || version == 0 {
		return false
	}
	if version < v.versions[name] {
		return true
	}
	v.versions[name] = version
	return false
}

// warnf logs a member whose metadata is not used, rate limited: a node
// of another release, or a forger, republishes often.
func (v *view) warnf(msg string, m Member, size int, err error) {
	if ok, lost := v.warn.allow(time.Now()); ok {
		v.log.Warn(msg, "member", m.Name, "addr", m.Addr, "bytes", size, "err", err, "suppressed_before", lost)
	}
}

// refuseStale counts and logs replayed metadata. Called with mu held.
func (v *view) refuseStale(m Member, version uint64) {
	v.refused.Add(1)
	v.warnf("gossip: member metadata refused", m, 0,
		fmt.Errorf("version %d is older than version %d already seen (replayed?)", version, v.versions[m.Name]))
}

func (v *view) notifyJoin(n *memberlist.Node) {
	m, leaving, version := v.decode(n)
	v.mu.Lock()
	defer v.mu.Unlock()
	if v.stale(n.Name, version) {
		v.refuseStale(m, version)
		m, leaving = Member{Name: m.Name, Addr: m.Addr, State: StateAlive}, false
	}
	v.members[n.Name] = &entry{member: m, leaving: leaving}
	v.sorted = nil
	if n.Name != v.self {
		v.log.Info("gossip: member joined", "member", n.Name, "addr", m.Addr, "role", m.Meta.Role, "operator", m.Meta.Operator)
		v.joinedOnce.Do(func() { close(v.joined) })
	}
	v.publish(Event{Type: EventJoin, Member: m, At: time.Now()})
}

func (v *view) notifyUpdate(n *memberlist.Node) {
	m, leaving, version := v.decode(n)
	v.mu.Lock()
	defer v.mu.Unlock()
	if v.stale(n.Name, version) {
		// Keep what was believed before.
		v.refuseStale(m, version)
		return
	}
	e, ok := v.members[n.Name]
	if !ok {
		// memberlist reports a join before any update; be lenient anyway.
		e = &entry{}
		v.members[n.Name] = e
	}
	if leaving && !e.leaving {
		v.log.Info("gossip: member leaving", "member", n.Name)
	}
	e.member, e.leaving = m, leaving
	v.sorted = nil
	v.publish(Event{Type: EventUpdate, Member: m, At: time.Now()})
}

func (v *view) notifyLeave(n *memberlist.Node) {
	v.mu.Lock()
	defer v.mu.Unlock()
	e, ok := v.members[n.Name]
	if !ok {
		return
	}
	delete(v.members, n.Name)
	v.sorted = nil
	// memberlist does not say whether the node left or failed (Node.State
	// is never set); the leaving flag it gossiped just before tells.
	m := e.member
	if e.leaving {
		m.State = StateLeft
		v.log.Info("gossip: member left", "member", n.Name)
	} else {
		m.State = StateDead
		if n.Name != v.self {
			v.log.Warn("gossip: member failed", "member", n.Name, "addr", m.Addr)
		}
	}
	if n.Name != v.self && v.othersLocked() == 0 {
		select {
		case v.alone <- struct{}{}:
		default:
		}
	}
	v.publish(Event{Type: EventLeave, Member: m, At: time.Now()})
}

// publish sends ev to every subscriber without blocking. Called with v.mu
// held, so it is the only sender and events keep their order.
//
// The last slot of each channel is kept for EventResync: a normal event is
// sent only while at least two slots are free; with one free, the resync
// goes in; with none, the event is dropped. A full channel therefore always
// ends in an unread resync, which the subscriber reads after the view
// already holds every change it missed.
func (v *view) publish(ev Event) {
	if v.closed {
		return
	}
	for s := range v.subs {
		switch free := cap(s.ch) - len(s.ch); {
		case free >= 2:
			s.ch <- ev
		case free == 1:
			s.ch <- Event{Type: EventResync, At: ev.At}
			v.dropped.Add(1)
		default:
			v.dropped.Add(1)
		}
	}
}

func (v *view) subscribe() (<-chan Event, func()) {
	s := &subscriber{ch: make(chan Event, subscriberBuffer)}
	v.mu.Lock()
	defer v.mu.Unlock()
	if v.closed {
		close(s.ch)
		return s.ch, func() {}
	}
	v.subs[s] = struct{}{}
	return s.ch, func() {
		v.mu.Lock()
		defer v.mu.Unlock()
		if _, ok := v.subs[s]; ok {
			delete(v.subs, s)
			close(s.ch)
		}
	}
}

// list returns the alive and leaving members, self included, by name.
func (v *view) list() []Member {
	v.mu.Lock()
	defer v.mu.Unlock()
	if v.sorted == nil {
		v.sorted = make([]Member, 0, len(v.members))
		for _, e := range v.members {
			v.sorted = append(v.sorted, e.member)
		}
		slices.SortFunc(v.sorted, func(a, b Member) int { return cmp.Compare(a.Name, b.Name) })
	}
	return slices.Clone(v.sorted)
}

// count is the number of members, self included.
func (v *view) count() int {
	v.mu.Lock()
	defer v.mu.Unlock()
	return len(v.members)
}

// others is the number of members other than self.
func (v *view) others() int {
	v.mu.Lock()
	defer v.mu.Unlock()
	return v.othersLocked()
}

func (v *view) othersLocked() int {
	n := len(v.members)
	if _, ok := v.members[v.self]; ok {
		n--
	}
	return n
}

// close ends every subscription; later memberlist callbacks (which may
// still arrive while it shuts down) change nothing.
func (v *view) close() {
	v.mu.Lock()
	defer v.mu.Unlock()
	v.closed = true
	for s := range v.subs {
		close(s.ch)
	}
	clear(v.subs)
}
