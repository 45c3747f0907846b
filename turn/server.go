package turn

import (
	"crypto/tls"
	"fmt"
	"log/slog"
	"net"
	"sync"
	"time"

	"github.com/pion/stun/v4"
	pturn "github.com/pion/turn/v5"
	"github.com/prometheus/client_golang/prometheus"
)

// Server is a running TURN server. Pion owns its goroutines (one read
// loop per listener and per TCP or TLS client, one per allocation); Close
// ends them all and waits. Its methods are safe for concurrent use.
type Server struct {
	cfg     Config
	log     *slog.Logger
	m       *metrics
	pion    *pturn.Server
	trusted bool // the TLS certificate is the operator's, not self-signed

	udp       net.PacketConn
	tcp, tlsL net.Listener

	mu     sync.Mutex
	byUser map[string]int // live allocations per credential id
	total  int

	closeOnce sync.Once
	closeErr  error
}

// New opens the listeners and starts serving. reg, when not nil, gets the
// server's metrics.
func New(cfg Config, reg prometheus.Registerer, log *slog.Logger) (_ *Server, err error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	s := &Server{cfg: cfg, log: log, byUser: map[string]int{}}
	s.m = newMetrics(func() float64 {
		s.mu.Lock()
		defer s.mu.Unlock()
		return float64(s.total)
	})
	if reg != nil {
		if err := s.m.register(reg); err != nil {
			return nil, err
		}
	}
	defer func() {
		if err != nil {
			s.closeListeners()
		}
	}()
	bind := cfg.RelayBind
	if bind == "" {
		bind = cfg.RelayIP
	}
	gen := &relays{ip: net.ParseIP(cfg.RelayIP), bind: bind, lo: cfg.RelayPorts[0], hi: cfg.RelayPorts[1], rate: cfg.Rate, m: s.m}
	perm := s.permit()
	sc := pturn.ServerConfig{
		Realm:              cfg.Realm,
		AuthHandler:        s.auth,
		QuotaHandler:       s.quota,
		EventHandler:       s.events(),
		AllocationLifetime: cfg.Lifetime,
		LoggerFactory:      pionLogs{log},
	}
	if cfg.UDP != "" {
		if s.udp, err = net.ListenPacket("udp", cfg.UDP); err != nil {
			return nil, fmt.Errorf("turn: udp: %w", err)
		}
		sc.PacketConnConfigs = append(sc.PacketConnConfigs, pturn.PacketConnConfig{PacketConn: s.udp, RelayAddressGenerator: gen, PermissionHandler: perm})
	}
	if cfg.TCP != "" {
		if s.tcp, err = net.Listen("tcp", cfg.TCP); err != nil {
			return nil, fmt.Errorf("turn: tcp: %w", err)
		}
		sc.ListenerConfigs = append(sc.ListenerConfigs, pturn.ListenerConfig{Listener: s.tcp, RelayAddressGenerator: gen, PermissionHandler: perm})
	}
	if cfg.TLS != "" {
		cert, trusted, err := loadCert(cfg)
		if err != nil {
			return nil, err
		}
		s.trusted = trusted
		tc := &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
		if s.tlsL, err = tls.Listen("tcp", cfg.TLS, tc); err != nil {
			return nil, fmt.Errorf("turn: tls: %w", err)
		}
		sc.ListenerConfigs = append(sc.ListenerConfigs, pturn.ListenerConfig{Listener: s.tlsL, RelayAddressGenerator: gen, PermissionHandler: perm})
	}
	if s.pion, err = pturn.NewServer(sc); err != nil {
		return nil, fmt.Errorf("turn: %w", err)
	}
	log.Info("TURN server listening", "urls", s.URLs(), "relay", cfg.RelayIP, "ports", fmt.Sprintf("%d-%d", gen.lo, gen.hi),
		"tls_trusted", s.trusted, "max_allocations", cfg.MaxAllocations, "per_user", cfg.MaxPerUser, "rate_bytes", cfg.Rate)
	return s, nil
}

// auth gives pion the key of a request's username. New allocations need a
// credential that has not expired; the requests that keep one alive
// (Refresh, CreatePermission, ChannelBind) need only a genuine one, since
// pion applies them to the requester's own allocation: a game outlives
// its credential.
func (s *Server) auth(ra *pturn.RequestAttributes) (string, []byte, bool) {
	now := time.Now()
	if ra.Method != stun.MethodAllocate {
		// Judged as of its expiry: genuine, but without the time limit.
		if exp, _, err := parse(ra.Username); err == nil {
			now = exp.Add(-time.Second)
		}
	}
	id, pass, err := Check(s.cfg.Secret, ra.Username, now)
	if err != nil {
		s.m.refused.WithLabelValues("auth").Inc()
		s.log.Debug("TURN credential refused", "from", ra.SrcAddr, "method", ra.Method.String(), "err", err)
		return "", nil, false
	}
	return id, pturn.GenerateAuthKey(ra.Username, ra.Realm, pass), true
}

// quota admits an allocation while the server and the user have room.
// It and the events below run on pion's goroutines. Counts move when pion
// reports an allocation made, so requests racing on several connections
// may each pass and overshoot a limit by those few in flight.
func (s *Server) quota(userID, _ string, src net.Addr) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	switch {
	case s.total >= s.cfg.MaxAllocations:
		s.m.refused.WithLabelValues("full").Inc()
		s.log.Warn("TURN allocation refused: server full", "from", src, "allocations", s.total)
		return false
	case s.byUser[userID] >= s.cfg.MaxPerUser:
		s.m.refused.WithLabelValues("quota").Inc()
		s.log.Info("TURN allocation refused: per-user quota", "from", src, "user", userID, "allocations", s.byUser[userID])
		return false
	}
	return true
}

func (s *Server) events() pturn.EventHandler {
	return pturn.EventHandler{
		// Called when a request's MESSAGE-INTEGRITY was checked with the
		// key auth gave: a false verdict is a wrong password.
		OnAuth: func(src, _ net.Addr, _, username, _, method string, ok bool) {
			if !ok {
				s.m.refused.WithLabelValues("auth").Inc()
				s.log.Debug("TURN credential refused", "from", src, "method", method, "user", username, "err", ErrWrongMAC)
			}
		},
		OnAllocationCreated: func(src, dst net.Addr, _, userID, _ string, relay net.Addr, _ int) {
			s.mu.Lock()
			s.byUser[userID]++
			s.total++
			s.mu.Unlock()
			transport := s.transportOf(dst)
			s.m.allocations.WithLabelValues(transport).Inc()
			s.log.Debug("TURN allocation", "from", src, "transport", transport, "user", userID, "relay", relay)
		},
		OnAllocationDeleted: func(src, _ net.Addr, protocol, userID, _ string) {
			s.mu.Lock()
			if s.byUser[userID]--; s.byUser[userID] <= 0 {
				delete(s.byUser, userID)
			}
			s.total--
			s.mu.Unlock()
			s.log.Debug("TURN allocation ended", "from", src, "transport", protocol, "user", userID)
		},
	}
}

// transportOf names the transport a client reached the server on, by the
// listener's address: pion's protocol names the relay's, UDP for all.
func (s *Server) transportOf(dst net.Addr) string {
	udp, tcp, tlsAddr := s.Addrs()
	for _, l := range []struct {
		name string
		addr net.Addr
	}{{"udp", udp}, {"tcp", tcp}, {"tls", tlsAddr}} {
		if l.addr != nil && dst != nil && dst.String() == l.addr.String() {
			return l.name
		}
	}
	return "other"
}

// permit relays only to the configured peers, counting refusals.
func (s *Server) permit() pturn.PermissionHandler {
	allowed := allowPeer(s.cfg.Peers)
	return func(src net.Addr, ip net.IP) bool {
		if allowed(src, ip) {
			return true
		}
		s.m.refused.WithLabelValues("peer").Inc()
		s.log.Info("TURN permission refused: peer outside the region", "from", src, "peer", ip)
		return false
	}
}

// Allocations is the number of live allocations.
func (s *Server) Allocations() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.total
}

// Addrs are the listeners' addresses (nil for a transport that is off).
func (s *Server) Addrs() (udp, tcp, tlsAddr net.Addr) {
	if s.udp != nil {
		udp = s.udp.LocalAddr()
	}
	if s.tcp != nil {
		tcp = s.tcp.Addr()
	}
	if s.tlsL != nil {
		tlsAddr = s.tlsL.Addr()
	}
	return udp, tcp, tlsAddr
}

// URLs are the server's ICE server URLs as pages use them: turn: over UDP
// and TCP, and turns: when the TLS certificate is the operator's (a
// browser refuses a self-signed one, and a URL that always fails only
// slows its gathering).
func (s *Server) URLs() []string {
	host := s.cfg.Host
	if host == "" {
		host = s.cfg.RelayIP
	}
	var urls []string
	udp, tcp, tlsAddr := s.Addrs()
	if udp != nil {
		urls = append(urls, "turn:"+net.JoinHostPort(host, portOf(udp))+"?transport=udp")
	}
	if tcp != nil {
		urls = append(urls, "turn:"+net.JoinHostPort(host, portOf(tcp))+"?transport=tcp")
	}
	if tlsAddr != nil && s.trusted {
		urls = append(urls, "turns:"+net.JoinHostPort(host, portOf(tlsAddr))+"?transport=tcp")
	}
	return urls
}

func portOf(a net.Addr) string {
	_, p, _ := net.SplitHostPort(a.String())
	return p
}

// Close stops serving and ends every allocation. Safe to call twice.
func (s *Server) Close() error {
	s.closeOnce.Do(func() {
		// pion closes the listeners it was given.
		if s.pion != nil {
			s.closeErr = s.pion.Close()
		}
		s.closeListeners()
	})
	return s.closeErr
}

// closeListeners closes what New opened; after pion's Close they are
// closed already, and the errors say only that.
func (s *Server) closeListeners() {
	if s.udp != nil {
		s.udp.Close()
	}
	for _, l := range []net.Listener{s.tcp, s.tlsL} {
		if l != nil {
			l.Close()
		}
	}
}
