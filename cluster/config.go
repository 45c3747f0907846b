package cluster

import (
	"cmp"
	"crypto/ed25519"
	"encoding/base64"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/hashicorp/memberlist"
)

// Profile selects a pool's failure-detection timings (see the package doc).
type Profile string

const (
	// ProfileLAN detects a dead member of a small region in about two
	// seconds. The default for "lan/<region>" pools.
	ProfileLAN Profile = "lan"
	// ProfileWAN is memberlist's WAN defaults, for the signaling nodes'
	// pool across regions. The default for the "wan" pool.
	ProfileWAN Profile = "wan"
	// ProfileLocal is memberlist's loopback defaults.
	ProfileLocal Profile = "local"
)

// WANPool is the name of the pool joining the signaling nodes of every region.
const WANPool = "wan"

// LANPool names the gossip pool of one region.
func LANPool(region string) string { return lanPrefix + region }

const lanPrefix = "lan/"

// PoolConfig says which pool a node joins and how.
type PoolConfig struct {
	// Pool is "lan/<region>" or "wan"; the memberlist Label is
	// "stratus/<pool>", so packets of different pools never mix even on
	// shared addresses.
	Pool string `json:"pool"`
	// Name is the node's name, unique within the pool.
	Name string `json:"name"`
	// BindAddr is the IP to listen on (UDP and TCP); empty means 0.0.0.0.
	BindAddr string `json:"bind_addr,omitempty"`
	// BindPort 0 takes an ephemeral port (tests, several pools per process).
	BindPort int `json:"bind_port,omitempty"`
	// AdvertiseAddr and AdvertisePort are what peers dial, when that is not
	// the bound address (NAT, containers). Optional.
	AdvertiseAddr string `json:"advertise_addr,omitempty"`
	AdvertisePort int    `json:"advertise_port,omitempty"`
	// Join lists seed addresses (host:port). Empty for the first node.
	Join []string `json:"join,omitempty"`
	// Key is the cluster key, 16, 24 or 32 bytes (AES-GCM); see ParseKey.
	// Required unless Dev.
	Key []byte `json:"-"`
	// Dev allows running without a key (make run, tests). The pool logs a
	// warning: anyone who can reach the port can then join and read state.
	Dev bool `json:"dev,omitempty"`
	// Profile picks the timings; empty means "wan" for the WAN pool and
	// "lan" otherwise.
	Profile Profile `json:"profile,omitempty"`
	// Identity signs this node's metadata (format 2, see metacodec.go).
	// Nil gossips it unsigned, which only a pool without Network believes.
	Identity *Identity `json:"-"`
	// Network is the network's public key. When set, the pool believes
	// only metadata signed by its node and certified by this key for that
	// name, role and operator; anything else is listed with a zero Meta
	// (so it gets no work) and counted in Stats().RefusedMeta. Nil (dev
	// mode) believes any metadata that decodes.
	Network ed25519.PublicKey `json:"-"`
}

// LogValue keeps the key out of logs: slog prints a PoolConfig with the key
// reduced to its length.
func (c PoolConfig) LogValue() slog.Value {
	return slog.GroupValue(
		slog.String("pool", c.Pool), slog.String("name", c.Name),
		slog.String("bind", net.JoinHostPort(cmp.Or(c.BindAddr, "0.0.0.0"), strconv.Itoa(c.BindPort))),
		slog.Any("join", c.Join), slog.Int("key_bytes", len(c.Key)), slog.Bool("dev", c.Dev),
		slog.Bool("signed", c.Identity != nil), slog.Bool("checks_identities", c.Network != nil),
		slog.String("profile", string(c.profile())),
	)
}

// Label is the memberlist label of the pool: "stratus/<pool>".
func (c PoolConfig) Label() string { return "stratus/" + c.Pool }

// profile is the effective timing profile.
func (c PoolConfig) profile() Profile {
	switch {
	case c.Profile != "":
		return c.Profile
	case c.Pool == WANPool:
		return ProfileWAN
	default:
		return ProfileLAN
	}
}

// Validate reports every problem with c at once, joined with errors.Join.
func (c PoolConfig) Validate() error {
	var errs []error
	bad := func(format string, args ...any) {
		errs = append(errs, fmt.Errorf("cluster: "+format, args...))
	}

	switch region, isLAN := strings.CutPrefix(c.Pool, lanPrefix); {
	case c.Pool == "":
		bad(`pool is empty: want "lan/<region>" or "wan"`)
	case c.Pool == WANPool:
	case !isLAN:
		bad(`pool %q: want "lan/<region>" or "wan"`, c.Pool)
	default:
		if err := checkToken(region, 64); err != nil {
			bad("pool %q: region %v", c.Pool, err)
		}
	}
	if err := checkToken(c.Name, 128); err != nil {
		bad("node name %q: %v", c.Name, err)
	}
	if c.BindAddr != "" && net.ParseIP(c.BindAddr) == nil {
		bad("bind address %q is not an IP address", c.BindAddr)
	}
	if c.BindPort < 0 || c.BindPort > 65535 {
		bad("bind port %d is outside 0..65535", c.BindPort)
	}
	if c.AdvertiseAddr != "" && net.ParseIP(c.AdvertiseAddr) == nil {
		bad("advertise address %q is not an IP address", c.AdvertiseAddr)
	}
	if c.AdvertisePort < 0 || c.AdvertisePort > 65535 {
		bad("advertise port %d is outside 0..65535", c.AdvertisePort)
	}
	if c.AdvertisePort != 0 && c.AdvertiseAddr == "" {
		// memberlist ignores the port alone and advertises the bound one.
		bad("advertise port %d set without an advertise address", c.AdvertisePort)
	}
	for _, seed := range c.Join {
		if err := checkSeed(seed); err != nil {
			bad("join address %q: %v", seed, err)
		}
	}
	switch {
	case len(c.Key) == 0 && !c.Dev:
		bad("no cluster key: set one (see ParseKey) or enable dev mode to gossip unencrypted")
	case len(c.Key) != 0:
		if err := checkKeyLen(len(c.Key)); err != nil {
			bad("%v", err)
		}
	}
	if err := c.Identity.validate(c.Name); err != nil {
		bad("%v", err)
	}
	if c.Network != nil && len(c.Network) != ed25519.PublicKeySize {
		bad("network key is %d bytes, want %d", len(c.Network), ed25519.PublicKeySize)
	}
	if c.Network != nil && c.Identity == nil {
		// Its peers would refuse its unsigned metadata.
		bad("a pool that checks identities (network key set) needs this node's own identity")
	}
	switch c.Profile {
	case "", ProfileLAN, ProfileWAN, ProfileLocal:
	default:
		bad(`profile %q: want "lan", "wan" or "local"`, c.Profile)
	}
	return errors.Join(errs...)
}

// checkToken accepts names that are safe in labels, logs and URLs.
func checkToken(s string, maxLen int) error {
	switch {
	case s == "":
		return errors.New("is empty")
	case len(s) > maxLen:
		return fmt.Errorf("is %d bytes, at most %d", len(s), maxLen)
	case strings.IndexFunc(s, func(r rune) bool { return unicode.IsSpace(r) || !unicode.IsPrint(r) || r == '/' }) >= 0:
		return errors.New("contains a space, a control character or '/'")
	}
	return nil
}

func checkSeed(seed string) error {
	host, port, err := net.SplitHostPort(seed)
	if err != nil {
		return fmt.Errorf("want host:port: %v", err)
	}
	if host == "" {
		return errors.New("host is empty")
	}
	if p, err := strconv.Atoi(port); err != nil || p < 1 || p > 65535 {
		return fmt.Errorf("port %q is not a number in 1..65535", port)
	}
	return nil
}

func checkKeyLen(n int) error {
	switch n {
	case 16, 24, 32:
		return nil
	}
	return fmt.Errorf("cluster key is %d bytes; it must be 16, 24 or 32 (AES-128, -192 or -256)", n)
}

// ParseKey decodes a cluster key written in standard base64, as made by
//
//	head -c 32 /dev/urandom | base64
func ParseKey(s string) ([]byte, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return nil, errors.New("cluster: key is empty (make one with: head -c 32 /dev/urandom | base64)")
	}
	key, err := base64.StdEncoding.DecodeString(s)
	if err != nil {
		return nil, fmt.Errorf("cluster: key is not standard base64: %w", err)
	}
	if err := checkKeyLen(len(key)); err != nil {
		return nil, fmt.Errorf("cluster: key decodes to %d bytes; it must be 16, 24 or 32 (AES-128, -192 or -256)", len(key))
	}
	return key, nil
}

// Settings describes the profile's memberlist timings, for logs and
// benchmark reports.
func (p Profile) Settings() string {
	c, _ := p.memberlistConfig()
	compression := "on"
	if !c.EnableCompression {
		compression = "off"
	}
	return fmt.Sprintf("ProbeInterval %s, ProbeTimeout %s, SuspicionMult %d, SuspicionMaxTimeoutMult %d, "+
		"IndirectChecks %d, GossipInterval %s, GossipNodes %d, RetransmitMult %d, PushPullInterval %s, compression %s",
		c.ProbeInterval, c.ProbeTimeout, c.SuspicionMult, c.SuspicionMaxTimeoutMult,
		c.IndirectChecks, c.GossipInterval, c.GossipNodes, c.RetransmitMult, c.PushPullInterval, compression)
}

// timings is what a profile decides beyond memberlist's own Config.
type timings struct {
	// updateTimeout bounds how long SetMeta waits for its broadcast.
	updateTimeout time.Duration
}

// memberlistConfig returns the memberlist configuration of a profile.
// Everything but the timings is filled in by NewPool.
func (p Profile) memberlistConfig() (*memberlist.Config, timings) {
	var c *memberlist.Config
	t := timings{updateTimeout: 2 * time.Second}
	switch p {
	case ProfileWAN:
		c = memberlist.DefaultWANConfig()
		t.updateTimeout = 10 * time.Second
	case ProfileLocal:
		c = memberlist.DefaultLocalConfig()
	default:
		c = memberlist.DefaultLANConfig()
		// Halving the probe period and using SuspicionMult 3 gives a 1.5 s
		// suspicion window for up to 10 members (3 × log10(n) × 500 ms,
		// never below 3 × 500 ms), so a dead edge is declared in 2–3 s.
		// One other member confirming the suspicion is enough to reach that
		// minimum (memberlist wants SuspicionMult−2 confirmations); without
		// any it takes SuspicionMaxTimeoutMult (6) times longer, which keeps
		// a single lossy path from evicting a healthy edge.
		c.ProbeInterval = 500 * time.Millisecond
		// A loopback or LAN round trip is well under a millisecond; 250 ms
		// leaves room for a busy encoder machine's scheduler.
		c.ProbeTimeout = 250 * time.Millisecond
		c.SuspicionMult = 3
		// Faster, wider gossip: load changes reach a region in a few
		// hundred milliseconds; broadcasts carry the death news as well.
		c.GossipInterval = 100 * time.Millisecond
		c.GossipNodes = 4
		// Each member hears a broadcast about RetransmitMult × log10(n)
		// times; memberlist's 4 is kept on purpose. With 3, twenty members
		// joining a twenty-member pool left a member or two unaware of a
		// join in every trial, until the next full state sync 30 s later.
		c.RetransmitMult = 4
		// Full state syncs repair what gossip lost; every 15 s (memberlist
		// stretches it for more than 32 members).
		c.PushPullInterval = 15 * time.Second
		c.GossipToTheDeadTime = 15 * time.Second
		// LZW's tables were the largest CPU cost of a 100-member pool, and
		// bandwidth inside a region is cheap.
		c.EnableCompression = false
	}
	// A restarted node often comes back on a new address (a new pod, an
	// ephemeral port); after this long its name may be taken over.
	c.DeadNodeReclaimTime = c.GossipToTheDeadTime
	return c, t
}
