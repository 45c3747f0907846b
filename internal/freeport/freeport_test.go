package freeport

import (
	"net"
	"strconv"
	"testing"
)

func TestPortsAreFreeAndDistinct(t *testing.T) {
	for _, tt := range []struct {
		name  string
		proto Proto
		n     int
	}{
		{"one TCP", TCP, 1},
		{"several TCP", TCP, 4},
		{"several UDP", UDP, 4},
		{"several for both", Both, 4},
	} {
		t.Run(tt.name, func(t *testing.T) {
			ports, err := Ports("127.0.0.1", tt.n, tt.proto)
			if err != nil {
				t.Fatal(err)
			}
			if len(ports) != tt.n {
				t.Fatalf("%d ports, want %d", len(ports), tt.n)
			}
			seen := map[int]bool{}
			for _, p := range ports {
				if seen[p] {
					t.Errorf("port %d twice in %v", p, ports)
				}
				seen[p] = true
				addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(p))
				if tt.proto&TCP != 0 {
					if ln, err := net.Listen("tcp", addr); err != nil {
						t.Errorf("TCP %d is not free: %v", p, err)
					} else {
						ln.Close()
					}
				}
				if tt.proto&UDP != 0 {
					if c, err := net.ListenPacket("udp", addr); err != nil {
						t.Errorf("UDP %d is not free: %v", p, err)
					} else {
						c.Close()
					}
				}
			}
		})
	}
}

func TestBadInput(t *testing.T) {
	for _, tt := range []struct {
		name  string
		ip    string
		proto Proto
	}{
		{"no protocol", "127.0.0.1", 0},
		{"unknown protocol", "127.0.0.1", 8},
		{"not an address of this host", "192.0.2.1", TCP},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := Port(tt.ip, tt.proto); err == nil {
				t.Error("no error")
			}
		})
	}
}

// fatalTB records what Must reports.
type fatalTB struct{ failed bool }

func (f *fatalTB) Helper()      {}
func (f *fatalTB) Fatal(...any) { f.failed = true }

func TestMust(t *testing.T) {
	if p := Must(t, "127.0.0.1", TCP); p == 0 {
		t.Error("Must gave port 0")
	}
	var f fatalTB
	Must(&f, "192.0.2.1", TCP)
	if !f.failed {
		t.Error("Must did not fail the test on an address of another host")
	}
}
