package netem

import (
	"io"
	"net"
	"net/netip"
	"strings"
	"testing"
	"time"
)

// TestVethBlock: with UDP blocked nothing crosses the namespace's end by UDP
// in either direction while TCP still does; a blocked TCP port stops only
// that port; Unblock restores everything; bad blocks are refused.
func TestVethBlock(t *testing.T) {
	ns, v := newVeth(t)
	to := echo(t, ns)
	if got := rtts(t, to, 3, 10*time.Millisecond); len(got) != 3 {
		t.Fatalf("before blocking: %d of 3 UDP echoes came back", len(got))
	}
	tcpA, tcpB := tcpEcho(t, ns), tcpEcho(t, ns)
	if err := v.Block(Block{Proto: "udp"}); err != nil {
		t.Fatal(err)
	}
	if got := rtts(t, to, 3, 10*time.Millisecond); len(got) != 0 {
		t.Errorf("UDP blocked: %d echoes came back, want none", len(got))
	}
	// From inside the namespace outward, the send itself is refused.
	if c, err := ns.Dial("udp4", netip.AddrPortFrom(ns.HostAddr(), 9).String()); err != nil {
		t.Fatal(err)
	} else {
		if _, err := c.Write([]byte("x")); err == nil {
			t.Errorf("UDP blocked: a send from the namespace succeeded")
		}
		c.Close()
	}
	if err := tcpRoundTrip(tcpA); err != nil {
		t.Errorf("UDP blocked: TCP must pass: %v", err)
	}
	if err := v.Block(Block{Proto: "tcp", Port: int(tcpB.Port())}); err != nil {
		t.Fatal(err)
	}
	if err := tcpRoundTrip(tcpB); err == nil {
		t.Errorf("TCP port %d blocked: a round trip succeeded", tcpB.Port())
	}
	if err := tcpRoundTrip(tcpA); err != nil {
		t.Errorf("TCP port %d blocked: another port must pass: %v", tcpB.Port(), err)
	}
	if err := v.Unblock(); err != nil {
		t.Fatal(err)
	}
	if got := rtts(t, to, 3, 10*time.Millisecond); len(got) != 3 {
		t.Errorf("unblocked: %d of 3 UDP echoes came back", len(got))
	}
	if err := tcpRoundTrip(tcpB); err != nil {
		t.Errorf("unblocked: %v", err)
	}
	for _, b := range []Block{{Proto: "icmp"}, {Proto: "udp", Port: 70000}, {Proto: "", Port: -1}} {
		if err := v.Block(b); err == nil {
			t.Errorf("Block(%+v) accepted", b)
		}
	}
	err := v.Block(Block{Proto: "sctp", Port: -2})
	if err == nil || !strings.Contains(err.Error(), "protocol") || !strings.Contains(err.Error(), "port") {
		t.Errorf("Block with two problems: %v, want both named", err)
	}
}

// tcpEcho serves TCP echo inside the namespace until the test ends.
func tcpEcho(t *testing.T, ns *Namespace) netip.AddrPort {
	t.Helper()
	ln, err := ns.Listen("tcp4", netip.AddrPortFrom(ns.Addr(), 0).String())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() { defer c.Close(); io.Copy(c, c) }()
		}
	}()
	return ln.Addr().(*net.TCPAddr).AddrPort()
}

// tcpRoundTrip connects from the host and echoes one message, within 1 s.
func tcpRoundTrip(to netip.AddrPort) error {
	c, err := net.DialTimeout("tcp4", to.String(), time.Second)
	if err != nil {
		return err
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(time.Second))
	if _, err := c.Write([]byte("ping")); err != nil {
		return err
	}
	_, err = io.ReadFull(c, make([]byte, 4))
	return err
}
