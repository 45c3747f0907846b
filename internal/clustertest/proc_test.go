package clustertest

import (
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"stratus/trust"
)

func start(t *testing.T, dir, name, script string) *Process {
	t.Helper()
	p, err := Start(dir, name, []string{"/bin/sh", "-c", script})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Kill() })
	return p
}

func TestStartLogAndEnv(t *testing.T) {
	t.Setenv("STRATUS_ADDR", ":1")
	t.Setenv("https_proxy", "http://proxy.invalid")
	t.Setenv("CLUSTERTEST_KEPT", "yes")
	dir := t.TempDir()
	p := start(t, dir, "env", "echo to-stdout; echo to-stderr >&2; env")
	if exited, err := p.Wait(10 * time.Second); !exited || err != nil {
		t.Fatalf("Wait = %v, %v; want exited with status 0", exited, err)
	}
	log := p.LogText()
	if first, _, _ := strings.Cut(log, "\n"); first != "$ /bin/sh -c echo to-stdout; echo to-stderr >&2; env" {
		t.Errorf("first line of the log = %q", first)
	}
	if p.Log != dir+"/env.log" {
		t.Errorf("log at %s, want %s/env.log", p.Log, dir)
	}
	for _, want := range []string{"to-stdout", "to-stderr", "CLUSTERTEST_KEPT=yes"} {
		if !strings.Contains(log, want) {
			t.Errorf("log lacks %q:\n%s", want, log)
		}
	}
	for _, unwanted := range []string{"STRATUS_ADDR", "https_proxy"} {
		if strings.Contains(log, unwanted) {
			t.Errorf("the child's environment has %s", unwanted)
		}
	}
	if !p.LogContains("nothing", "TO-STDERR") || p.LogContains("absent") {
		t.Error("LogContains does not find words case-insensitively")
	}

	// Started again under its name, it appends to the same log.
	q := start(t, dir, "env", "echo again")
	q.Wait(10 * time.Second)
	if got := strings.Count(q.LogText(), "\n$ /bin/sh"); got != 1 || !strings.HasSuffix(q.LogText(), "again\n") {
		t.Errorf("a restart did not append to the log:\n%s", q.LogText())
	}
}

func TestKillTermWait(t *testing.T) {
	dir := t.TempDir()
	p := start(t, dir, "sleeper", "sleep 60")
	if exited, _ := p.Wait(50 * time.Millisecond); exited || p.Exited() || p.Err() != nil {
		t.Fatal("a sleeping process counts as exited")
	}
	before := time.Now()
	at := p.Kill()
	if at.Before(before) || at.After(time.Now()) || !p.Exited() {
		t.Errorf("Kill returned %v (called at %v), exited %v", at, before, p.Exited())
	}
	if p.Err() == nil || !strings.Contains(p.Err().Error(), "killed") {
		t.Errorf("exit status after kill -9: %v", p.Err())
	}
	p.Kill() // again: nothing to do

	q := start(t, dir, "termed", "trap 'echo bye; exit 3' TERM; while :; do sleep 0.05; done")
	time.Sleep(200 * time.Millisecond) // for the trap to be set
	q.Term()
	exited, err := q.Wait(10 * time.Second)
	if !exited || err == nil || !strings.Contains(err.Error(), "exit status 3") || !q.LogContains("bye") {
		t.Errorf("after SIGTERM: exited %v, %v; log:\n%s", exited, err, q.LogText())
	}
}

func TestBindFailedAndTail(t *testing.T) {
	p := start(t, t.TempDir(), "taken", "for i in 1 2 3 4 5; do echo line $i; done; echo 'listen tcp 127.0.0.1:1: bind: address already in use'; exit 1")
	p.Wait(10 * time.Second)
	if !p.BindFailed() {
		t.Errorf("BindFailed is false; log:\n%s", p.LogText())
	}
	if got, want := p.LogTail(2), "… 5 lines before\nline 5\nlisten tcp 127.0.0.1:1: bind: address already in use"; got != want {
		t.Errorf("LogTail(2) = %q, want %q", got, want)
	}
}

func TestWaitReadyAndGetJSON(t *testing.T) {
	hc := HTTPClient()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/healthz":
		case "/v1/status":
			w.Write([]byte(`{"active": 2}`))
		default:
			http.Error(w, "no such page", http.StatusNotFound)
		}
	}))
	defer srv.Close()
	dir := t.TempDir()
	p := start(t, dir, "up", "sleep 60")
	if err := p.WaitReady(context.Background(), hc, srv.URL+"/healthz", 5*time.Second); err != nil {
		t.Errorf("WaitReady on a server that answers: %v", err)
	}
	q := start(t, dir, "gone", "exit 2")
	if err := q.WaitReady(context.Background(), hc, srv.URL+"/nothing", 5*time.Second); err == nil || !strings.Contains(err.Error(), "exited before it was ready") {
		t.Errorf("WaitReady on an exited process: %v", err)
	}
	if err := p.WaitReady(context.Background(), hc, srv.URL+"/nothing", 100*time.Millisecond); err == nil || !strings.Contains(err.Error(), "not ready") {
		t.Errorf("WaitReady past its limit: %v", err)
	}

	var st struct{ Active int }
	if err := GetJSON(hc, srv.URL+"/v1/status", &st); err != nil || st.Active != 2 {
		t.Errorf("GetJSON = %+v, %v", st, err)
	}
	if err := GetJSON(hc, srv.URL+"/v1/nothing", &st); err == nil || !strings.Contains(err.Error(), "404 Not Found: no such page") {
		t.Errorf("GetJSON of a missing page: %v", err)
	}
}

func TestStartEcho(t *testing.T) {
	var echo strings.Builder
	p, err := StartEcho(t.TempDir(), "echo", []string{"/bin/sh", "-c", "echo out; echo err >&2"}, &echo)
	if err != nil {
		t.Fatal(err)
	}
	if exited, err := p.Wait(10 * time.Second); !exited || err != nil {
		t.Fatalf("Wait = %v, %v; want exited with status 0", exited, err)
	}
	for _, want := range []string{"out", "err"} {
		if !strings.Contains(echo.String(), want) || !p.LogContains(want) {
			t.Errorf("%q is not both echoed (%q) and in the log:\n%s", want, echo.String(), p.LogText())
		}
	}
}

func TestOperatorClient(t *testing.T) {
	path, tok, err := NewOperatorToken(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	if again, err := trust.LoadToken(path); err != nil || again != tok {
		t.Fatalf("LoadToken(%s) = %q, %v; want %q", path, again, err, tok)
	}
	guard := trust.NewOperator(tok, slog.New(slog.DiscardHandler))
	srv := httptest.NewServer(guard.Require(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte(`{"active": 1}`))
	})))
	defer srv.Close()
	var st struct{ Active int }
	tests := []struct {
		name string
		hc   *http.Client
		want string // in the error; "" for none
	}{
		{"operator", OperatorClient(tok), ""},
		{"no token", HTTPClient(), "401"},
		{"another token", OperatorClient(trust.Token(strings.Repeat("ab", 32))), "403"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := GetJSON(tt.hc, srv.URL+"/v1/edges", &st)
			if tt.want == "" && err != nil || tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)) {
				t.Fatalf("GetJSON: %v, want %q", err, tt.want)
			}
		})
	}
}
