package main

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// TestSignalTURNFlags: -turn-urls groups URLs by region with the secret
// of -turn-secret-file, and bad entries are all reported.
func TestSignalTURNFlags(t *testing.T) {
	secret := filepath.Join(t.TempDir(), "turn.secret")
	if err := os.WriteFile(secret, []byte("a secret of thirty-two bytes!!!!\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, err := signalFlags([]string{"-edges", "http://127.0.0.1:1", "-turn-secret-file", secret,
		"-turn-urls", "eu=turn:192.0.2.1:3479?transport=udp,eu=turn:192.0.2.1:3479?transport=tcp,*=turn:192.0.2.9:3479?transport=udp"})
	if err != nil {
		t.Fatal(err)
	}
	tc := cfg.Signal.TURN
	if tc == nil || string(tc.Secret) != "a secret of thirty-two bytes!!!!" {
		t.Fatalf("turn config %+v", tc)
	}
	if !slices.Equal(tc.URLs["eu"], []string{"turn:192.0.2.1:3479?transport=udp", "turn:192.0.2.1:3479?transport=tcp"}) || len(tc.URLs[""]) != 1 {
		t.Fatalf("urls %v", tc.URLs)
	}

	_, err = signalFlags([]string{"-edges", "http://127.0.0.1:1", "-turn-urls", "turn:x:1,eu=stun:x:1"})
	for _, want := range []string{`turn-urls "turn:x:1": want region=URL`, `URL "stun:x:1"`, "needs a cluster key or -turn-secret-file"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("error %v lacks %q", err, want)
		}
	}
	if cfg, err := signalFlags([]string{"-edges", "http://127.0.0.1:1"}); err != nil || cfg.Signal.TURN != nil {
		t.Fatalf("without -turn-urls: %+v, %v; want no TURN", cfg.Signal.TURN, err)
	}
}

// TestTURNFlagsConfig: the server relays on the first public IP and only
// to this edge's media addresses and the given peers.
func TestTURNFlagsConfig(t *testing.T) {
	cfg, err := serveFlags([]string{"-media-ip", "127.0.0.1", "-public-ip", "203.0.113.7", "-turn", "127.0.0.1:0",
		"-turn-relay-ports", "50000-50100", "-turn-peers", "10.0.0.0/24,198.51.100.4"})
	if err != nil {
		t.Fatal(err)
	}
	tc, err := cfg.turn.config(cfg.Edge.Stream, nil)
	if err != nil {
		t.Fatal(err)
	}
	if tc.RelayIP != "203.0.113.7" || tc.RelayBind != "0.0.0.0" || tc.RelayPorts != [2]int{50000, 50100} || len(tc.Secret) != 32 {
		t.Fatalf("relay %s bind %s ports %v secret %d bytes", tc.RelayIP, tc.RelayBind, tc.RelayPorts, len(tc.Secret))
	}
	var peers []string
	for _, p := range tc.Peers {
		peers = append(peers, p.String())
	}
	if !slices.Equal(peers, []string{"203.0.113.7/32", "127.0.0.1/32", "10.0.0.0/24", "198.51.100.4/32"}) {
		t.Fatalf("peers %v", peers)
	}
	cfg.turn.RelayPorts, cfg.turn.Peers = "50100-50000", []string{"nonsense"}
	if _, err := cfg.turn.config(cfg.Edge.Stream, nil); err == nil || !strings.Contains(err.Error(), "relay ports 50100-50000") || !strings.Contains(err.Error(), `turn-peers "nonsense"`) {
		t.Fatalf("bad flags: %v", err)
	}
}
