package signaling_test

import (
	"bytes"
	"crypto/ed25519"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"

	"stratus/cluster"
	"stratus/edge/usage"
	"stratus/internal/edgenet"
	"stratus/ledger"
	"stratus/signaling"
	"stratus/signaling/studio"
	"stratus/trust"
	"stratus/trust/enroll"
	"stratus/trust/nodeauth"
)

// usageWorld is a node with a registry, a ledger and two studios' titles,
// and the records of edges of two operators.
type usageWorld struct {
	n    *node
	op   *http.Client
	keys map[string]ed25519.PrivateKey // node keys by edge
}

const (
	acmeKey   = "acme-key-0123456789"
	globexKey = "globex-key-0123456789"
)

func newUsageWorld(t *testing.T) *usageWorld {
	t.Helper()
	noLeaks(t)
	net := edgenet.New()
	regDir, dataDir := t.TempDir(), t.TempDir()
	n := newNode(t, net, func(c *signaling.Config) {
		rc := enroll.DefaultConfig()
		rc.Dir = regDir
		c.Registry, c.DataDir = &rc, dataDir
		c.Studio = &studio.Config{DataDir: t.TempDir(), Keys: map[string][]string{"acme": {acmeKey}, "globex": {globexKey}},
			Auth: studio.AuthLimits{MaxFailures: 5}}
	})
	w := &usageWorld{n: n, op: &http.Client{Transport: trust.BearerTransport{Token: testOperatorToken}}, keys: map[string]ed25519.PrivateKey{}}
	for st, key := range map[string]string{"acme": acmeKey, "globex": globexKey} {
		c, _ := studio.NewClient(n.URL, key, nil)
		if _, err := c.Create(t.Context(), manifestFor(st+"-game")); err != nil {
			t.Fatal(err)
		}
	}
	for edge, operator := range map[string]string{"eu-1": "lab", "us-1": "other"} {
		add, err := (enroll.Client{HTTP: w.op, URL: n.URL}).Add(t.Context(), operator, cluster.RoleEdge)
		if err != nil {
			t.Fatal(err)
		}
		dir := t.TempDir()
		id, _, err := enroll.Join(t.Context(), enroll.NodeConfig{Dir: dir, Node: edge, Role: cluster.RoleEdge, Token: add.Token}, slog.New(slog.DiscardHandler))
		if err != nil {
			t.Fatal(err)
		}
		w.keys[edge] = id.Key
	}
	end := time.Date(2026, 12, 4, 12, 0, 0, 0, time.UTC)
	var recs []usage.Record
	for i, r := range []struct{ title, edge, operator string }{
		{"acme-game", "eu-1", "lab"}, {"globex-game", "eu-1", "lab"}, {"testpattern", "us-1", "other"},
	} {
		rec := usage.Record{Session: fmt.Sprintf("s%d", i), Seq: 2, Final: true, Kind: usage.KindPlayer, Title: r.title, Edge: r.edge,
			Operator: r.operator, Region: "eu", Player: "player-7", Start: end.Add(-2 * time.Minute), End: end, Seconds: 120,
			FramesSent: 7200, Encoder: "x264"}
		rec.Sign(w.keys[r.edge])
		recs = append(recs, rec)
	}
	body, _ := json.Marshal(signaling.UsageBatch{Records: recs})
	resp, err := http.Post(n.URL+"/v1/usage", "application/json", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || !bytes.Contains(b, []byte(`"accepted":3`)) {
		t.Fatalf("pushing records: %s %s", resp.Status, b)
	}
	return w
}

func manifestFor(id string) []byte {
	return fmt.Appendf(nil, `{"id":%q,"name":"Game","version":"1.0.0","runtime":"process","command":"start.sh","width":640,"height":360,"fps":30,"input":{"keyboard":true}}`, id)
}

// get sends GET path with the Authorization given ("" none) and returns
// the status and body.
func (w *usageWorld) get(t *testing.T, path, auth string) (int, []byte) {
	t.Helper()
	req, _ := http.NewRequestWithContext(t.Context(), http.MethodGet, w.n.URL+path, nil)
	if auth != "" {
		req.Header.Set("Authorization", auth)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, b
}

// A studio reads its own titles' usage with its key, without the network's
// fields; another studio's, or none, is refused, and wrong keys count
// toward the studio API's failed keys.
func TestUsageViews(t *testing.T) {
	w := newUsageWorld(t)
	operator := "Bearer " + string(testOperatorToken)
	for _, c := range []struct {
		name, path, auth string
		status           int
		sessions         string // the sessions answered, in order
	}{
		{"the operator, everything", "/v1/usage", operator, 200, "s0 s1 s2"},
		{"the operator, one studio", "/v1/usage?studio=acme", operator, 200, "s0"},
		{"the operator, a day", "/v1/usage?from=2026-12-04&to=2026-12-05", operator, 200, "s0 s1 s2"},
		{"the operator, the day after", "/v1/usage?from=2026-12-05", operator, 200, ""},
		{"a bad date", "/v1/usage?from=yesterday", operator, 400, ""},
		{"acme, its own", "/v1/usage", "Bearer " + acmeKey, 200, "s0"},
		{"globex, its own in the period", "/v1/usage?from=2026-12-04T00:00:00Z", "Bearer " + globexKey, 200, "s1"},
		{"acme asks for globex's", "/v1/usage?studio=globex", "Bearer " + acmeKey, 403, ""},
		{"acme filters by edge", "/v1/usage?edge=eu-1", "Bearer " + acmeKey, 403, ""},
		{"no key", "/v1/usage", "", 401, ""},
		{"a wrong key", "/v1/usage", "Bearer not-a-key-0123456789", 401, ""},
	} {
		status, body := w.get(t, c.path, c.auth)
		if status != c.status {
			t.Errorf("%s: %d %s, want %d", c.name, status, body, c.status)
			continue
		}
		if status != 200 {
			continue
		}
		var list []ledger.Entry
		json.Unmarshal(body, &list)
		got := ""
		for i, e := range list {
			if i > 0 {
				got += " "
			}
			got += e.Session
			studioView := c.auth != operator
			switch {
			case studioView && (e.Edge != "" || e.Operator != "" || e.Player != "" || e.Signature != nil || e.Encoder != "" || e.Seconds != 120):
				t.Errorf("%s: a studio sees %+v", c.name, e)
			case !studioView && (e.Edge == "" || e.Signature == nil):
				t.Errorf("%s: the operator sees %+v", c.name, e)
			case e.Title != "testpattern" && e.Studio != e.Title[:len(e.Title)-len("-game")]:
				t.Errorf("%s: %s's studio is %q", c.name, e.Title, e.Studio)
			}
		}
		if got != c.sessions {
			t.Errorf("%s: sessions %q, want %q", c.name, got, c.sessions)
		}
	}
	// Three failures so far (none, wrong, and the wrong one again below);
	// at five, the address is refused, the right key too.
	for range 3 {
		w.get(t, "/v1/usage", "Bearer guess-0123456789abcdef")
	}
	if status, body := w.get(t, "/v1/usage", "Bearer "+acmeKey); status != http.StatusTooManyRequests {
		t.Errorf("after five wrong keys: %d %s, want 429", status, body)
	}
}

// Totals are summed by the node, per edge, title or studio, in each
// reader's view.
func TestUsageTotals(t *testing.T) {
	w := newUsageWorld(t)
	operator := "Bearer " + string(testOperatorToken)
	for _, c := range []struct {
		name, path, auth string
		status           int
		want             string // key:sessions:played minutes, in order
	}{
		{"by edge", "/v1/usage?group=edge", operator, 200, "eu-1:2:4 us-1:1:2"},
		{"by title, one studio", "/v1/usage?group=title&studio=globex", operator, 200, "globex-game:1:2"},
		{"by studio", "/v1/usage?group=studio", operator, 200, "(network):1:2 acme:1:2 globex:1:2"},
		{"by studio, the day after", "/v1/usage?group=studio&from=2026-12-05", operator, 200, ""},
		{"by player", "/v1/usage?group=player", operator, 400, ""},
		{"a studio, by studio", "/v1/usage?group=studio", "Bearer " + acmeKey, 200, "acme:1:2"},
		{"a studio, by edge", "/v1/usage?group=edge", "Bearer " + acmeKey, 403, ""},
	} {
		status, body := w.get(t, c.path, c.auth)
		if status != c.status {
			t.Errorf("%s: %d %s, want %d", c.name, status, body, c.status)
			continue
		}
		if status != 200 {
			continue
		}
		var list []ledger.Total
		json.Unmarshal(body, &list)
		var got []string
		for _, tot := range list {
			got = append(got, fmt.Sprintf("%s:%d:%g", tot.Key, tot.Sessions, tot.PlayedMinutes))
		}
		if strings.Join(got, " ") != c.want {
			t.Errorf("%s: %q, want %q", c.name, strings.Join(got, " "), c.want)
		}
	}
}

// An edge operator reads its own nodes' standing through a request one
// of them signs; replays, strangers' keys and revoked operators are
// refused.
func TestNodeStatus(t *testing.T) {
	w := newUsageWorld(t)
	signed := func(node string, key ed25519.PrivateKey, path string) *http.Request {
		req, _ := http.NewRequestWithContext(t.Context(), http.MethodGet, w.n.URL+path, nil)
		nodeauth.Sign(req, node, key, time.Now())
		return req
	}
	do := func(req *http.Request) (int, []byte) {
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, b
	}
	req := signed("eu-1", w.keys["eu-1"], signaling.NodeStatusPath+"?from=2026-12-04")
	replay := req.Clone(t.Context())
	status, body := do(req)
	var st signaling.OperatorStatus
	if err := json.Unmarshal(body, &st); status != 200 || err != nil {
		t.Fatalf("eu-1's status: %d %s", status, body)
	}
	if st.Operator != "lab" || st.AskedBy != "eu-1" || len(st.Nodes) != 1 || st.Nodes[0].Name != "eu-1" ||
		st.Nodes[0].Sessions != 2 || st.Nodes[0].PlayedMinutes != 4 || len(st.Contribution) != 1 || st.Contribution[0].PlayedMinutes != 4 {
		t.Fatalf("lab's status: %s", body)
	}
	_, stranger, _ := ed25519.GenerateKey(nil)
	for _, c := range []struct {
		name   string
		req    *http.Request
		status int
	}{
		{"a replay", replay, 401},
		{"unsigned", func() *http.Request {
			r, _ := http.NewRequest(http.MethodGet, w.n.URL+signaling.NodeStatusPath, nil)
			return r
		}(), 401},
		{"an enrolled name, a stranger's key", signed("eu-1", stranger, signaling.NodeStatusPath), 403},
		{"a node never enrolled", signed("mine-1", stranger, signaling.NodeStatusPath), 403},
		{"the operator token instead", func() *http.Request {
			r, _ := http.NewRequest(http.MethodGet, w.n.URL+signaling.NodeStatusPath, nil)
			trust.SetBearer(r.Header, testOperatorToken)
			return r
		}(), 401},
	} {
		if status, body := do(c.req); status != c.status {
			t.Errorf("%s: %d %s, want %d", c.name, status, body, c.status)
		}
	}
	// us-1 answers for other, until other is revoked.
	if status, body := do(signed("us-1", w.keys["us-1"], signaling.NodeStatusPath)); status != 200 || bytes.Contains(body, []byte("eu-1")) {
		t.Fatalf("us-1's status: %d %s", status, body)
	}
	if _, err := (enroll.Client{HTTP: w.op, URL: w.n.URL}).Revoke(t.Context(), "other"); err != nil {
		t.Fatal(err)
	}
	if status, body := do(signed("us-1", w.keys["us-1"], signaling.NodeStatusPath)); status != 403 {
		t.Fatalf("a revoked operator's node: %d %s", status, body)
	}
}
