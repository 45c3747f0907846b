package turn

import (
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"log/slog"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/pion/stun/v4"
	pturn "github.com/pion/turn/v5"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
)

var testSecret = []byte("a test secret of thirty-two byte")

// startServer runs a server on loopback with every transport, its TLS
// certificate in files as an operator's would be; it returns the server
// and the pool that trusts the certificate.
func startServer(t *testing.T, edit func(*Config)) (*Server, *x509.CertPool) {
	t.Helper()
	cert, err := selfSigned("", "127.0.0.1")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	keyDER, err := x509.MarshalPKCS8PrivateKey(cert.PrivateKey)
	if err != nil {
		t.Fatal(err)
	}
	certFile, keyFile := filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: cert.Certificate[0]}), 0o600)
	os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER}), 0o600)
	leaf, _ := x509.ParseCertificate(cert.Certificate[0])
	pool := x509.NewCertPool()
	pool.AddCert(leaf)

	cfg := DefaultConfig()
	cfg.UDP, cfg.TCP, cfg.TLS = "127.0.0.1:0", "127.0.0.1:0", "127.0.0.1:0"
	cfg.CertFile, cfg.KeyFile = certFile, keyFile
	cfg.RelayIP = "127.0.0.1"
	cfg.Peers = []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")}
	cfg.Secret = testSecret
	if edit != nil {
		edit(&cfg)
	}
	level := slog.LevelWarn
	if testing.Verbose() {
		level = slog.LevelDebug
	}
	s, err := New(cfg, prometheus.NewRegistry(), slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: level})))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s, pool
}

// dial opens a client's connection to the server over transport, as a
// pion client wants it.
func dial(t *testing.T, s *Server, transport string, roots *x509.CertPool) (net.PacketConn, string) {
	t.Helper()
	udp, tcp, tlsAddr := s.Addrs()
	switch transport {
	case "udp":
		pc, err := net.ListenPacket("udp4", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		return pc, udp.String()
	case "tcp":
		c, err := net.Dial("tcp", tcp.String())
		if err != nil {
			t.Fatal(err)
		}
		return pturn.NewSTUNConn(c), tcp.String()
	case "tls":
		c, err := tls.Dial("tcp", tlsAddr.String(), &tls.Config{RootCAs: roots, ServerName: "127.0.0.1", MinVersion: tls.VersionTLS12})
		if err != nil {
			t.Fatal(err)
		}
		return pturn.NewSTUNConn(c), tlsAddr.String()
	}
	t.Fatalf("no transport %q", transport)
	return nil, ""
}

// client is a pion TURN client of s over transport with cred.
func client(t *testing.T, s *Server, transport string, roots *x509.CertPool, cred Credential) *pturn.Client {
	t.Helper()
	conn, addr := dial(t, s, transport, roots)
	c, err := pturn.NewClient(&pturn.ClientConfig{
		STUNServerAddr: addr, TURNServerAddr: addr, Conn: conn,
		Username: cred.Username, Password: cred.Password, Realm: s.cfg.Realm,
		// A refused request is answered at once; this bounds one that is not.
		RTO: 200 * time.Millisecond,
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close(); conn.Close() })
	if err := c.Listen(); err != nil {
		t.Fatal(err)
	}
	return c
}

// TestRelay allocates through the real server over each transport and
// exchanges data with a peer standing for the edge.
func TestRelay(t *testing.T) {
	s, roots := startServer(t, nil)
	urls := strings.Join(s.URLs(), " ")
	for _, want := range []string{"turn:127.0.0.1:", "?transport=udp", "?transport=tcp", "turns:127.0.0.1:"} {
		if !strings.Contains(urls, want) {
			t.Errorf("URLs %q lack %q", urls, want)
		}
	}
	peer, err := net.ListenPacket("udp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer peer.Close()

	for _, transport := range []string{"udp", "tcp", "tls"} {
		t.Run(transport, func(t *testing.T) {
			c := client(t, s, transport, roots, Issue(testSecret, "session-"+transport, time.Minute, time.Now()))
			relay, err := c.Allocate()
			if err != nil {
				t.Fatalf("allocate: %v", err)
			}
			defer relay.Close()
			// The previous transport's allocation may still be ending.
			if got := s.Allocations(); got < 1 {
				t.Errorf("server counts %d allocations, want at least this one", got)
			}
			if n := testutil.ToFloat64(s.m.allocations.WithLabelValues(transport)); n != 1 {
				t.Errorf("%s allocations counted %v, want 1", transport, n)
			}
			// Player to edge: the write installs the permission.
			if _, err := relay.WriteTo([]byte("ping "+transport), peer.LocalAddr()); err != nil {
				t.Fatal(err)
			}
			buf := make([]byte, 1500)
			peer.SetReadDeadline(time.Now().Add(5 * time.Second))
			n, from, err := peer.ReadFrom(buf)
			if err != nil {
				t.Fatalf("peer read: %v", err)
			}
			if string(buf[:n]) != "ping "+transport || from.String() != relay.LocalAddr().String() {
				t.Fatalf("peer got %q from %v, want %q from the relay %v", buf[:n], from, "ping "+transport, relay.LocalAddr())
			}
			// Edge to player, back through the relay.
			if _, err := peer.WriteTo([]byte("pong "+transport), from); err != nil {
				t.Fatal(err)
			}
			relay.SetReadDeadline(time.Now().Add(5 * time.Second))
			n, from, err = relay.ReadFrom(buf)
			if err != nil {
				t.Fatalf("relay read: %v", err)
			}
			if string(buf[:n]) != "pong "+transport || from.String() != peer.LocalAddr().String() {
				t.Fatalf("client got %q from %v", buf[:n], from)
			}

		})
	}
	// Each client deallocated as its subtest ended.
	for deadline := time.Now().Add(5 * time.Second); s.Allocations() != 0; time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("%d allocations left after every client closed its own", s.Allocations())
		}
	}
	// The relay counts a packet once its write returns, which may be
	// after the peer has read it.
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		to, from := testutil.ToFloat64(s.m.bytes.WithLabelValues("to_peer")), testutil.ToFloat64(s.m.bytes.WithLabelValues("from_peer"))
		if to == 24 && from == 24 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("metrics count %v bytes to the peer and %v from it, want 24 each", to, from)
		}
	}
}

// TestRefused: the server makes no allocation for a bad credential, nor
// beyond its limits, and relays to no peer outside the region.
func TestRefused(t *testing.T) {
	s, roots := startServer(t, func(c *Config) { c.MaxPerUser = 1; c.MaxAllocations = 2 })
	now := time.Now()
	good := Issue(testSecret, "s-1", time.Minute, now)
	for _, tc := range []struct {
		name string
		cred Credential
	}{
		{"expired", Issue(testSecret, "s-1", -time.Second, now)},
		{"wrong password", Credential{Username: good.Username, Password: Issue(testSecret, "s-2", time.Minute, now).Password}},
		{"another secret", Issue([]byte("some other secret of 32 bytes!!!"), "s-1", time.Minute, now)},
		{"not the scheme", Credential{Username: "player", Password: "secret"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if relay, err := client(t, s, "udp", roots, tc.cred).Allocate(); err == nil {
				relay.Close()
				t.Fatal("allocated")
			}
		})
	}
	if n := testutil.ToFloat64(s.m.refused.WithLabelValues("auth")); n < 4 {
		t.Errorf("auth refusals counted %v, want at least 4", n)
	}

	firstClient := client(t, s, "udp", roots, good)
	first, err := firstClient.Allocate()
	if err != nil {
		t.Fatal(err)
	}
	defer first.Close()
	if relay, err := client(t, s, "tcp", roots, good).Allocate(); err == nil {
		relay.Close()
		t.Fatal("a second allocation of one user beyond MaxPerUser=1")
	}
	second, err := client(t, s, "udp", roots, Issue(testSecret, "s-2", time.Minute, now)).Allocate()
	if err != nil {
		t.Fatal(err)
	}
	defer second.Close()
	if relay, err := client(t, s, "udp", roots, Issue(testSecret, "s-3", time.Minute, now)).Allocate(); err == nil {
		relay.Close()
		t.Fatal("an allocation beyond MaxAllocations=2")
	}
	if q, f := testutil.ToFloat64(s.m.refused.WithLabelValues("quota")), testutil.ToFloat64(s.m.refused.WithLabelValues("full")); q != 1 || f != 1 {
		t.Errorf("refusals counted: quota %v, full %v; want 1 each", q, f)
	}

	// 127.0.0.2 is loopback too, but not one of the peers.
	stranger := &net.UDPAddr{IP: net.IPv4(127, 0, 0, 2), Port: 9}
	if err := firstClient.CreatePermission(stranger); err == nil {
		t.Fatal("permission to relay to a peer outside the region")
	}
}

// TestAuthOutlivesExpiry: an expired credential makes no new allocation,
// but keeps its own alive (a game outlives its credential); a forged one
// does neither.
func TestAuthOutlivesExpiry(t *testing.T) {
	s, _ := startServer(t, nil)
	expired := Issue(testSecret, "s-1", -time.Minute, time.Now())
	for _, tc := range []struct {
		method stun.Method
		user   string
		ok     bool
	}{
		{stun.MethodAllocate, expired.Username, false},
		{stun.MethodRefresh, expired.Username, true},
		{stun.MethodCreatePermission, expired.Username, true},
		{stun.MethodChannelBind, expired.Username, true},
		{stun.MethodRefresh, "nonsense", false},
	} {
		id, key, ok := s.auth(&pturn.RequestAttributes{Username: tc.user, Realm: "stratus", Method: tc.method})
		if ok != tc.ok {
			t.Errorf("%v %q: ok %v, want %v", tc.method, tc.user, ok, tc.ok)
		}
		// The key is what the client's MESSAGE-INTEGRITY must match: the
		// one of the scheme's password, so a forged password still fails.
		if ok && (id != "s-1" || string(key) != string(pturn.GenerateAuthKey(expired.Username, "stratus", expired.Password))) {
			t.Errorf("%v: id %q, key not the credential's", tc.method, id)
		}
	}
}
