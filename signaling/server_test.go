package signaling_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"stratus/edge/api"
	"stratus/internal/edgenet"
	"stratus/signaling"
	"stratus/signaling/route"
)

func TestHello(t *testing.T) {
	noLeaks(t)
	net := edgenet.New()
	for _, name := range []string{"eu-1", "eu-2", "eu-3"} {
		net.Start(edgenet.EdgeConfig{Name: name, Region: "eu"})
	}
	net.Start(edgenet.EdgeConfig{Name: "us-1", Region: "us", Titles: []api.Title{edgenet.Title("chess")}})
	net.Start(edgenet.EdgeConfig{Name: "ap-1", Region: "ap"})
	net.Start(edgenet.EdgeConfig{Name: "ap-2", Region: "ap"})
	net.Update("ap-2", func(e *route.Edge) { e.Meta.Free = 0 })
	net.Start(edgenet.EdgeConfig{Name: "ap-3", Region: "ap"})
	net.Update("ap-3", func(e *route.Edge) { e.Meta.Probe = "" })
	net.SetSignals("http://sig-a.test", "http://sig-b.test")
	n := newNode(t, net)

	hello := dial(t, n).Hello()
	if hello.Node != "sig-test" || !slices.Equal(hello.Signals, []string{"http://sig-a.test", "http://sig-b.test"}) {
		t.Errorf("hello %+v", hello)
	}
	// Two per region at most, whatever they offer; none that is full or
	// cannot be measured.
	var got []string
	for _, p := range hello.Probes {
		got = append(got, p.Edge)
		if !strings.HasSuffix(p.URL, "/v1/probe") || p.Region != p.Edge[:2] {
			t.Errorf("probe %+v", p)
		}
	}
	slices.Sort(got)
	if want := []string{"ap-1", "eu-1", "eu-2", "us-1"}; !slices.Equal(got, want) {
		t.Errorf("probes %v, want %v", got, want)
	}
}

func TestTitles(t *testing.T) {
	noLeaks(t)
	net := edgenet.New()
	rocks := edgenet.Title("rocks")
	rocks.Description = "as eu-1 says"
	net.Start(edgenet.EdgeConfig{Name: "eu-1", Region: "eu", Titles: []api.Title{rocks, edgenet.Title("chess")}})
	other := edgenet.Title("rocks")
	other.Description = "as eu-2 says"
	eu2 := net.Start(edgenet.EdgeConfig{Name: "eu-2", Region: "eu", Titles: []api.Title{other, edgenet.Title("maze")}})
	n := newNode(t, net)
	p := dial(t, n)

	titles := func() signaling.Message {
		t.Helper()
		if err := p.Send(signaling.Message{Type: signaling.TypeTitles}); err != nil {
			t.Fatal(err)
		}
		m, err := p.Await(wait(t), signaling.TypeTitles, signaling.TypeError)
		if err != nil {
			t.Fatal(err)
		}
		return m
	}
	m := titles()
	var list []api.Title
	if err := remarshal(m.Titles, &list); err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, tt := range list {
		ids = append(ids, tt.ID)
		if tt.ID == "rocks" && tt.Description != "as eu-1 says" {
			t.Errorf("rocks described %q, want as the first edge says", tt.Description)
		}
	}
	if want := []string{"chess", "maze", "rocks"}; !slices.Equal(ids, want) {
		t.Errorf("titles %v, want %v", ids, want)
	}

	// With no edge answering, the page learns why.
	eu2.Close()
	net.Remove("eu-1")
	if m := titles(); m.Type != signaling.TypeError || m.Code != api.CodeNoEdge {
		t.Errorf("with every edge down: %+v", m)
	}
}

// remarshal decodes v, as a message's Titles decoded from JSON, into out.
func remarshal(v, out any) error {
	data, err := json.Marshal(v)
	if err != nil {
		return err
	}
	return json.Unmarshal(data, out)
}

func TestRoutes(t *testing.T) {
	noLeaks(t)
	net := edgenet.New()
	eu1 := net.Start(edgenet.EdgeConfig{Name: "eu-1", Region: "eu"})
	net.Start(edgenet.EdgeConfig{Name: "eu-2", Region: "eu"})
	us1 := net.Start(edgenet.EdgeConfig{Name: "us-1", Region: "us"})
	t0 := time.Date(2024, 5, 1, 12, 0, 0, 0, time.UTC)
	eu1.AddSession(api.SessionInfo{ID: "b", Title: "rocks", Started: t0.Add(time.Minute), Stats: map[string]int{"fps": 60}})
	us1.AddSession(api.SessionInfo{ID: "a", Title: "rocks", Started: t0})
	eu1.AddSession(api.SessionInfo{ID: "c", Title: "rocks", Started: t0.Add(2 * time.Minute)})
	n := newNode(t, net)

	tests := []struct {
		name, path string
		status     int
		check      func(t *testing.T, body []byte)
	}{
		{"health", "/healthz", http.StatusOK, func(t *testing.T, body []byte) {
			if string(body) != "ok\n" {
				t.Errorf("body %q", body)
			}
		}},
		{"web client", "/play", http.StatusOK, func(t *testing.T, body []byte) {
			if string(body) != "the play page" {
				t.Errorf("body %q", body)
			}
		}},
		{"edges by name", "/v1/edges", http.StatusOK, func(t *testing.T, body []byte) {
			var edges []signaling.EdgeReport
			decode(t, body, &edges)
			if len(edges) != 3 || edges[0].Name != "eu-1" || edges[1].Name != "eu-2" || edges[2].Name != "us-1" || edges[2].Region != "us" {
				t.Fatalf("edges %+v", edges)
			}
			for _, e := range edges {
				if e.API == "" || e.Health != "ok" || e.State != "alive" || e.Capacity == 0 || len(e.Titles) == 0 {
					t.Errorf("edge %+v", e)
				}
			}
			// Readable names, not the gossip encoding's letters.
			for _, field := range []string{`"api":`, `"capacity":`, `"free":`, `"health":`, `"titles":`, `"state":`} {
				if !strings.Contains(string(body), field) {
					t.Errorf("no %s in %s", field, body)
				}
			}
			if strings.Contains(string(body), `"meta"`) {
				t.Errorf("the gossip metadata is listed raw: %s", body)
			}
		}},
		{"sessions of every edge, oldest first", "/v1/sessions", http.StatusOK, func(t *testing.T, body []byte) {
			var ss []api.SessionInfo
			decode(t, body, &ss)
			var ids []string
			for _, s := range ss {
				ids = append(ids, s.ID)
				if s.Stats != nil {
					t.Errorf("session %s lists its stats", s.ID)
				}
			}
			if !slices.Equal(ids, []string{"a", "b", "c"}) {
				t.Errorf("sessions %v", ids)
			}
		}},
		{"route in the node's region", "/v1/route?title=rocks", http.StatusOK, func(t *testing.T, body []byte) {
			var d route.Decision
			decode(t, body, &d)
			if d.Winner != "eu-1" || d.Region != "eu" || len(d.Candidates) != 3 {
				t.Errorf("decision %+v", d)
			}
		}},
		{"route with measurements, exclusions and a region", "/v1/route?title=rocks&region=us&rtt=eu-1:80,eu-2:10&exclude=us-1", http.StatusOK, func(t *testing.T, body []byte) {
			var d route.Decision
			decode(t, body, &d)
			if d.Winner != "eu-2" {
				t.Errorf("decision %+v", d)
			}
			if c := candidate(d, "us-1"); c.Eligible || !strings.Contains(c.Reason, "excluded") {
				t.Errorf("us-1: %+v", c)
			}
		}},
		{"route of an unknown title", "/v1/route?title=chess", http.StatusOK, func(t *testing.T, body []byte) {
			var d route.Decision
			decode(t, body, &d)
			if d.Winner != "" || d.Code != api.CodeUnknownTitle {
				t.Errorf("decision %+v", d)
			}
		}},
		{"route without a title", "/v1/route", http.StatusBadRequest, nil},
		{"route with a broken measurement", "/v1/route?title=rocks&rtt=eu-1:fast", http.StatusBadRequest, nil},
		{"route with a negative measurement", "/v1/route?title=rocks&rtt=eu-1:-3", http.StatusBadRequest, nil},
		{"no studio", "/v1/studio/titles", http.StatusOK, func(t *testing.T, body []byte) {
			if string(body) != "the play page" {
				t.Errorf("without a studio, the web client answers: %q", body)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, err := operatorGet(n.URL + tt.path)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			body, _ := io.ReadAll(resp.Body)
			if resp.StatusCode != tt.status {
				t.Fatalf("status %d, want %d: %s", resp.StatusCode, tt.status, body)
			}
			if tt.check != nil {
				tt.check(t, body)
			}
		})
	}
	http.DefaultClient.CloseIdleConnections()
}

func decode(t *testing.T, body []byte, out any) {
	t.Helper()
	if err := json.Unmarshal(body, out); err != nil {
		t.Fatalf("%v: %s", err, body)
	}
}

func candidate(d route.Decision, edge string) route.Candidate {
	for _, c := range d.Candidates {
		if c.Edge == edge {
			return c
		}
	}
	return route.Candidate{}
}

// TestOrigins attacks the player WebSocket's Origin rule (origin.go) as
// other sites' pages and tools would.
func TestOrigins(t *testing.T) {
	noLeaks(t)
	net := edgenet.New()
	net.SetSignals("http://sig-b.test/", "http://sig-c.test")
	n := newNode(t, net, func(c *signaling.Config) { c.AllowedOrigins = []string{"https://play.example"} })
	dev := newNode(t, net, func(c *signaling.Config) { c.AllowNoOrigin = true })
	// A node listening on every address knows no name of its own.
	anyAddr := newNode(t, net, func(c *signaling.Config) { c.PublicURL = strings.Replace(c.PublicURL, "127.0.0.1", "0.0.0.0", 1) })
	anyHost := strings.TrimPrefix(anyAddr.URL, "http://")
	_, anyPort, _ := strings.Cut(anyHost, ":")
	// The node remembers sig-c once it has listed it, after gossip loses it.
	dial(t, n).Close()
	net.SetSignals("http://sig-b.test/")
	host := strings.TrimPrefix(n.URL, "http://")
	_, port, _ := strings.Cut(host, ":")

	tests := []struct {
		name   string
		node   *node
		origin string
		host   string // the Host header; "" is the node's address
		ok     bool
	}{
		{"own page", n, "http://" + host, "", true},
		{"own page by localhost", n, "http://localhost:" + port, "", true},
		{"own page over ipv6 loopback", n, "http://[::1]:" + port, "", true},
		{"allowed list", n, "https://play.example", "", true},
		{"allowed list, default port spelt", n, "https://play.example:443", "", true},
		{"cluster node", n, "http://sig-b.test", "", true},
		{"cluster node gossip forgot", n, "http://sig-c.test", "", true},
		{"another site", n, "http://evil.example", "", false},
		{"allowed name over plain http", n, "http://play.example", "", false},
		{"another loopback port", n, "http://127.0.0.1:1", "", false},
		{"dns rebinding: host and origin agree", n, "http://evil.example:" + port, "evil.example:" + port, false},
		{"dns rebinding on the default port", n, "http://evil.example", "evil.example", false},
		{"null origin", n, "null", "", false},
		{"no origin", n, "", "", false},
		{"no origin in development", dev, "", "", true},
		{"another site in development", dev, "http://evil.example", "", false},
		{"any-address node: page at its address", anyAddr, "http://" + anyHost, "", true},
		{"any-address node: page at localhost", anyAddr, "http://localhost:" + anyPort, "localhost:" + anyPort, true},
		{"any-address node: page at a mapped port", anyAddr, "http://127.0.0.1:9090", "127.0.0.1:9090", true},
		{"any-address node: dns rebinding", anyAddr, "http://evil.example:" + anyPort, "evil.example:" + anyPort, false},
		{"any-address node: another address's page", anyAddr, "http://192.0.2.7:" + anyPort, "", false},
		{"any-address node: no origin", anyAddr, "", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := http.Header{}
			if tt.origin != "" {
				h.Set("Origin", tt.origin)
			}
			if tt.host != "" {
				h.Set("Host", tt.host)
			}
			u := url.URL{Scheme: "ws", Host: strings.TrimPrefix(tt.node.URL, "http://"), Path: "/v1/ws"}
			ws, resp, err := websocket.DefaultDialer.Dial(u.String(), h)
			if ws != nil {
				ws.Close()
			}
			status := 0
			if resp != nil {
				status = resp.StatusCode
			}
			t.Logf("tried Origin %q Host %q: got HTTP %d (err %v)", tt.origin, tt.host, status, err)
			if tt.ok && err != nil {
				t.Fatalf("refused: %v", err)
			}
			if !tt.ok && (err == nil || status != http.StatusForbidden) {
				t.Fatalf("admitted (err %v)", err)
			}
		})
	}
}

// TestOperatorEndpoints attacks the operator's endpoints as an outsider
// would: without credentials, with other schemes, with guessed tokens, and
// on a node that has no token configured at all.
func TestOperatorEndpoints(t *testing.T) {
	noLeaks(t)
	net := edgenet.New()
	net.Start(edgenet.EdgeConfig{Name: "eu-1", Region: "eu"})
	guarded := newNode(t, net)
	open := newNode(t, net, func(c *signaling.Config) { c.OperatorToken = "" })
	// Development mode opens a node only while it has no token.
	dev := newNode(t, net, func(c *signaling.Config) { c.OperatorToken, c.OperatorOpen = "", true })
	devWithToken := newNode(t, net, func(c *signaling.Config) { c.OperatorOpen = true })
	paths := []string{"/v1/edges", "/v1/sessions", "/v1/route?title=rocks"}
	tests := []struct {
		name   string
		node   *node
		auth   string // Authorization header; "" sends none
		status int
		code   string
		says   string // in the message
	}{
		{"no credentials", guarded, "", http.StatusUnauthorized, api.CodeUnauthorized, "Bearer"},
		{"basic auth", guarded, "Basic b3BlcmF0b3I6aHVudGVyMg==", http.StatusUnauthorized, api.CodeUnauthorized, "Bearer"},
		{"empty bearer", guarded, "Bearer ", http.StatusUnauthorized, api.CodeUnauthorized, "Bearer"},
		{"wrong token", guarded, "Bearer " + strings.Repeat("f", 64), http.StatusForbidden, api.CodeForbidden, "wrong"},
		{"token of another length", guarded, "Bearer " + string(testOperatorToken) + "00", http.StatusForbidden, api.CodeForbidden, "wrong"},
		{"right token", guarded, "Bearer " + string(testOperatorToken), http.StatusOK, "", ""},
		{"node without a token, no credentials", open, "", http.StatusForbidden, api.CodeForbidden, "no operator token configured"},
		{"node without a token, empty bearer", open, "Bearer ", http.StatusForbidden, api.CodeForbidden, "no operator token configured"},
		{"node without a token, a guess", open, "Bearer " + string(testOperatorToken), http.StatusForbidden, api.CodeForbidden, "no operator token configured"},
		{"development node without a token", dev, "", http.StatusOK, "", ""},
		{"development node with a token, no credentials", devWithToken, "", http.StatusUnauthorized, api.CodeUnauthorized, "Bearer"},
		{"development node with a token, wrong token", devWithToken, "Bearer " + strings.Repeat("f", 64), http.StatusForbidden, api.CodeForbidden, "wrong"},
	}
	for _, tt := range tests {
		for _, path := range paths {
			t.Run(tt.name+path, func(t *testing.T) {
				req, _ := http.NewRequest(http.MethodGet, tt.node.URL+path, nil)
				if tt.auth != "" {
					req.Header.Set("Authorization", tt.auth)
				}
				resp, err := http.DefaultClient.Do(req)
				if err != nil {
					t.Fatal(err)
				}
				defer resp.Body.Close()
				body, _ := io.ReadAll(resp.Body)
				t.Logf("GET %s with %q: %s %s", path, tt.auth, resp.Status, strings.TrimSpace(string(body)))
				if resp.StatusCode != tt.status {
					t.Fatalf("status %d, want %d", resp.StatusCode, tt.status)
				}
				if tt.status == http.StatusOK {
					return
				}
				var e api.Error
				decode(t, body, &e)
				if e.Code != tt.code || !strings.Contains(e.Message, tt.says) {
					t.Errorf("answer %+v, want code %s saying %q", e, tt.code, tt.says)
				}
				if strings.Contains(string(body), "eu-1") {
					t.Errorf("a refusal names an edge: %s", body)
				}
			})
		}
	}
	// The player's endpoints need no token.
	for _, path := range []string{"/healthz", "/play"} {
		resp, err := http.Get(guarded.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Errorf("GET %s without a token: %s", path, resp.Status)
		}
	}
	http.DefaultClient.CloseIdleConnections()
}
