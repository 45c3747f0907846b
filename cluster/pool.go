package cluster

import (
	"cmp"
	"fmt"
	"log/slog"
	"net"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hashicorp/memberlist"
)

// defaultLeaveTimeout is what Leave waits when given no timeout (memberlist
// itself would wait forever).
const defaultLeaveTimeout = 5 * time.Second

// Pool is this node's membership in one gossip pool. Its methods are safe
// for concurrent use.
type Pool struct {
	cfg     PoolConfig
	profile Profile
	log     *slog.Logger
	ml      *memberlist.Memberlist
	view    *view
	bridge  *logBridge
	timings timings
	// bindPort is the port actually bound (cfg.BindPort may be 0).
	bindPort int

	// metaMu serializes SetMeta, so versions and broadcasts keep order.
	metaMu sync.Mutex
	local  atomic.Pointer[localMeta]

	// lifeMu: Leave and Close take it exclusively, SetMeta shared, because
	// memberlist panics on Leave after Shutdown and its state after either
	// must not be changed.
	lifeMu sync.RWMutex
	left   bool
	closed bool

	closeOnce sync.Once
	closeErr  error
	stopOnce  sync.Once
	stop      chan struct{} // closed by Leave or Close; ends the join loop
	wg        sync.WaitGroup

	joinAttempts atomic.Uint64
	joinFailures atomic.Uint64
	lastJoinErr  atomic.Pointer[string]
}

// NewPool starts a member of cfg.Pool with the given metadata. It fails only
// on a bad configuration or when it cannot bind; joining the seeds happens
// in the background (see Joined), retried until another member is seen and
// again whenever this node finds itself alone, until Leave or Close.
//
// meta.Version is raised to at least the current Unix time in milliseconds,
// so a restarted node's versions keep increasing.
func NewPool(cfg PoolConfig, meta Meta, log *slog.Logger) (*Pool, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	log = log.With("pool", cfg.Pool, "node", cfg.Name)

	p := &Pool{
		cfg:     cfg,
		profile: cfg.profile(),
		log:     log,
		view:    newView(cfg.Name, cfg.Network, log),
		bridge:  newLogBridge(log),
		stop:    make(chan struct{}),
	}
	meta.Version = max(meta.Version, uint64(time.Now().UnixMilli()))
	lm, err := p.seal(meta, 0)
	if err != nil {
		return nil, fmt.Errorf("cluster: initial metadata: %w", err)
	}
	p.local.Store(lm)

	mc, t := p.profile.memberlistConfig()
	p.timings = t
	mc.Name = cfg.Name
	mc.Label = cfg.Label()
	mc.BindAddr = cmp.Or(cfg.BindAddr, "0.0.0.0")
	mc.BindPort = cfg.BindPort
	mc.AdvertiseAddr = cfg.AdvertiseAddr
	mc.AdvertisePort = cfg.AdvertisePort
	if cfg.AdvertisePort == 0 {
		// memberlist advertises the bound port when this is its own default;
		// an ephemeral bind sets both.
		mc.AdvertisePort = cfg.BindPort
	}
	if len(cfg.Key) > 0 {
		kr, err := memberlist.NewKeyring(nil, slices.Clone(cfg.Key))
		if err != nil {
			return nil, fmt.Errorf("cluster: cluster key: %w", err)
		}
		mc.Keyring = kr
	} else {
		log.Warn("gossip is NOT encrypted (dev mode, no cluster key): anyone reaching the port can join and read the pool")
	}
	// Refuse unencrypted traffic and never send any (both default to true;
	// stated because the tests rely on it).
	mc.GossipVerifyIncoming = true
	mc.GossipVerifyOutgoing = true
	mc.Delegate = delegate{local: &p.local}
	mc.Events = events{view: p.view}
	mc.Logger = p.bridge.logger()

	ml, err := memberlist.Create(mc)
	if err != nil {
		return nil, fmt.Errorf("cluster: starting pool %q as %q on %s: %w",
			cfg.Pool, cfg.Name, net.JoinHostPort(mc.BindAddr, strconv.Itoa(cfg.BindPort)), err)
	}
	p.ml = ml
	// memberlist wrote the ephemeral port it bound back into its config.
	p.bindPort = mc.BindPort

	if len(cfg.Join) > 0 {
		p.wg.Go(p.joinLoop)
	}
	log.Info("gossip pool started", "addr", p.LocalAddr(), "advertise", p.AdvertiseAddr(),
		"profile", string(p.profile), "encrypted", len(cfg.Key) > 0, "seeds", len(cfg.Join))
	log.Debug("gossip timings", "settings", p.profile.Settings())
	return p, nil
}

// seal encodes m for gossip, signed when the node has an Identity, whose
// operator it then carries.
func (p *Pool) seal(m Meta, flags byte) (*localMeta, error) {
	var s *sealer
	if id := p.cfg.Identity; id != nil {
		m.Operator = id.Operator
		s = &sealer{name: p.cfg.Name, id: id}
	}
	wire, err := m.encode(flags, s)
	if err != nil {
		return nil, err
	}
	return &localMeta{meta: m, wire: wire}, nil
}

// Name is this node's name in the pool.
func (p *Pool) Name() string { return p.cfg.Name }

// LocalAddr is the host:port the pool listens on (UDP and TCP). With
// BindAddr 0.0.0.0 its host is 0.0.0.0; peers dial AdvertiseAddr.
func (p *Pool) LocalAddr() string {
	return net.JoinHostPort(cmp.Or(p.cfg.BindAddr, "0.0.0.0"), strconv.Itoa(p.bindPort))
}

// AdvertiseAddr is the host:port peers use to reach this node.
func (p *Pool) AdvertiseAddr() string { return p.ml.LocalNode().Address() }

// Meta returns this node's metadata as last set, with its version. Its
// slices are shared: do not modify them.
func (p *Pool) Meta() Meta { return p.local.Load().meta }

// SetMeta publishes new metadata for this node. The version is set to one
// more than the current one (m.Version is ignored). It fails without
// changing anything when m cannot be encoded (see Encode). It then waits, at
// most a couple of seconds (ten on the WAN), for memberlist to finish
// broadcasting; on timeout the error says so, but the new metadata is in
// effect and spreads with the next gossip and full state syncs: the error
// then wraps ErrBroadcastUnconfirmed.
func (p *Pool) SetMeta(m Meta) error {
	p.lifeMu.RLock()
	defer p.lifeMu.RUnlock()
	switch {
	case p.closed:
		return ErrClosed
	case p.left:
		return ErrLeft
	}
	p.metaMu.Lock()
	defer p.metaMu.Unlock()
	m.Version = p.local.Load().meta.Version + 1
	lm, err := p.seal(m, 0)
	if err != nil {
		return err
	}
	p.local.Store(lm)
	if err := p.ml.UpdateNode(p.timings.updateTimeout); err != nil {
		return fmt.Errorf("%w: version %d is in effect, but memberlist had not sent it to enough peers after %s (%v)",
			ErrBroadcastUnconfirmed, m.Version, p.timings.updateTimeout, err)
	}
	return nil
}

// Members returns the alive and leaving members of the pool, this node
// included, sorted by name. It reads a cached view and does not touch the
// network. The Meta slices are shared: do not modify them.
func (p *Pool) Members() []Member { return p.view.list() }

// Subscribe returns a channel of membership events and a function ending
// the subscription. Subscribe first, then read Members() for the starting
// point: every change after Subscribe returned is delivered or covered by
// an EventResync. The channel is never blocked on: a subscriber that falls
// 256 events behind gets EventResync and must re-read Members(). The
// channel is closed by the returned function or by Close.
func (p *Pool) Subscribe() (<-chan Event, func()) { return p.view.subscribe() }

// Joined is closed once another member has been seen.
func (p *Pool) Joined() <-chan struct{} { return p.view.joined }

// Leave announces that this node leaves the pool and waits, at most timeout
// (≤ 0: 5 s), until the news is out, so peers report it as StateLeft rather
// than wait to detect it dead. The node still answers probes until Close.
// Leave is meant for drain and shutdown: once called, SetMeta fails and the
// node will not rejoin. Calling it again does nothing.
func (p *Pool) Leave(timeout time.Duration) error {
	if timeout <= 0 {
		timeout = defaultLeaveTimeout
	}
	p.lifeMu.Lock()
	defer p.lifeMu.Unlock()
	switch {
	case p.closed:
		return ErrClosed
	case p.left:
		return nil
	}
	p.left = true
	p.stopJoining()
	deadline := time.Now().Add(timeout)

	// First gossip the leaving flag with the current metadata: memberlist's
	// own leave message does not tell peers it was intended.
	p.metaMu.Lock()
	cur := p.local.Load()
	if lm, err := p.seal(cur.meta, metaFlagLeaving); err == nil {
		p.local.Store(lm)
	}
	p.metaMu.Unlock()
	if err := p.ml.UpdateNode(timeout / 2); err != nil {
		p.log.Debug("gossip: leaving flag not fully broadcast", "err", err)
	}

	// memberlist waits forever for a zero timeout; keep at least a little.
	rest := max(time.Until(deadline), 50*time.Millisecond)
	if err := p.ml.Leave(rest); err != nil {
		return fmt.Errorf("cluster: leaving pool %q: %w", p.cfg.Pool, err)
	}
	p.log.Info("gossip: left pool")
	return nil
}

// Close stops the pool's listeners and goroutines. Without Leave first,
// peers see this node fail (StateDead) once they detect it. It is safe to
// call more than once; every call returns the first call's result.
func (p *Pool) Close() error {
	p.closeOnce.Do(func() {
		p.lifeMu.Lock()
		p.closed = true
		p.lifeMu.Unlock()
		p.stopJoining()
		p.closeErr = p.ml.Shutdown()
		p.wg.Wait()
		p.view.close()
		p.log.Debug("gossip pool closed")
	})
	return p.closeErr
}

func (p *Pool) stopJoining() { p.stopOnce.Do(func() { close(p.stop) }) }

// PoolStats are counters for metrics and tests.
type PoolStats struct {
	// Members is the number of alive and leaving members, self included.
	Members int
	// JoinAttempts and JoinFailures count tries of the seed list.
	JoinAttempts, JoinFailures uint64
	// LastJoinError is the latest failure's message, "" if none.
	LastJoinError string
	// DroppedEvents counts events not delivered to slow subscribers.
	DroppedEvents uint64
	// MalformedMeta counts member metadata that could not be decoded.
	MalformedMeta uint64
	// RefusedMeta counts member metadata that decoded but was not
	// believed: unsigned, badly signed or uncertified where the pool
	// checks identities, or older than a version already seen (replayed).
	RefusedMeta uint64
	// SuppressedLogLines counts memberlist log lines over the rate limit.
	SuppressedLogLines uint64
}

// Stats returns the pool's counters.
func (p *Pool) Stats() PoolStats {
	s := PoolStats{
		Members:            p.view.count(),
		JoinAttempts:       p.joinAttempts.Load(),
		JoinFailures:       p.joinFailures.Load(),
		DroppedEvents:      p.view.dropped.Load(),
		MalformedMeta:      p.view.malformed.Load(),
		RefusedMeta:        p.view.refused.Load(),
		SuppressedLogLines: p.bridge.suppressed.Load(),
	}
	if e := p.lastJoinErr.Load(); e != nil {
		s.LastJoinError = *e
	}
	return s
}
