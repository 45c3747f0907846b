package netem

import (
	"errors"
	"log/slog"
	"net"
	"net/netip"
	"os"
	"slices"
	"syscall"
	"testing"
	"time"
)

// requireAvailable skips a test on a machine without the harness's tools,
// except under CI, which runs as root with them and must not pass quietly.
func requireAvailable(t *testing.T) {
	t.Helper()
	if err := Available(); err != nil {
		if os.Getenv("CI") == "" {
			t.Skipf("impairment harness unavailable (CI unset): %v", err)
		}
		t.Fatalf("impairment harness unavailable under CI: %v", err)
	}
}

func testLogger(t *testing.T) *slog.Logger {
	return slog.New(slog.NewTextHandler(t.Output(), &slog.HandlerOptions{Level: slog.LevelInfo}))
}

// newLinked creates a namespace and a shaped link to it, both removed when
// the test ends.
func newLinked(t *testing.T, im Impairment) (*Namespace, *Link) {
	t.Helper()
	requireAvailable(t)
	ns, err := NewNamespace(NamespaceConfig{Logger: testLogger(t)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ns.Close() })
	l, err := NewLink(LinkConfig{Namespace: ns, Impairment: im, Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	return ns, l
}

// echo serves UDP echo inside the namespace on port 0 until the test ends,
// and returns its address.
func echo(t *testing.T, ns *Namespace) netip.AddrPort {
	t.Helper()
	pc, err := ns.ListenPacket("udp4", netip.AddrPortFrom(ns.Addr(), 0).String())
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	t.Cleanup(func() { pc.Close(); <-done })
	go func() {
		defer close(done)
		buf := make([]byte, 2048)
		for {
			n, from, err := pc.ReadFrom(buf)
			if err != nil {
				return
			}
			pc.WriteTo(buf[:n], from)
		}
	}()
	return pc.LocalAddr().(*net.UDPAddr).AddrPort()
}

// rtts sends n numbered pings from the host to an echo server, one every
// gap, and returns the round trips of those that came back.
func rtts(t *testing.T, to netip.AddrPort, n int, gap time.Duration) []time.Duration {
	t.Helper()
	c, err := net.DialUDP("udp4", nil, net.UDPAddrFromAddrPort(to))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	sent := make([]time.Time, n)
	got := make(chan []time.Duration, 1)
	go func() {
		var out []time.Duration
		buf := make([]byte, 64)
		for {
			c.SetReadDeadline(time.Now().Add(2 * time.Second))
			k, err := c.Read(buf)
			if err != nil {
				got <- out
				return
			}
			if k >= 2 {
				i := int(buf[0])<<8 | int(buf[1])
				out = append(out, time.Since(sent[i]))
				if len(out) == n {
					got <- out
					return
				}
			}
		}
	}()
	for i := range n {
		sent[i] = time.Now()
		if _, err := c.Write([]byte{byte(i >> 8), byte(i), 0, 0}); err != nil && !errors.Is(err, net.ErrClosed) {
			t.Fatal(err)
		}
		time.Sleep(gap)
	}
	out := <-got
	slices.Sort(out)
	return out
}

func quantile(d []time.Duration, q float64) time.Duration {
	if len(d) == 0 {
		return 0
	}
	return d[min(len(d)-1, int(q*float64(len(d))))]
}

// arrivals is what a sink in the namespace saw: packet count, bytes, and
// the times of the first and last packet.
type arrivals struct {
	n, bytes    int
	firstBytes  int
	first, last time.Time
}

// rate is the IP bit rate (payload and 28 bytes of IP and UDP headers per
// packet) between the first arrival and the last; the first packet's bytes
// do not count, as they arrived at the window's start.
func (a arrivals) rate() float64 {
	if a.n < 2 {
		return 0
	}
	return float64(a.bytes-a.firstBytes+28*(a.n-1)) * 8 / a.last.Sub(a.first).Seconds()
}

// blast sends n UDP datagrams of size bytes from the host to a sink in the
// namespace, one every gap (back to back when gap is 0), and returns what
// arrived once the sink has been quiet for quiet.
func blast(t *testing.T, ns *Namespace, n, size int, gap, quiet time.Duration) arrivals {
	t.Helper()
	pc, err := ns.ListenPacket("udp4", netip.AddrPortFrom(ns.Addr(), 0).String())
	if err != nil {
		t.Fatal(err)
	}
	defer pc.Close()
	pc.(*net.UDPConn).SetReadBuffer(4 << 20)
	got := make(chan arrivals, 1)
	go func() {
		var a arrivals
		buf := make([]byte, 2048)
		for {
			pc.SetReadDeadline(time.Now().Add(quiet))
			k, _, err := pc.ReadFrom(buf)
			if err != nil {
				got <- a
				return
			}
			a.last = time.Now()
			if a.n == 0 {
				a.first, a.firstBytes = a.last, k
			}
			a.n++
			a.bytes += k
		}
	}()
	c, err := net.DialUDP("udp4", nil, pc.LocalAddr().(*net.UDPAddr))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	msg := make([]byte, size)
	start := time.Now()
	for i := range n {
		// EPERM is an nftables drop in the output hook, ENOBUFS a full
		// qdisc: both are the impairment at work, the packet is lost.
		if _, err := c.Write(msg); err != nil && !errors.Is(err, syscall.EPERM) && !errors.Is(err, syscall.ENOBUFS) {
			t.Fatal(err)
		}
		if gap > 0 {
			// Pace on an absolute schedule, so sleeping late catches up.
			time.Sleep(time.Until(start.Add(time.Duration(i+1) * gap)))
		}
	}
	return <-got
}
