package main

import (
	"context"
	"io"
	"log/slog"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"stratus/signaling/studio"
)

const (
	titleTestKey  = "acme-key-0123456789"
	titleRivalKey = "rival-key-0123456789"
)

func titleTestServer(t *testing.T) *httptest.Server {
	t.Helper()
	svc, err := studio.New(studio.Config{
		DataDir: t.TempDir(),
		Keys:    map[string][]string{"acme": {titleTestKey}, "rival": {titleRivalKey}},
	}, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(svc.Handler())
	t.Cleanup(func() { srv.Close(); svc.Close() })
	return srv
}

func writeManifest(t *testing.T, body string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "manifest.json")
	if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func titleRun(t *testing.T, args ...string) (string, error) {
	t.Helper()
	var out strings.Builder
	err := titleCommand(context.Background(), &out, args)
	return out.String(), err
}

const titleGame = `{"id":"rocket","name":"Rocket","version":"%s","runtime":"process","command":"start.sh","width":640,"height":360,"fps":30,"input":{"keyboard":true}}`

func TestTitleAddListRm(t *testing.T) {
	srv := titleTestServer(t)
	flags := []string{"-signal", srv.URL, "-studio-key", titleTestKey}
	v1 := writeManifest(t, strings.Replace(titleGame, "%s", "1.0.0", 1))
	out, err := titleRun(t, append(append([]string{"add"}, flags...), v1)...)
	if err != nil || !strings.Contains(out, "added rocket version 1.0.0") {
		t.Fatalf("add: %q %v", out, err)
	}
	v2 := writeManifest(t, strings.Replace(titleGame, "%s", "1.1.0", 1))
	out, err = titleRun(t, append(append([]string{"add"}, flags...), v2)...)
	if err != nil || !strings.Contains(out, "updated rocket to version 1.1.0") {
		t.Fatalf("add v2: %q %v", out, err)
	}
	if _, err = titleRun(t, append(append([]string{"add"}, flags...), v2)...); err == nil || !strings.Contains(err.Error(), "current") {
		t.Fatalf("same version: %v", err)
	}
	// The key from the environment, as STRATUS_STUDIO_KEY.
	t.Setenv("STRATUS_STUDIO_KEY", titleTestKey)
	out, err = titleRun(t, "list", "-signal", srv.URL)
	if err != nil || !strings.Contains(out, "rocket") || !strings.Contains(out, "1.1.0") || !strings.Contains(out, "live") {
		t.Fatalf("list: %q %v", out, err)
	}
	out, err = titleRun(t, "rm", "-signal", srv.URL, "rocket")
	if err != nil || !strings.Contains(out, "retired rocket") {
		t.Fatalf("rm: %q %v", out, err)
	}
	out, _ = titleRun(t, "list", "-signal", srv.URL)
	if !strings.Contains(out, "retired") {
		t.Fatalf("list after rm: %q", out)
	}
}

func TestTitleErrors(t *testing.T) {
	srv := titleTestServer(t)
	t.Setenv("STRATUS_STUDIO_KEY", "")
	bad := writeManifest(t, `{"id":"rocket","name":"","version":"1","runtime":"builtin","input":{}}`)
	_, err := titleRun(t, "add", "-signal", srv.URL, "-studio-key", titleTestKey, bad)
	if err == nil {
		t.Fatal("bad manifest accepted")
	}
	for _, want := range []string{"\n  name: required", "\n  version: "} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q lacks %q", err, want)
		}
	}
	if _, err := titleRun(t, "list", "-signal", srv.URL); err == nil || !strings.Contains(err.Error(), "STRATUS_STUDIO_KEY") {
		t.Errorf("no key: %v", err)
	}
	if _, err := titleRun(t, "list", "-signal", srv.URL, "-studio-key", "wrong-key-0123456789"); err == nil || !strings.Contains(err.Error(), "refused the studio key") {
		t.Errorf("wrong key: %v", err)
	}
	good := writeManifest(t, strings.Replace(titleGame, "%s", "1.0.0", 1))
	if _, err := titleRun(t, "add", "-signal", srv.URL, "-studio-key", titleTestKey, good); err != nil {
		t.Fatal(err)
	}
	if _, err := titleRun(t, "add", "-signal", srv.URL, "-studio-key", titleRivalKey, good); err == nil || !strings.Contains(err.Error(), "taken by another studio") {
		t.Errorf("rival add: %v", err)
	}
	if _, err := titleRun(t, "rm", "-signal", srv.URL, "-studio-key", titleRivalKey, "rocket"); err == nil || !strings.Contains(err.Error(), "another studio") {
		t.Errorf("rival rm: %v", err)
	}
	if _, err := titleRun(t, "rm", "-signal", srv.URL, "-studio-key", titleTestKey, "nope"); err == nil || !strings.Contains(err.Error(), "no such title") {
		t.Errorf("rm unknown: %v", err)
	}
	if _, err := titleRun(t, "frob"); err == nil || !strings.Contains(err.Error(), "unknown command") {
		t.Errorf("frob: %v", err)
	}
	if _, err := titleRun(t, "add", "-studio-key", titleTestKey); err == nil || !strings.Contains(err.Error(), "want 1 argument") {
		t.Errorf("add without file: %v", err)
	}
	if _, err := titleRun(t, "list", "-signal", "127.0.0.1:1", "-studio-key", titleTestKey); err == nil || !strings.Contains(err.Error(), "bad signaling URL") {
		t.Errorf("bad url: %v", err)
	}
}
