package cluster

import (
	"crypto/ed25519"
	"crypto/rand"
	"log/slog"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/memberlist"
)

// testNetwork is a network key that certifies test nodes.
type testNetwork struct {
	pub  ed25519.PublicKey
	priv ed25519.PrivateKey
}

func newTestNetwork(t testing.TB) testNetwork {
	t.Helper()
	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return testNetwork{pub, priv}
}

// identity certifies a fresh node key as node with role, for operator.
func (n testNetwork) identity(t testing.TB, node string, role Role, operator string) *Identity {
	t.Helper()
	_, key, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	pub := key.Public().(ed25519.PublicKey)
	return &Identity{Key: key, Operator: operator, Cert: ed25519.Sign(n.priv, CertMessage(node, role, operator, pub))}
}

func signedNode(t *testing.T, name string, meta Meta, id *Identity) *memberlist.Node {
	t.Helper()
	meta.Operator = id.Operator
	b, err := meta.encode(0, &sealer{name: name, id: id})
	if err != nil {
		t.Fatal(err)
	}
	return &memberlist.Node{Name: name, Addr: net.IPv4(127, 0, 0, 1), Port: 7946, Meta: b}
}

// Every way of presenting metadata the network did not certify is refused,
// and the member is listed with a zero Meta; certified metadata is believed.
func TestViewBelievesOnlyCertifiedMetadata(t *testing.T) {
	net1, net2 := newTestNetwork(t), newTestNetwork(t)
	good := net1.identity(t, "edge-1", RoleEdge, "acme")
	meta := testMeta("edge-1")
	tamper := func(n *memberlist.Node) *memberlist.Node {
		// A byte inside the JSON (the API URL's last character).
		i := strings.Index(string(n.Meta), `edge-1"`) + 5
		n.Meta[i] ^= 1
		return n
	}
	cases := []struct {
		name     string
		node     *memberlist.Node
		believed bool
	}{
		{"certified", signedNode(t, "edge-1", meta, good), true},
		{"unsigned", fakeNode(t, "edge-1", meta, 0), false},
		{"certified by another network", signedNode(t, "edge-1", meta, net2.identity(t, "edge-1", RoleEdge, "acme")), false},
		{"under another name", signedNode(t, "edge-2", meta, good), false},
		{"claiming another role", signedNode(t, "edge-1", Meta{Role: RoleSignal, API: "http://evil", Catalog: 1 << 63}, good), false},
		{"claiming another operator", signedNode(t, "edge-1", meta, &Identity{Key: good.Key, Operator: "other", Cert: good.Cert}), false},
		{"altered in flight", tamper(signedNode(t, "edge-1", meta, good)), false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			v := newView("self", net1.pub, newTestLogger(t))
			v.notifyJoin(c.node)
			got := v.list()[0]
			believed := got.Meta.Role != ""
			if believed != c.believed {
				t.Fatalf("believed %v, want %v (meta %+v)", believed, c.believed, got.Meta)
			}
			if refused := v.refused.Load() == 1; refused == c.believed {
				t.Errorf("refused counter %d", v.refused.Load())
			}
			t.Logf("%s: believed=%v refused=%d", c.name, believed, v.refused.Load())
		})
	}
}

// Metadata older than what was believed of a member (a replay) changes
// nothing; a dev pool (no network key) does not check versions.
func TestViewRefusesReplayedMetadata(t *testing.T) {
	n := newTestNetwork(t)
	id := n.identity(t, "edge-1", RoleEdge, "acme")
	old := testMeta("edge-1")
	old.Version, old.Health = 100, HealthOK
	cur := old
	cur.Version, cur.Health = 101, HealthDraining

	v := newView("self", n.pub, newTestLogger(t))
	v.notifyJoin(signedNode(t, "edge-1", cur, id))
	v.notifyUpdate(signedNode(t, "edge-1", old, id))
	if got := v.list()[0].Meta; got.Health != HealthDraining || got.Version != 101 {
		t.Fatalf("after the replay: %+v", got)
	}
	// Gone, then replayed as a join: listed, but believed in nothing.
	v.notifyLeave(&memberlist.Node{Name: "edge-1"})
	v.notifyJoin(signedNode(t, "edge-1", old, id))
	if got := v.list()[0]; got.Meta.Role != "" {
		t.Fatalf("replayed join believed: %+v", got)
	}
	if v.refused.Load() != 2 {
		t.Errorf("refused %d, want 2", v.refused.Load())
	}
}

func TestSignedMetaFitsAndRoundTrips(t *testing.T) {
	id := newTestNetwork(t).identity(t, "edge-7", RoleEdge, "acme")
	m := fullMeta()
	m.Operator = id.Operator
	b, err := m.encode(0, &sealer{name: "edge-7", id: id})
	if err != nil {
		t.Fatal(err)
	}
	w, err := parseWire(b)
	if err != nil || len(b) > MaxMetaSize {
		t.Fatalf("%d bytes: %v", len(b), err)
	}
	if err := w.verify("edge-7"); err != nil {
		t.Fatal(err)
	}
	if w.meta.API != m.API || w.meta.Operator != "acme" {
		t.Errorf("round trip: %+v", w.meta)
	}
	t.Logf("signed meta: %d bytes (%d of them signature, key and certificate)", len(b), sealOverhead)
}

// Real pools over sockets, sharing the cluster key: the node the network
// certified is believed, the one that only holds the cluster key is listed
// without metadata, and both sides log why.
func TestPoolIgnoresUnenrolledNode(t *testing.T) {
	n := newTestNetwork(t)
	log, buf := testLogger(t)
	key := testKey(7)
	cfgA := testConfig("lan/eu", "signal-1", key)
	cfgA.Identity, cfgA.Network = n.identity(t, "signal-1", RoleSignal, "network"), n.pub
	a := startPool(t, cfgA, Meta{Role: RoleSignal, Health: HealthOK}, log)

	cfgB := testConfig("lan/eu", "edge-1", key, a.LocalAddr())
	cfgB.Identity, cfgB.Network = n.identity(t, "edge-1", RoleEdge, "acme"), n.pub
	startPool(t, cfgB, testMeta("edge-1"), log)

	// The rogue holds the cluster key, but its certificate is its own.
	rogue := newTestNetwork(t)
	cfgC := testConfig("lan/eu", "edge-rogue", key, a.LocalAddr())
	cfgC.Identity = rogue.identity(t, "edge-rogue", RoleEdge, "acme")
	forged := testMeta("edge-rogue")
	forged.API = "http://attacker.example/"
	startPool(t, cfgC, forged, log)

	waitFor(t, 10*time.Second, "signal-1 to list all three", func() (bool, string) {
		ms := a.Members()
		return len(ms) == 3, strings.Join(names(ms), ",")
	})
	for _, m := range a.Members() {
		switch m.Name {
		case "edge-1":
			if m.Meta.API != testMeta("edge-1").API || m.Meta.Operator != "acme" || m.Key == nil {
				t.Errorf("enrolled edge: %+v", m)
			}
		case "edge-rogue":
			if m.Meta.Role != "" || m.Meta.API != "" {
				t.Errorf("forged metadata believed: %+v", m.Meta)
			}
		}
	}
	if a.Stats().RefusedMeta == 0 || !strings.Contains(buf.String(), "not certified") {
		t.Errorf("refusal not counted or logged: %+v", a.Stats())
	}
}

func newTestLogger(t testing.TB) *slog.Logger {
	log, _ := testLogger(t)
	return log
}
