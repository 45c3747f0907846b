package signaling_test

import (
	"bytes"
	"crypto/ed25519"
	"encoding/json"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"

	"stratus/checker/qos"
	"stratus/cluster"
	"stratus/edge/api"
	"stratus/internal/edgenet"
	"stratus/internal/pgtest"
	"stratus/internal/player"
	"stratus/ledger"
	"stratus/signaling"
	"stratus/trust"
	"stratus/trust/enroll"
)

// TestNodesShareChecksAndVerdicts: two signaling nodes on one ledger, one
// SQLite file in a shared data directory or one PostgreSQL, share what
// each learns of the edges. A check posted to node a scores the edge on
// node b within a couple of seconds; rows written straight into the
// ledger without the checker's or the node's signature are refused and
// logged; an edge that refuses the slots it advertises twice through a
// and once through b is convicted on both, which neither would have done
// alone.
func TestNodesShareChecksAndVerdicts(t *testing.T) {
	tests := []struct {
		name string
		// ledger returns the nodes' -db and, for SQLite, the data
		// directory they share ("": one each).
		ledger func(t *testing.T) (dsn, dataDir string)
	}{
		{"SQLite in a shared data directory", func(t *testing.T) (string, string) { return "", t.TempDir() }},
		{"PostgreSQL", func(t *testing.T) (string, string) { return pgtest.Start(t), "" }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			noLeaks(t)
			dsn, shared := tt.ledger(t)
			checkSharing(t, dsn, shared)
		})
	}
}

func checkSharing(t *testing.T, dsn, sharedDir string) {
	net := edgenet.New()
	// eu-1 refuses every join while it advertises 10 free slots; names
	// break the tie, so each join tries it first.
	net.Start(edgenet.EdgeConfig{Name: "eu-1", Region: "eu", Capacity: 10, Create: edgenet.Refuse(api.CodeEdgeFull)})
	net.Start(edgenet.EdgeConfig{Name: "eu-2", Region: "eu", Capacity: 10})
	regDir := t.TempDir() // shared, as the nodes of one network share it
	dataDir := func() string {
		if sharedDir != "" {
			return sharedDir
		}
		return t.TempDir()
	}
	start := func(name string) (*node, func(string) bool) {
		log, holds := watchLog(t)
		return newNodeLog(t, net, log, func(c *signaling.Config) {
			rc := enroll.DefaultConfig()
			// The registry reads what the other node enrolled every
			// 2 s by default; sooner here, so that the wait below is
			// the sharing's own.
			rc.Dir, rc.Poll = regDir, 200*time.Millisecond
			c.Name, c.Registry, c.DataDir, c.LedgerDB = name, &rc, dataDir(), dsn
			c.Limits.SessionsPerPlayer = 3 // every join comes from loopback
		}), holds
	}
	a, _ := start("sig-a")
	b, bLogged := start("sig-b")

	op := &http.Client{Transport: trust.BearerTransport{Token: testOperatorToken}}
	add, err := (enroll.Client{HTTP: op, URL: a.URL}).Add(t.Context(), enroll.NetworkOperator, cluster.RoleChecker)
	if err != nil {
		t.Fatal(err)
	}
	id, _, err := enroll.Join(t.Context(), enroll.NodeConfig{Dir: t.TempDir(), Node: "checker-1", Role: cluster.RoleChecker, Token: add.Token},
		slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	// Both edges pass: their scores stay 1, and eu-1 is tried first.
	posted := time.Now()
	for _, edge := range []string{"eu-1", "eu-2"} {
		postCheck(t, a, "checker-1", id.Key, edge)
	}
	eventually(t, "node b to score both edges from the checks posted to a", func() bool {
		st := standings(t, b)
		return st["eu-1"] != nil && st["eu-2"] != nil && st["eu-1"].Checker == "checker-1" && st["eu-2"].Score == 1
	})
	t.Logf("node b scored the checks posted to node a after %v", time.Since(posted).Round(time.Millisecond))
	if d := time.Since(posted); d > 3*time.Second {
		t.Errorf("node b took %v to score node a's checks", d)
	}

	// Rows straight into the ledger: a report that eu-2 failed, signed
	// with a key that is not checker-1's, and three verdicts against
	// eu-2 in sig-a's name without its signature.
	db, err := ledger.Open(t.Context(), dsn, sharedDir)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	_, forger, _ := ed25519.GenerateKey(nil)
	forged, err := qos.Sign("checker-1", forger, qos.Report{Result: qos.Result{Edge: "eu-2", At: time.Now()}, Error: "forged"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.AddCheckReport(t.Context(), ledger.CheckReport{Node: "sig-a", Checker: forged.Checker, At: time.Now(),
		Report: forged.Report, Sig: forged.Sig}); err != nil {
		t.Fatal(err)
	}
	for i := range 3 {
		if _, err := db.AddRefusal(t.Context(), ledger.Refusal{Edge: "eu-2", Node: "sig-a", At: time.Now(), Sig: []byte{byte(i)}}); err != nil {
			t.Fatal(err)
		}
	}
	eventually(t, "node b to refuse the forged rows", func() bool {
		return bLogged("row shared through the ledger refused") && bLogged("signature is not checker-1's") &&
			bLogged("verdict=3") && bLogged("signature is not sig-a's")
	})
	if st := standings(t, b)["eu-2"]; st == nil || st.Score != 1 || st.Refused != 0 || st.Checks != 1 {
		t.Fatalf("eu-2 on node b after the forged rows: %+v", st)
	}

	// Two lies judged on a, one on b.
	join := func(n *node) {
		t.Helper()
		m, err := dial(t, n).JoinAndWait(wait(t), player.Join{Title: "rocks"})
		if err != nil || m.Type != signaling.TypeJoined || m.Edge != "eu-2" {
			t.Fatalf("join through %s: %+v %v", n.URL, m, err)
		}
	}
	join(a)
	join(a)
	eventually(t, "node b to count node a's two verdicts against eu-1", func() bool {
		return standings(t, b)["eu-1"].Refused == 2
	})
	if st := standings(t, b)["eu-1"]; st.Score != 1 {
		t.Fatalf("two refusals convicted eu-1 on node b: %+v", st)
	}
	join(b)
	for _, n := range []*node{a, b} {
		eventually(t, "both nodes to convict eu-1", func() bool {
			st := standings(t, n)["eu-1"]
			return st.Refused == 3 && st.Score == 0
		})
		d := explain(t, n, "rocks")
		if d.Winner != "eu-2" || len(d.Candidates) != 2 || !strings.Contains(d.Candidates[1].Reason, "refuses advertised slots") {
			t.Fatalf("routing on %s after the third refusal: %+v", n.URL, d)
		}
	}
}

// postCheck posts checker's signed report that edge passed its check.
func postCheck(t *testing.T, n *node, checker string, key ed25519.PrivateKey, edge string) {
	t.Helper()
	rep := qos.Report{Result: qos.Result{Edge: edge, At: time.Now(), FPS: 60, G2G: qos.Latency{P50: 20, P99: 30}, Input: qos.Latency{P50: 30}}, OK: true}
	s, err := qos.Sign(checker, key, rep)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := json.Marshal(s)
	resp, err := http.Post(n.URL+"/v1/checks", "application/json", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusNoContent {
		t.Fatalf("report on %s: %s", edge, resp.Status)
	}
}

// standings are the edges' QoS standings as GET /v1/edges shows them; an
// edge without one is missing.
func standings(t *testing.T, n *node) map[string]*qos.Standing {
	t.Helper()
	body, err := httpGet(n.URL + "/v1/edges")
	if err != nil {
		t.Fatal(err)
	}
	var edges []struct {
		Name string        `json:"name"`
		QoS  *qos.Standing `json:"qos"`
	}
	if err := json.Unmarshal(body, &edges); err != nil {
		t.Fatalf("GET /v1/edges: %v: %s", err, body)
	}
	out := map[string]*qos.Standing{}
	for _, e := range edges {
		if e.QoS != nil {
			out[e.Name] = e.QoS
		}
	}
	return out
}
