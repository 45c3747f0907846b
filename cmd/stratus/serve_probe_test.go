package main

import (
	"context"
	"fmt"
	"net/http"
	"strconv"
	"testing"
	"time"

	"stratus/internal/clustertest"
	"stratus/internal/freeport"
	play "stratus/internal/player"
)

// TestServeProbe: `stratus serve -probe` answers the players' RTT probe and
// /healthz on a listener of its own, which serves nothing else, and the
// page is told to measure there; the edge API then serves it no more.
// Without -probe, the page measures on the edge API, which answers it.
func TestServeProbe(t *testing.T) {
	probeAddr := "127.0.0.1:" + strconv.Itoa(freeport.Must(t, "127.0.0.1", freeport.TCP))
	if cfg, err := serveFlags([]string{"-probe", probeAddr}); err != nil || cfg.Probe != probeAddr {
		t.Fatalf("serve -probe %s: %q %v", probeAddr, cfg.Probe, err)
	}
	if _, err := serveFlags([]string{"-probe", "8082"}); err == nil {
		t.Errorf("serve -probe 8082 (no host): accepted")
	}
	apart := startStack(t, func(c *serveConfig) { c.Probe = probeAddr })
	probe := "http://" + probeAddr + "/v1/probe"
	if got := pageProbe(t, apart); got != probe {
		t.Errorf("with -probe %s, the page measures %s; want %s", probeAddr, got, probe)
	}
	api := stackEdgeAPI(t, apart)
	for _, tt := range []struct {
		url    string
		status int
	}{
		{probe, http.StatusNoContent},
		{"http://" + probeAddr + "/healthz", http.StatusOK},
		{"http://" + probeAddr + "/v1/status", http.StatusNotFound},
		{"http://" + probeAddr + "/v1/sessions", http.StatusNotFound},
		{"http://" + probeAddr + "/v1/titles", http.StatusNotFound},
		{"http://" + probeAddr + "/metrics", http.StatusNotFound},
		{api + "/v1/probe", http.StatusUnauthorized},
	} {
		if got := getStatus(t, tt.url); got != tt.status {
			t.Errorf("GET %s: %d, want %d", tt.url, got, tt.status)
		}
	}

	together := startStack(t, nil)
	api = stackEdgeAPI(t, together)
	if got := pageProbe(t, together); got != api+"/v1/probe" {
		t.Errorf("without -probe, the page measures %s; want the edge API's %s/v1/probe", got, api)
	}
	if got := getStatus(t, api+"/v1/probe"); got != http.StatusNoContent {
		t.Errorf("without -probe, GET %s/v1/probe: %d, want %d", api, got, http.StatusNoContent)
	}
}

// pageProbe is the RTT probe URL the stack's signaling node gives a page
// in its greeting, once it lists the edge (within 10 s).
func pageProbe(t *testing.T, base string) string {
	t.Helper()
	var url string
	poll(t, 10*time.Second, "the greeting to name an edge's probe", func() (bool, string) {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		p, err := play.Dial(ctx, base)
		if err != nil {
			return false, err.Error()
		}
		defer p.Close()
		probes := p.Hello().Probes
		if len(probes) != 1 {
			return false, fmt.Sprintf("probes %+v", probes)
		}
		url = probes[0].URL
		return true, ""
	})
	t.Logf("%s: the page measures its round trip on %s", base, url)
	return url
}

// stackEdgeAPI is the URL of the stack's edge API, as its signaling node
// lists it to the operator.
func stackEdgeAPI(t *testing.T, base string) string {
	t.Helper()
	var edges []edgeView
	if err := clustertest.GetJSON(clustertest.OperatorClient(stackOperatorToken), base+"/v1/edges", &edges); err != nil || len(edges) != 1 {
		t.Fatalf("edges: %+v %v", edges, err)
	}
	return edges[0].API
}

// getStatus is the status of a GET of url without credentials.
func getStatus(t *testing.T, url string) int {
	t.Helper()
	resp, err := clustertest.HTTPClient().Get(url)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	t.Logf("GET %s: %s", url, resp.Status)
	return resp.StatusCode
}
