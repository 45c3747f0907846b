package signaling_test

import (
	"bytes"
	"encoding/json"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"

	"stratus/checker/qos"
	"stratus/cluster"
	"stratus/internal/edgenet"
	"stratus/signaling"
	"stratus/trust"
	"stratus/trust/enroll"
)

// TestChecksSteerRouting: an enrolled checker's reports that an edge fails
// make the node route players to a healthy one, /v1/route says why, and
// /v1/edges shows the scores.
func TestChecksSteerRouting(t *testing.T) {
	noLeaks(t)
	net := edgenet.New()
	net.Start(edgenet.EdgeConfig{Name: "eu-1", Region: "eu", Capacity: 10})
	net.Start(edgenet.EdgeConfig{Name: "eu-2", Region: "eu", Capacity: 10})
	regDir, dataDir := t.TempDir(), t.TempDir()
	n := newNode(t, net, func(c *signaling.Config) {
		rc := enroll.DefaultConfig()
		rc.Dir = regDir
		c.Registry, c.DataDir = &rc, dataDir
	})
	op := &http.Client{Transport: trust.BearerTransport{Token: testOperatorToken}}
	add, err := (enroll.Client{HTTP: op, URL: n.URL}).Add(t.Context(), enroll.NetworkOperator, cluster.RoleChecker)
	if err != nil {
		t.Fatal(err)
	}
	id, _, err := enroll.Join(t.Context(), enroll.NodeConfig{Dir: t.TempDir(), Node: "checker-1", Role: cluster.RoleChecker, Token: add.Token},
		slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	report := func(edge string, ok bool) {
		t.Helper()
		rep := qos.Report{Result: qos.Result{Edge: edge, At: time.Now(), FPS: 60, G2G: qos.Latency{P50: 20, P99: 30}, Input: qos.Latency{P50: 30}}, OK: ok}
		if !ok {
			rep.Error = "edge_full: refused the join it had room for"
		}
		s, _ := qos.Sign("checker-1", id.Key, rep)
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
	// Without checks, names break the tie: eu-1 first.
	eventually(t, "both edges routable", func() bool { return len(explain(t, n, "rocks").Candidates) == 2 })
	report("eu-1", false)
	report("eu-2", true)
	d := explain(t, n, "rocks")
	if d.Winner != "eu-2" || !strings.Contains(d.Candidates[1].Reason, "checks short 1.00") {
		t.Fatalf("after eu-1 failed its check: %+v", d)
	}
	t.Logf("eu-1 after a failed check: %s", d.Candidates[1].Reason)
	var edges []struct {
		Name string        `json:"name"`
		QoS  *qos.Standing `json:"qos"`
	}
	resp, err := httpGet(n.URL + "/v1/edges")
	if err != nil {
		t.Fatal(err)
	}
	decode(t, resp, &edges)
	for _, e := range edges {
		if e.QoS == nil || e.QoS.Checker != "checker-1" || (e.Name == "eu-1") != (e.QoS.Score == 0) {
			t.Errorf("%s: qos %+v", e.Name, e.QoS)
		}
	}
}
