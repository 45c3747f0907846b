package stream

import (
	"errors"
	"fmt"
	"net"
	"time"
)

// Config is the edge-wide WebRTC configuration shared by all players.
type Config struct {
	// ListenIP is the address media sockets bind to. An unspecified address
	// (0.0.0.0 or ::) binds the port on every interface address.
	ListenIP string
	// UDPPort is the one UDP port all peers share (ICE UDP mux); 0 picks a
	// free port.
	UDPPort int
	// TCPPort is the ICE-TCP fallback port; 0 picks a free port, -1 disables
	// ICE-TCP.
	TCPPort int
	// Loopback also advertises loopback candidates. It is implied when
	// ListenIP is a loopback address; set it on a development machine where
	// the browser runs on the same host as the edge.
	Loopback bool
	// PublicIPs are advertised in candidates instead of the local addresses,
	// for an edge behind 1:1 NAT or Docker port mapping.
	PublicIPs []string

	// MinBitrate, StartBitrate and MaxBitrate bound the GCC estimator that
	// drives the encoder, in bits per second.
	MinBitrate, StartBitrate, MaxBitrate int
	// RandomLossMax is the loss up to which loss without delay growth is
	// taken for random loss, repaired by FEC and NACK, and does not lower
	// the rate; above it any loss backs the rate off.
	RandomLossMax float64

	// FECMaxOverhead caps FlexFEC: FEC packets per media packet at the
	// worst loss. 0 turns FEC off and keeps it out of the answer.
	// FECMinLoss is the measured loss below which no FEC is sent, and
	// FECInterval how often the overhead follows the measured loss (five
	// times the loss, see fecOverheadFor).
	FECMaxOverhead, FECMinLoss float64
	FECInterval                time.Duration

	// DisconnectedTimeout is how long the edge hears nothing from a player
	// before it calls the peer disconnected; FailedTimeout how much longer
	// before it gives up (failed is final). KeepaliveInterval is how often
	// the ICE agent looks, which bounds how late it notices.
	DisconnectedTimeout, FailedTimeout, KeepaliveInterval time.Duration
}

// DefaultConfig returns the configuration of a production edge.
func DefaultConfig() Config {
	return Config{
		// Every interface: an edge is a dedicated host, reached on its LAN
		// address by local players and on its public one through NAT.
		ListenIP: "0.0.0.0",
		// 3478 is the STUN/TURN port. Restrictive networks that let any UDP
		// out usually let this one out, because every video-call product
		// needs it; edges run no TURN server that would want it.
		UDPPort: 3478,
		// 8443 is the usual unprivileged alternative HTTPS port, open on most
		// networks that block UDP; 443 would need privileges and collides
		// with the edge's own HTTPS.
		TCPPort: 8443,
		// Below about 0.5 Mbit/s 720p game video turns to mush; a picture
		// that bad is worse for the player than a clear "network too slow".
		MinBitrate: 500_000,
		// GCC climbs by about 8 % a second, so a low start leaves the first
		// minute blurry; 4 Mbit/s is what typical broadband sustains, and
		// GCC backs off within a second where it does not.
		StartBitrate: 4_000_000,
		// 1080p60 baseline H.264 looks good at 15 to 20 Mbit/s; beyond that
		// the encoder spends the player's bandwidth on nothing visible.
		MaxBitrate: 20_000_000,
		// GCC's own loss controller backs off only above 10 %; below it
		// FEC and NACK repair the loss.
		RandomLossMax: 0.10,
		// FEC past 30 % would take most of the estimate from the picture,
		// and loss that needs more is congestion FEC would only feed; 30 %
		// still repairs one loss in four packets.
		FECMaxOverhead: 0.3,
		// Under half a percent NACK repairs the odd loss within a round
		// trip, and FEC would cost more than the rare freeze it saves.
		FECMinLoss: 0.005,
		// Browsers send a receiver report about once a second, so loss is
		// not measured more often than that.
		FECInterval: time.Second,
		// While video flows the browser sends transport-cc feedback every
		// 50 to 100 ms, so a second of silence is a broken path, not a quiet
		// one. Disconnected is only reported: video keeps flowing and
		// recovers by itself if the path comes back.
		DisconnectedTimeout: time.Second,
		// Wi-Fi roaming and cellular handovers take one to three seconds and
		// recover on their own; after five seconds of a frozen picture the
		// player has given up and the session should be reclaimed or moved.
		FailedTimeout: 4 * time.Second,
		// An ICE-lite agent sends no keepalives, so this is only how often it
		// checks for silence: a quarter second keeps detection within
		// DisconnectedTimeout + 250 ms.
		KeepaliveInterval: 250 * time.Millisecond,
	}
}

// Validate reports every problem in c at once.
func (c Config) Validate() error {
	var errs []error
	bad := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }

	switch ip := net.ParseIP(c.ListenIP); {
	case ip == nil:
		bad("ListenIP %q is not an IP address", c.ListenIP)
	case ip.Equal(net.IPv6loopback):
		// Pion's ICE takes ::1 for an IPv4-compatible address and never
		// offers it.
		bad("ListenIP ::1 cannot carry ICE; use 127.0.0.1")
	}
	if c.UDPPort < 0 || c.UDPPort > 65535 {
		bad("UDPPort %d is outside 0..65535", c.UDPPort)
	}
	if c.TCPPort < -1 || c.TCPPort > 65535 {
		bad("TCPPort %d is outside -1..65535 (-1 disables ICE-TCP)", c.TCPPort)
	}
	for _, s := range c.PublicIPs {
		ip := net.ParseIP(s)
		switch {
		case ip == nil:
			bad("PublicIPs: %q is not an IP address", s)
		case ip.IsUnspecified():
			bad("PublicIPs: %q cannot be advertised", s)
		}
	}
	if c.MinBitrate <= 0 {
		bad("MinBitrate %d must be positive", c.MinBitrate)
	}
	if c.StartBitrate < c.MinBitrate || c.StartBitrate > c.MaxBitrate {
		bad("StartBitrate %d must lie within MinBitrate %d and MaxBitrate %d", c.StartBitrate, c.MinBitrate, c.MaxBitrate)
	}
	if c.MaxBitrate < c.MinBitrate {
		bad("MaxBitrate %d is below MinBitrate %d", c.MaxBitrate, c.MinBitrate)
	}
	if c.RandomLossMax < 0 || c.RandomLossMax >= 1 || c.RandomLossMax != c.RandomLossMax {
		bad("RandomLossMax %v is outside 0..1", c.RandomLossMax)
	}
	if c.FECMaxOverhead < 0 || c.FECMaxOverhead > 1 || c.FECMaxOverhead != c.FECMaxOverhead {
		bad("FECMaxOverhead %v is outside 0..1 (0 disables FEC)", c.FECMaxOverhead)
	}
	if c.FECMinLoss < 0 || c.FECMinLoss >= 1 || c.FECMinLoss != c.FECMinLoss {
		bad("FECMinLoss %v is outside 0..1", c.FECMinLoss)
	}
	if c.FECMaxOverhead > 0 && c.FECInterval <= 0 {
		bad("FECInterval %v must be positive while FEC is on", c.FECInterval)
	}
	if c.DisconnectedTimeout <= 0 {
		bad("DisconnectedTimeout %v must be positive", c.DisconnectedTimeout)
	}
	if c.FailedTimeout <= 0 {
		bad("FailedTimeout %v must be positive", c.FailedTimeout)
	}
	if c.KeepaliveInterval <= 0 {
		bad("KeepaliveInterval %v must be positive", c.KeepaliveInterval)
	} else if c.DisconnectedTimeout > 0 && c.KeepaliveInterval >= c.DisconnectedTimeout {
		bad("KeepaliveInterval %v must be shorter than DisconnectedTimeout %v", c.KeepaliveInterval, c.DisconnectedTimeout)
	}
	return errors.Join(errs...)
}
