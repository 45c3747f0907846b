package main

import (
	"bytes"
	"crypto/ed25519"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"stratus/checker/qos"
	"stratus/cluster"
	"stratus/internal/freeport"
	"stratus/trust/enroll"
)

// TestClusterChecker: `stratus checker` plays testpattern on each edge
// through the signaling node, as a player, decodes the video and reports
// what it measured; an edge with no spare room is left alone. Real
// processes and real WebRTC, H.264 decoded with libavcodec.
func TestClusterChecker(t *testing.T) {
	c := newCluster(t)
	s := c.startSignal(signalOpts{name: "signal-1"})
	c.startEdge(edgeOpts{name: "eu-west-1", region: "eu-west", join: s})
	c.startEdge(edgeOpts{name: "eu-west-2", region: "eu-west", join: s})
	waitEdges(t, s, 15*time.Second, []string{"eu-west-1", "eu-west-2"}, okEdge)

	ck, addr := c.startChecker(s, "6s")
	var reports []qos.Report
	poll(t, 60*time.Second, "the checker to report both edges measured", func() (bool, string) {
		if ck.Exited() {
			ck.dumpLog(30)
			t.Fatal("the checker exited")
		}
		reports = nil
		if err := getJSON("http://"+addr+"/v1/results", &reports); err != nil {
			return false, err.Error()
		}
		ok := 0
		var seen []string
		for _, r := range reports {
			seen = append(seen, fmt.Sprintf("%s ok=%v %s%s", r.Edge, r.OK, r.Error, r.Skipped))
			if r.OK && r.G2G.N > 0 && r.Input.N > 0 {
				ok++
			}
		}
		return ok == 2, strings.Join(seen, "; ")
	})
	for _, r := range reports {
		t.Logf("%s: join %.0f ms, %.1f fps (%d frames), g2g p50 %.1f / p99 %.1f ms (n %d), input p50 %.1f ms (n %d), clock offset %.2f ms (rtt %.2f), loss %.3f, jitter %.2f ms, %.0f kbit/s, %d decode errors",
			r.Edge, r.JoinMs, r.FPS, r.Frames, r.G2G.P50, r.G2G.P99, r.G2G.N, r.Input.P50, r.Input.N, r.ClockOffsetMs, r.ClockRTTMs, r.Loss, r.JitterMs, r.Kbps, r.DecodeErrors)
		// Loose bounds: two encoders, a decoder and the test share two
		// cores; the numbers are for benchmarks/README.md, the bounds
		// only catch a broken measurement.
		if r.FPS < 15 || r.G2G.P50 <= 0 || r.G2G.P50 > 500 || r.Input.P50 <= 0 || r.JoinMs <= 0 {
			t.Errorf("%s: implausible measures: %+v", r.Edge, r)
		}
	}
	// The signaling node believed the signed reports and scores the edges.
	poll(t, 20*time.Second, "the signaling node to show both edges' QoS", func() (bool, string) {
		var list []struct {
			Name string        `json:"name"`
			QoS  *qos.Standing `json:"qos"`
		}
		if err := s.getJSON("/v1/edges", &list); err != nil {
			return false, err.Error()
		}
		ok := 0
		var seen []string
		for _, e := range list {
			if e.QoS != nil {
				seen = append(seen, fmt.Sprintf("%s score %.2f by %s (%d checks)", e.Name, e.QoS.Score, e.QoS.Checker, e.QoS.Checks))
				if e.QoS.Score > 0.5 && e.QoS.Checker == "checker-1" {
					ok++
				}
			}
		}
		return ok == 2, strings.Join(seen, "; ")
	})
	forgedReports(t, s, c.dataDir("eu-west-1"))

	resp, err := httpc.Get("http://" + addr + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if !strings.Contains(string(body), `stratus_checker_edge_fps{edge="eu-west-1"}`) {
		t.Errorf("checker metrics lack the edges' fps")
	}
}

// forgedReports posts reports the signaling node must refuse: signed by a
// key the network never enrolled, and signed by an enrolled edge posing as
// a checker (its operator would love a good score).
func forgedReports(t *testing.T, s *signalNode, edgeDir string) {
	t.Helper()
	rep := qos.Report{Result: qos.Result{Edge: "eu-west-1", FPS: 60}, OK: true}
	_, stranger, _ := ed25519.GenerateKey(nil)
	edgeKey, err := enroll.NodeKey(edgeDir, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name, as string
		key      ed25519.PrivateKey
	}{
		{"an unknown key as checker-1", "checker-1", stranger},
		{"an edge posing as a checker", "eu-west-1", edgeKey},
	} {
		signed, _ := qos.Sign(c.as, c.key, rep)
		body, _ := json.Marshal(signed)
		resp, err := httpc.Post(s.url+"/v1/checks", "application/json", bytes.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		msg, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		t.Logf("%s: %s %s", c.name, resp.Status, strings.TrimSpace(string(msg)))
		if resp.StatusCode != http.StatusForbidden {
			t.Errorf("%s: %s, want 403", c.name, resp.Status)
		}
	}
}

// startChecker enrolls checker-1 with the network's operator and starts it
// against s, checking each edge every every; it returns the process and
// the address of its results and metrics.
func (c *testCluster) startChecker(s *signalNode, every string) (*proc, string) {
	t := c.t
	t.Helper()
	add, err := (enroll.Client{HTTP: c.op, URL: s.url}).Add(t.Context(), enroll.NetworkOperator, cluster.RoleChecker)
	if err != nil {
		t.Fatal(err)
	}
	tokenFile := filepath.Join(t.TempDir(), "checker.enroll")
	if err := os.WriteFile(tokenFile, []byte(add.Token), 0o600); err != nil {
		t.Fatal(err)
	}
	addr := hostPort("127.0.0.1", freeport.Must(t, "127.0.0.1", freeport.TCP))
	ck := startProc(t, "checker-1", []string{c.bin, "checker", "-name", "checker-1", "-signal", s.url, "-addr", addr,
		"-check-every", every, "-watch", "2s", "-operator-token-file", c.tokenFile,
		"-data-dir", t.TempDir(), "-enroll-token-file", tokenFile})
	return ck, addr
}
