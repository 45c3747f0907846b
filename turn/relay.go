package turn

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"net/netip"
	"strconv"
	"time"

	pturn "github.com/pion/turn/v5"
	"golang.org/x/time/rate"
)

// relays makes each allocation's relay socket: UDP, in the configured
// port range, wrapped to count and bound what it carries. Pion calls it
// from its allocation handling, concurrently; it holds no mutable state.
type relays struct {
	ip     net.IP // advertised to the client
	bind   string // where sockets bind
	lo, hi int
	rate   int
	m      *metrics
}

// errNoTCPRelay refuses RFC 6062 TCP allocations: browsers relay UDP only
// (over any transport to the server), and a TCP relay would let a client
// open connections to the peers.
var errNoTCPRelay = errors.New("turn: TCP relays are not offered")

func (r *relays) Validate() error { return nil }

func (r *relays) AllocatePacketConn(conf pturn.AllocateListenerConfig) (net.PacketConn, net.Addr, error) {
	ports := r.hi - r.lo + 1
	if r.lo == 0 {
		ports = 1
	}
	// A random start spreads allocations over the range; a busy port
	// moves on to the next, so a nearly full range still finds the free
	// one within a pass.
	start := rand.IntN(ports)
	var lastErr error
	for i := range min(ports, maxBindTries) {
		port := 0
		if r.lo != 0 {
			port = r.lo + (start+i)%ports
		}
		pc, err := net.ListenPacket(conf.Network, net.JoinHostPort(r.bind, strconv.Itoa(port)))
		if err != nil {
			lastErr = err
			continue
		}
		addr := &net.UDPAddr{IP: r.ip, Port: pc.LocalAddr().(*net.UDPAddr).Port}
		return r.wrap(pc), addr, nil
	}
	r.m.refused.WithLabelValues("ports").Inc()
	return nil, nil, fmt.Errorf("turn: no free relay port in %d-%d: %w", r.lo, r.hi, lastErr)
}

// maxBindTries bounds the ports one allocation tries, so that a full range
// costs a bounded number of failed binds rather than the whole range.
const maxBindTries = 64

func (r *relays) AllocateListener(pturn.AllocateListenerConfig) (net.Listener, net.Addr, error) {
	return nil, nil, errNoTCPRelay
}

func (r *relays) AllocateConn(pturn.AllocateConnConfig) (net.Conn, error) {
	return nil, errNoTCPRelay
}

func (r *relays) wrap(pc net.PacketConn) net.PacketConn {
	// A tenth of a second of burst absorbs a keyframe at the full rate
	// without letting a client bank more.
	burst := max(r.rate/10, 64<<10)
	return &relayConn{
		PacketConn: pc,
		in:         rate.NewLimiter(rate.Limit(r.rate), burst),
		out:        rate.NewLimiter(rate.Limit(r.rate), burst),
		m:          r.m,
	}
}

// relayConn is one allocation's relay socket. Pion reads it from one
// goroutine and writes it from another; each direction has its own
// limiter, and the counters are safe for concurrent use.
type relayConn struct {
	net.PacketConn
	in, out *rate.Limiter
	m       *metrics
}

// WriteTo sends the client's data to a peer; over the rate, it is dropped.
func (c *relayConn) WriteTo(p []byte, addr net.Addr) (int, error) {
	if !c.out.AllowN(time.Now(), len(p)) {
		c.m.dropped.WithLabelValues("to_peer").Add(float64(len(p)))
		return len(p), nil
	}
	n, err := c.PacketConn.WriteTo(p, addr)
	c.m.bytes.WithLabelValues("to_peer").Add(float64(n))
	return n, err
}

// ReadFrom takes a peer's data for the client, dropping what is over the
// rate.
func (c *relayConn) ReadFrom(p []byte) (int, net.Addr, error) {
	for {
		n, addr, err := c.PacketConn.ReadFrom(p)
		if err != nil {
			return n, addr, err
		}
		if !c.in.AllowN(time.Now(), n) {
			c.m.dropped.WithLabelValues("from_peer").Add(float64(n))
			continue
		}
		c.m.bytes.WithLabelValues("from_peer").Add(float64(n))
		return n, addr, nil
	}
}

// allowPeer says whether the server relays to ip: one of the peers'
// networks.
func allowPeer(peers []netip.Prefix) pturn.PermissionHandler {
	return func(_ net.Addr, ip net.IP) bool {
		a, ok := netip.AddrFromSlice(ip)
		if !ok {
			return false
		}
		a = a.Unmap()
		for _, p := range peers {
			if p.Contains(a) {
				return true
			}
		}
		return false
	}
}
