// Package freeport finds ports free on this machine: for the stratus
// processes that tests and benchmark harnesses start, which must be told
// their ports on the command line before they bind them, and for the media
// port an edge on every interface picks before its ICE mux binds it.
//
// A port found free may still be taken by another process before the child
// binds it; the child then fails to start and says so
// (clustertest.Process.BindFailed), and the caller starts it again.
package freeport

import (
	"fmt"
	"io"
	"net"
	"strconv"
)

// Proto is what a port must be free for.
type Proto int

const (
	TCP Proto = 1 << iota
	UDP
	// Both is one number free for TCP and UDP alike, as a gossip port
	// must be: memberlist binds both.
	Both = TCP | UDP
)

func (p Proto) String() string {
	switch p {
	case TCP:
		return "TCP"
	case UDP:
		return "UDP"
	case Both:
		return "TCP and UDP"
	}
	return "Proto(" + strconv.Itoa(int(p)) + ")"
}

// retries bounds the ports found free for TCP but taken for UDP, which
// are skipped.
const retries = 100

// Ports returns n distinct ports free for proto on ip. Every port stays
// bound until all are chosen, so the kernel cannot hand out one twice.
func Ports(ip string, n int, proto Proto) ([]int, error) {
	if proto&Both == 0 || proto&^Both != 0 {
		return nil, fmt.Errorf("freeport: %v", proto)
	}
	var held []io.Closer
	defer func() {
		for _, c := range held {
			c.Close()
		}
	}()
	ports := make([]int, 0, n)
	for skipped := 0; len(ports) < n; {
		port, cs, err := bind(ip, proto)
		held = append(held, cs...)
		switch {
		case err != nil:
			return nil, fmt.Errorf("freeport: finding a port free for %v on %s: %w", proto, ip, err)
		case port != 0:
			ports = append(ports, port)
		case skipped == retries:
			return nil, fmt.Errorf("freeport: no port free for %v on %s after %d tries", proto, ip, retries)
		default:
			skipped++
		}
	}
	return ports, nil
}

// Port is one port free for proto on ip.
func Port(ip string, proto Proto) (int, error) {
	ports, err := Ports(ip, 1, proto)
	if err != nil {
		return 0, err
	}
	return ports[0], nil
}

// TB is what Must needs of a *testing.T; an interface keeps the testing
// package out of the harnesses that import this one.
type TB interface {
	Helper()
	Fatal(args ...any)
}

// Must is Port for a test, which fails when there is none.
func Must(tb TB, ip string, proto Proto) int {
	tb.Helper()
	port, err := Port(ip, proto)
	if err != nil {
		tb.Fatal(err)
	}
	return port
}

// bind holds a port free for proto on ip and returns it with what holds
// it. Port 0 without an error is a number free for TCP but taken for UDP,
// to be skipped.
func bind(ip string, proto Proto) (int, []io.Closer, error) {
	if proto == UDP {
		c, err := net.ListenPacket("udp", net.JoinHostPort(ip, "0"))
		if err != nil {
			return 0, nil, err
		}
		return c.LocalAddr().(*net.UDPAddr).Port, []io.Closer{c}, nil
	}
	ln, err := net.Listen("tcp", net.JoinHostPort(ip, "0"))
	if err != nil {
		return 0, nil, err
	}
	port := ln.Addr().(*net.TCPAddr).Port
	if proto == TCP {
		return port, []io.Closer{ln}, nil
	}
	c, err := net.ListenPacket("udp", net.JoinHostPort(ip, strconv.Itoa(port)))
	if err != nil {
		ln.Close()
		return 0, nil, nil
	}
	return port, []io.Closer{ln, c}, nil
}
