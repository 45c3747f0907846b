package stream

import (
	"errors"
	"fmt"
	"log/slog"
	"net"
	"strconv"
	"sync"
	"sync/atomic"

	"github.com/pion/ice/v4"
	"github.com/pion/interceptor"
	"github.com/pion/webrtc/v4"

	"stratus/internal/freeport"
)

// ErrClosed is returned by methods of a closed Engine or Peer.
var ErrClosed = errors.New("stream: closed")

// Engine holds what all players of an edge share: the UDP and TCP sockets
// and the ICE-lite settings. It creates one Peer per player.
//
// All methods are safe for concurrent use.
type Engine struct {
	cfg      Config
	log      *slog.Logger
	pionLog  pionLoggerFactory
	settings webrtc.SettingEngine

	udp     *ice.MultiUDPMuxDefault
	udpAddr *net.UDPAddr
	tcpLn   net.Listener // nil when ICE-TCP is disabled
	tcp     ice.TCPMux

	// netInterceptors sit between every peer and the network, below all
	// of the edge's own; tests put an impaired link there.
	netInterceptors []interceptor.Factory

	mu     sync.Mutex
	peers  map[*Peer]struct{}
	closed bool

	closeOnce sync.Once
	closeErr  error
}

// NewEngine binds the media sockets described by cfg.
func NewEngine(cfg Config, log *slog.Logger) (*Engine, error) {
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("stream: invalid config: %w", err)
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	ip := net.ParseIP(cfg.ListenIP)
	loopback := cfg.Loopback || ip.IsLoopback()
	// The muxes warn about packets and connections that match no peer,
	// which any stranger can send; those lines must not reach the edge's
	// log at a level that costs anything.
	strangers := &atomic.Bool{}
	strangers.Store(true)
	e := &Engine{
		cfg:     cfg,
		log:     log,
		pionLog: pionLoggerFactory{log: log, quiet: strangers},
		peers:   make(map[*Peer]struct{}),
	}

	var err error
	if e.udp, err = listenUDP(ip, cfg.UDPPort, loopback, e.pionLog); err != nil {
		return nil, err
	}
	e.udpAddr = e.udp.GetListenAddresses()[0].(*net.UDPAddr)
	if cfg.TCPPort >= 0 {
		e.tcpLn, err = net.Listen(tcpNetwork(ip), net.JoinHostPort(cfg.ListenIP, strconv.Itoa(cfg.TCPPort)))
		if err != nil {
			_ = e.udp.Close()
			return nil, fmt.Errorf("stream: ICE-TCP listener: %w", err)
		}
		// The read buffer counts packets queued per player connection. What a
		// player sends is small (RTCP, input), but it comes in bursts.
		e.tcp = webrtc.NewICETCPMux(e.pionLog.NewLogger("tcpmux"), e.tcpLn, 64)
	}
	if err := e.configure(ip, loopback); err != nil {
		_ = e.closeSockets()
		return nil, err
	}
	log.Info("webrtc engine listening", "udp", e.udpAddr, "tcp", e.TCPAddr(), "public", cfg.PublicIPs)
	return e, nil
}

// listenUDP binds the one UDP port shared by all peers. With an unspecified
// ListenIP the mux binds that port on every interface address, so port 0
// must first become one concrete free port for all of them.
func listenUDP(ip net.IP, port int, loopback bool, lf pionLoggerFactory) (*ice.MultiUDPMuxDefault, error) {
	opts := []ice.UDPMuxFromPortOption{
		ice.UDPMuxFromPortWithNetworks(iceUDPNetworks(ip)...),
		ice.UDPMuxFromPortWithLogger(lf.NewLogger("udpmux")),
	}
	if loopback {
		opts = append(opts, ice.UDPMuxFromPortWithLoopback())
	}
	if !ip.IsUnspecified() {
		opts = append(opts, ice.UDPMuxFromPortWithIPFilter(ip.Equal))
	}

	tries := 1
	if port == 0 && ip.IsUnspecified() {
		tries = 8 // another process may take the probed port before we bind it
	}
	var lastErr error
	for range tries {
		p := port
		if port == 0 && ip.IsUnspecified() {
			var err error
			if p, err = freeport.Port(ip.String(), freeport.UDP); err != nil {
				return nil, fmt.Errorf("stream: UDP port: %w", err)
			}
		}
		mux, err := ice.NewMultiUDPMuxFromPort(p, opts...)
		if err != nil {
			lastErr = err
			continue
		}
		if len(mux.GetListenAddresses()) == 0 {
			_ = mux.Close()
			if ip.IsUnspecified() {
				return nil, errors.New("stream: no interface address to listen on (set Loopback for a host without a network)")
			}
			return nil, fmt.Errorf("stream: ListenIP %s is not an address of this host", ip)
		}
		return mux, nil
	}
	return nil, fmt.Errorf("stream: UDP mux: %w", lastErr)
}

// configure builds the SettingEngine every peer's API copies.
func (e *Engine) configure(ip net.IP, loopback bool) error {
	s := webrtc.SettingEngine{LoggerFactory: e.pionLog}
	// An edge has a public address and never initiates: ICE-lite answers the
	// browser's checks and skips gathering srflx/relay candidates.
	s.SetLite(true)
	// Candidates are the edge's real addresses; mDNS names would only hide
	// them from players on other networks.
	s.SetICEMulticastDNSMode(ice.MulticastDNSModeDisabled)
	s.SetICEUDPMux(e.udp)
	if e.tcp != nil {
		s.SetICETCPMux(e.tcp)
	}
	s.SetNetworkTypes(networkTypes(ip, e.tcp != nil))
	s.SetIncludeLoopbackCandidate(loopback)
	if !ip.IsUnspecified() {
		// TCP candidates are gathered per interface address; keep the one
		// the listener is bound to.
		s.SetIPFilter(ip.Equal)
	}
	if rules := rewriteRules(e.cfg.PublicIPs); len(rules) > 0 {
		if err := s.SetICEAddressRewriteRules(rules...); err != nil {
			return fmt.Errorf("stream: public addresses: %w", err)
		}
	}
	s.SetICETimeouts(e.cfg.DisconnectedTimeout, e.cfg.FailedTimeout, e.cfg.KeepaliveInterval)
	// The page sends small input messages; the bounds keep what one player
	// can make the edge buffer small (see sctpMaxMessage).
	s.SetSCTPMaxMessageSize(sctpMaxMessage)
	s.SetSCTPMaxReceiveBufferSize(sctpReceiveBuffer)
	e.settings = s
	return nil
}

// rewriteRules advertises the public addresses instead of the local ones,
// one rule per address family because a rule without a local address is a
// catch-all for the family of its external addresses.
func rewriteRules(public []string) []webrtc.ICEAddressRewriteRule {
	var v4, v6 []string
	for _, s := range public {
		if net.ParseIP(s).To4() != nil {
			v4 = append(v4, s)
		} else {
			v6 = append(v6, s)
		}
	}
	var rules []webrtc.ICEAddressRewriteRule
	for _, ext := range [][]string{v4, v6} {
		if len(ext) > 0 {
			rules = append(rules, webrtc.ICEAddressRewriteRule{
				External:        ext,
				AsCandidateType: webrtc.ICECandidateTypeHost,
				Mode:            webrtc.ICEAddressRewriteReplace,
			})
		}
	}
	return rules
}

func iceUDPNetworks(ip net.IP) []ice.NetworkType {
	switch {
	case ip.To4() != nil:
		return []ice.NetworkType{ice.NetworkTypeUDP4}
	case ip.IsUnspecified():
		return []ice.NetworkType{ice.NetworkTypeUDP4, ice.NetworkTypeUDP6}
	}
	return []ice.NetworkType{ice.NetworkTypeUDP6}
}

func networkTypes(ip net.IP, tcp bool) []webrtc.NetworkType {
	v4 := ip.To4() != nil || ip.IsUnspecified()
	v6 := ip.To4() == nil
	var t []webrtc.NetworkType
	if v4 {
		t = append(t, webrtc.NetworkTypeUDP4)
		if tcp {
			t = append(t, webrtc.NetworkTypeTCP4)
		}
	}
	if v6 {
		t = append(t, webrtc.NetworkTypeUDP6)
		if tcp {
			t = append(t, webrtc.NetworkTypeTCP6)
		}
	}
	return t
}

func tcpNetwork(ip net.IP) string {
	switch {
	case ip.To4() != nil:
		return "tcp4"
	case ip.IsUnspecified():
		return "tcp"
	}
	return "tcp6"
}

// UDPAddr is the address of the shared UDP port (the first one when bound
// on several interface addresses; the port is the same on all).
func (e *Engine) UDPAddr() *net.UDPAddr {
	a := *e.udpAddr
	return &a
}

// TCPAddr is the ICE-TCP listener's address, nil when ICE-TCP is disabled.
func (e *Engine) TCPAddr() *net.TCPAddr {
	if e.tcpLn == nil {
		return nil
	}
	a := *e.tcpLn.Addr().(*net.TCPAddr)
	return &a
}

// Close closes every peer still open and then the sockets. Safe to call
// more than once.
func (e *Engine) Close() error {
	e.closeOnce.Do(func() {
		e.mu.Lock()
		e.closed = true
		peers := make([]*Peer, 0, len(e.peers))
		for p := range e.peers {
			peers = append(peers, p)
		}
		e.mu.Unlock()
		var errs []error
		for _, p := range peers {
			errs = append(errs, p.Close())
		}
		errs = append(errs, e.closeSockets())
		e.closeErr = errors.Join(errs...)
		e.log.Info("webrtc engine closed", "peers", len(peers))
	})
	return e.closeErr
}

func (e *Engine) closeSockets() error {
	var errs []error
	if e.tcp != nil {
		// The mux closes its listener.
		errs = append(errs, e.tcp.Close())
	}
	errs = append(errs, e.udp.Close())
	return errors.Join(errs...)
}

// track registers p so Engine.Close can close it; it fails once the
// engine is closed.
func (e *Engine) track(p *Peer) bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.closed {
		return false
	}
	e.peers[p] = struct{}{}
	return true
}

func (e *Engine) forget(p *Peer) {
	e.mu.Lock()
	delete(e.peers, p)
	e.mu.Unlock()
}
