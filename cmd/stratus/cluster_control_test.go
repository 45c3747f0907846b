package main

import (
	"context"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"stratus/internal/clustertest"
	"stratus/internal/freeport"
	play "stratus/internal/player"
	"stratus/signaling"
	"stratus/trust"
)

// TestClusterEdgeControl attacks the serving edge's control API as an
// outsider on the network would, while a player plays there: every call
// without the operator's token or a signaling node's ticket is refused
// (401, or 403 for a wrong one), a ticket cannot be replayed or turned
// to another call, and the player keeps the same session throughout. The
// operator's token then works.
func TestClusterEdgeControl(t *testing.T) {
	c := newCluster(t)
	s := c.startSignal(signalOpts{name: "signal-1", regions: []string{"eu-west"}})
	probeAddr := "127.0.0.1:" + strconv.Itoa(freeport.Must(t, "127.0.0.1", freeport.TCP))
	e := c.startEdge(edgeOpts{name: "eu-west-1", region: "eu-west", join: s, extra: []string{"-probe", probeAddr}})
	waitEdges(t, s, 15*time.Second, []string{"eu-west-1"}, okEdge)

	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	p, err := play.Dial(ctx, s.url)
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	joined, err := p.JoinAndWait(ctx, play.Join{Title: "testpattern"})
	if err != nil || joined.Type != signaling.TypeJoined {
		t.Fatalf("join: %+v %v", joined, err)
	}
	if err := p.Connect(ctx, joined); err != nil {
		t.Fatal(err)
	}
	session := joined.Session

	token := readTrimmed(t, c.tokenFile)
	// A ticket as a signaling node would make it, but with a key that is
	// not the cluster's, and a real one replayed.
	forged := trust.SignTicket([]byte("not the cluster's key"), "eu-west-1", http.MethodDelete, "/v1/sessions/"+session, session, time.Now())
	tests := []struct {
		name, method, path, body string
		header                   map[string]string
		status                   int
	}{
		{"kick the player", http.MethodDelete, "/v1/sessions/" + session, "", nil, http.StatusUnauthorized},
		{"drain the edge", http.MethodPost, "/v1/drain", "{}", map[string]string{"Content-Type": "application/json"}, http.StatusUnauthorized},
		{"drain as a cross-site form", http.MethodPost, "/v1/drain", "x=1", map[string]string{"Content-Type": "application/x-www-form-urlencoded"}, http.StatusBadRequest},
		{"open a session bypassing signaling", http.MethodPost, "/v1/sessions", `{"title":"testpattern","offer":"v=0"}`, map[string]string{"Content-Type": "application/json"}, http.StatusUnauthorized},
		{"list the sessions", http.MethodGet, "/v1/sessions", "", nil, http.StatusUnauthorized},
		{"read the status", http.MethodGet, "/v1/status", "", nil, http.StatusUnauthorized},
		{"read the metrics", http.MethodGet, "/metrics", "", nil, http.StatusUnauthorized},
		{"a guessed token", http.MethodDelete, "/v1/sessions/" + session, "", map[string]string{"Authorization": "Bearer " + strings.Repeat("0", 64)}, http.StatusForbidden},
		{"a forged ticket", http.MethodDelete, "/v1/sessions/" + session, "", map[string]string{trust.TicketHeader: forged}, http.StatusForbidden},
	}
	hc := clustertest.HTTPClient()
	call := func(t *testing.T, method, path, body string, header map[string]string) (int, string) {
		req, _ := http.NewRequest(method, e.api+path, strings.NewReader(body))
		for k, v := range header {
			req.Header.Set(k, v)
		}
		resp, err := hc.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<16))
		return resp.StatusCode, strings.TrimSpace(string(b))
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status, body := call(t, tt.method, tt.path, tt.body, tt.header)
			t.Logf("%s %s (%s): %d %s", tt.method, tt.path, tt.name, status, body)
			if status != tt.status {
				t.Fatalf("status %d, want %d", status, tt.status)
			}
		})
	}

	// The players' RTT probe has a listener of its own, which serves
	// nothing else; the control API does not serve it.
	list, err := edgesOf(s)
	if err != nil || len(list) != 1 || list[0].Probe != "http://"+probeAddr+"/v1/probe" {
		t.Fatalf("gossiped probe: %+v %v; want http://%s/v1/probe", list, err, probeAddr)
	}
	for _, tt := range []struct {
		url    string
		status int
	}{
		{"http://" + probeAddr + "/v1/probe", http.StatusNoContent},
		{"http://" + probeAddr + "/healthz", http.StatusOK},
		{"http://" + probeAddr + "/v1/status", http.StatusNotFound},
		{"http://" + probeAddr + "/metrics", http.StatusNotFound},
		{e.api + "/v1/probe", http.StatusUnauthorized},
	} {
		resp, err := hc.Get(tt.url)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		t.Logf("GET %s: %s", tt.url, resp.Status)
		if resp.StatusCode != tt.status {
			t.Errorf("GET %s: %d, want %d", tt.url, resp.StatusCode, tt.status)
		}
	}

	// The player still plays the same session.
	var sessions []struct {
		ID string `json:"id"`
	}
	if err := clustertest.GetJSON(c.op, e.api+"/v1/sessions", &sessions); err != nil {
		t.Fatalf("as the operator: %v", err)
	}
	if len(sessions) != 1 || sessions[0].ID != session {
		t.Fatalf("sessions after the attack: %+v, want only %s", sessions, session)
	}
	t.Logf("as the operator, GET /v1/sessions: the player's session %s is still there", session)
	status, body := call(t, http.MethodPost, "/v1/drain", "", map[string]string{"Content-Type": "application/json", "Authorization": "Bearer " + token})
	if status != http.StatusAccepted {
		t.Fatalf("drain as the operator: %d %s", status, body)
	}
}
