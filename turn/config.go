package turn

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"time"
)

// Config is a TURN server's configuration.
type Config struct {
	// UDP, TCP and TLS are the listen addresses of each transport; ""
	// leaves that transport off. At least one is needed.
	UDP, TCP, TLS string
	// CertFile and KeyFile are the TLS listener's certificate and key
	// (PEM). Without them the TLS listener serves a self-signed
	// certificate made at start, which browsers do not trust: the server
	// then advertises no turns: URL (see URLs), and TLS serves clients
	// that pin the certificate (tests) only.
	CertFile, KeyFile string
	// RelayIP is the address players reach relayed allocations at, the
	// host's public one; RelayBind is where relay sockets bind ("" binds
	// RelayIP itself, right unless the host is behind 1:1 NAT).
	RelayIP, RelayBind string
	// RelayPorts are the first and last relay port; 0, 0 takes any free
	// port (tests). An operator opens this range to players.
	RelayPorts [2]int
	// Host names the server in the URLs handed to pages ("" : RelayIP);
	// a turns: URL needs the name on the certificate.
	Host string
	// Peers are the networks the server relays to: the region's edges.
	// Anything else is refused, so the server is no open proxy.
	Peers []netip.Prefix
	// Secret is the shared secret of the credentials (cred.go).
	Secret []byte
	// Realm is the TURN realm, part of the long-term credential key.
	Realm string

	// MaxAllocations bounds the allocations of the whole server, and
	// MaxPerUser those of one credential's id (one join).
	MaxAllocations, MaxPerUser int
	// Lifetime is how long an allocation lives without a refresh.
	Lifetime time.Duration
	// Rate bounds each allocation's relayed traffic, bytes a second in
	// each direction; packets over it are dropped, as a congested link
	// would, and the sender's congestion control backs off.
	Rate int
}

// DefaultConfig returns the defaults of a region's TURN server.
func DefaultConfig() Config {
	return Config{
		Realm: "stratus",
		// Relay sockets are file descriptors and ports: 256 players
		// relayed at once is far beyond an edge's own capacity, and a
		// region's server is sized by the operator above this.
		MaxAllocations: 256,
		// A page allocates once per TURN URL (UDP, TCP, TLS) and local
		// interface; two interfaces times three URLs, rounded up.
		MaxPerUser: 8,
		// RFC 8656's default; browsers refresh well before it.
		Lifetime: 10 * time.Minute,
		// 4 MB/s is 32 Mbit/s: above the edge's highest video bitrate
		// (20 Mbit/s) with audio, retransmissions and FEC on top.
		Rate: 4 << 20,
	}
}

// Validate reports every problem at once.
func (c Config) Validate() error {
	var errs []error
	if c.UDP == "" && c.TCP == "" && c.TLS == "" {
		errs = append(errs, errors.New("turn: no listener: give a UDP, TCP or TLS address"))
	}
	for _, l := range []struct{ name, addr string }{{"udp", c.UDP}, {"tcp", c.TCP}, {"tls", c.TLS}} {
		if l.addr == "" {
			continue
		}
		if _, _, err := net.SplitHostPort(l.addr); err != nil {
			errs = append(errs, fmt.Errorf("turn: %s address %q: %w", l.name, l.addr, err))
		}
	}
	if (c.CertFile == "") != (c.KeyFile == "") {
		errs = append(errs, errors.New("turn: give both a certificate and a key file, or neither"))
	}
	if ip, err := netip.ParseAddr(c.RelayIP); err != nil || ip.IsUnspecified() {
		errs = append(errs, fmt.Errorf("turn: relay IP %q: want the address players reach this host at", c.RelayIP))
	}
	if c.RelayBind != "" {
		if _, err := netip.ParseAddr(c.RelayBind); err != nil {
			errs = append(errs, fmt.Errorf("turn: relay bind address %q: %w", c.RelayBind, err))
		}
	}
	lo, hi := c.RelayPorts[0], c.RelayPorts[1]
	if (lo == 0) != (hi == 0) || lo < 0 || hi > 65535 || lo > hi {
		errs = append(errs, fmt.Errorf("turn: relay ports %d-%d: want 1 ≤ first ≤ last ≤ 65535, or 0-0 for any", lo, hi))
	}
	if len(c.Peers) == 0 {
		errs = append(errs, errors.New("turn: no peers: the server would relay to nothing"))
	}
	if len(c.Secret) < 16 {
		errs = append(errs, fmt.Errorf("turn: secret of %d bytes, want at least 16", len(c.Secret)))
	}
	if c.Realm == "" {
		errs = append(errs, errors.New("turn: realm is empty"))
	}
	if c.MaxAllocations < 1 || c.MaxPerUser < 1 {
		errs = append(errs, fmt.Errorf("turn: allocation limits %d total, %d per user: want at least 1", c.MaxAllocations, c.MaxPerUser))
	}
	if c.Lifetime < time.Minute || c.Lifetime > time.Hour {
		errs = append(errs, fmt.Errorf("turn: allocation lifetime %v: want 1m to 1h", c.Lifetime))
	}
	if c.Rate < 64<<10 {
		errs = append(errs, fmt.Errorf("turn: rate %d bytes/s per allocation: want at least 64 KiB/s, below which no game stream fits", c.Rate))
	}
	return errors.Join(errs...)
}
