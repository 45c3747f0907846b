package main

import (
	"crypto/rand"
	"errors"
	"flag"
	"fmt"
	"net"
	"net/netip"
	"strings"

	"stratus/stream"
	"stratus/trust"
	"stratus/turn"
)

// turnFlags are the settings of the TURN server an edge process runs
// (package turn); Addr "" runs none.
type turnFlags struct {
	Addr, TLS           string
	CertFile, KeyFile   string
	RelayIP, RelayPorts string
	Peers               []string
	SecretFile          string
	MaxAllocations      int
	MaxPerUser, Rate    int
}

func (f *turnFlags) add(fs *flag.FlagSet) {
	d := turn.DefaultConfig()
	f.MaxAllocations, f.MaxPerUser, f.Rate = d.MaxAllocations, d.MaxPerUser, d.Rate
	fs.StringVar(&f.Addr, "turn", "", "address of a TURN server on UDP and TCP for players whose network blocks UDP, e.g. 0.0.0.0:3479 (empty: none)")
	fs.StringVar(&f.TLS, "turn-tls", "", "address of the TURN server's TLS listener, e.g. 0.0.0.0:5349 (empty: none)")
	fs.StringVar(&f.CertFile, "turn-cert", "", "TLS certificate (PEM) of the TURN server; without one it serves a self-signed one and pages are given no turns: URL")
	fs.StringVar(&f.KeyFile, "turn-key", "", "key (PEM) of -turn-cert")
	fs.StringVar(&f.RelayIP, "turn-relay-ip", "", "address players reach relays at (default: the first -public-ip, else the -turn host, else 127.0.0.1)")
	fs.StringVar(&f.RelayPorts, "turn-relay-ports", "", "relay port range, first-last, to open to players (empty: any port)")
	fs.Var((*listFlag)(&f.Peers), "turn-peers", "networks the TURN server relays to besides this edge, e.g. the region's other edges (CIDR list)")
	fs.StringVar(&f.SecretFile, "turn-secret-file", "", "file of the TURN credentials' shared secret (default: derived from the cluster key, or random for stratus serve)")
	fs.IntVar(&f.MaxAllocations, "turn-allocations", f.MaxAllocations, "most TURN allocations at once")
	fs.IntVar(&f.MaxPerUser, "turn-allocations-per-session", f.MaxPerUser, "most TURN allocations of one session's credential")
	fs.IntVar(&f.Rate, "turn-rate", f.Rate, "bytes a second each TURN allocation relays in each direction; more is dropped")
}

// config builds the server's configuration for an edge with media sc;
// secret is used when no -turn-secret-file is given (nil: a random one).
func (f *turnFlags) config(sc stream.Config, secret []byte) (turn.Config, error) {
	c := turn.DefaultConfig()
	c.UDP, c.TCP, c.TLS = f.Addr, f.Addr, f.TLS
	c.CertFile, c.KeyFile = f.CertFile, f.KeyFile
	c.MaxAllocations, c.MaxPerUser, c.Rate = f.MaxAllocations, f.MaxPerUser, f.Rate
	var errs []error
	c.RelayIP = f.RelayIP
	if c.RelayIP == "" {
		host, _, _ := net.SplitHostPort(f.Addr)
		switch ip, err := netip.ParseAddr(host); {
		case len(sc.PublicIPs) > 0:
			c.RelayIP = sc.PublicIPs[0]
		case err == nil && !ip.IsUnspecified():
			c.RelayIP = host
		default:
			c.RelayIP = "127.0.0.1"
		}
	}
	// Relay sockets listen on every address when the relay IP is a
	// public one this host does not have (1:1 NAT).
	if !localAddr(c.RelayIP) {
		c.RelayBind = "0.0.0.0"
	}
	if f.RelayPorts != "" {
		if _, err := fmt.Sscanf(f.RelayPorts, "%d-%d", &c.RelayPorts[0], &c.RelayPorts[1]); err != nil {
			errs = append(errs, fmt.Errorf("turn-relay-ports %q: want first-last", f.RelayPorts))
		}
	}
	peers, err := edgePeers(sc)
	errs = append(errs, err)
	c.Peers = peers
	for _, p := range f.Peers {
		pfx, err := netip.ParsePrefix(p)
		if err != nil {
			if a, aerr := netip.ParseAddr(p); aerr == nil {
				pfx, err = a.Prefix(a.BitLen())
			}
		}
		if err != nil {
			errs = append(errs, fmt.Errorf("turn-peers %q: want CIDR or an address", p))
			continue
		}
		c.Peers = append(c.Peers, pfx)
	}
	switch {
	case f.SecretFile != "":
		if c.Secret, err = trust.ReadSecret(f.SecretFile, "TURN secret", 4<<10); err != nil {
			errs = append(errs, err)
		}
		c.Secret = []byte(strings.TrimSpace(string(c.Secret)))
	case secret != nil:
		c.Secret = secret
	default:
		c.Secret = make([]byte, 32)
		rand.Read(c.Secret)
	}
	return c, errors.Join(append(errs, c.Validate())...)
}

// edgePeers are this edge's media addresses: its public ones, and the one
// it binds, or every address of the host when it binds all.
func edgePeers(sc stream.Config) ([]netip.Prefix, error) {
	var out []netip.Prefix
	add := func(s string) {
		if a, err := netip.ParseAddr(s); err == nil {
			a = a.Unmap()
			out = append(out, netip.PrefixFrom(a, a.BitLen()))
		}
	}
	for _, p := range sc.PublicIPs {
		add(p)
	}
	if ip, err := netip.ParseAddr(sc.ListenIP); err == nil && !ip.IsUnspecified() {
		add(sc.ListenIP)
		return out, nil
	}
	addrs, err := net.InterfaceAddrs()
	if err != nil {
		return out, fmt.Errorf("turn: this host's addresses: %w", err)
	}
	for _, a := range addrs {
		if n, ok := a.(*net.IPNet); ok {
			add(n.IP.String())
		}
	}
	return out, nil
}

// localAddr says whether ip is one of this host's addresses.
func localAddr(ip string) bool {
	addrs, _ := net.InterfaceAddrs()
	for _, a := range addrs {
		if n, ok := a.(*net.IPNet); ok && n.IP.String() == ip {
			return true
		}
	}
	return false
}
