package studio

import (
	"net/http"
	"slices"
	"strings"
	"testing"
)

func TestRoundTrip(t *testing.T) {
	svc, srv := newTestServer(t, t.TempDir())
	var created Title
	if code := call(t, srv, keyAcme, "POST", TitlesPath, manifestJSON("rocket", "1.0.0"), &created); code != http.StatusCreated {
		t.Fatalf("create: %d", code)
	}
	if created.ID != "rocket" || created.Studio != "acme" || created.Version != "1.0.0" || created.Created.IsZero() {
		t.Fatalf("created %+v", created)
	}
	var list []Title
	if code := call(t, srv, keyAcme, "GET", TitlesPath, nil, &list); code != 200 || len(list) != 1 || list[0].ID != "rocket" {
		t.Fatalf("list: %d %+v", code, list)
	}
	var updated Title
	if code := call(t, srv, keyAcme, "PUT", TitlesPath+"/rocket", manifestJSON("rocket", "1.1.0"), &updated); code != 200 {
		t.Fatalf("update: %d", code)
	}
	if updated.Version != "1.1.0" || !slices.Equal(updated.Versions, []string{"1.0.0", "1.1.0"}) || updated.Manifest.Version != "1.1.0" {
		t.Fatalf("updated %+v", updated)
	}
	var e APIError
	if code := call(t, srv, keyAcme, "PUT", TitlesPath+"/rocket", manifestJSON("rocket", "1.1.0"), &e); code != http.StatusConflict || e.Code != "same_version" {
		t.Fatalf("same version: %d %+v", code, e)
	}
	if code := call(t, srv, keyAcme, "PUT", TitlesPath+"/rocket", manifestJSON("other", "2.0.0"), &e); code != 400 || e.Problems[0].Field != "id" {
		t.Fatalf("id mismatch: %d %+v", code, e)
	}
	if got := svc.Store().Snapshot().Titles; len(got) != 1 || got[0].Version != "1.1.0" {
		t.Fatalf("catalog %+v", got)
	}
	var retired Title
	if code := call(t, srv, keyAcme, "DELETE", TitlesPath+"/rocket", nil, &retired); code != 200 || !retired.Retired {
		t.Fatalf("retire: %d %+v", code, retired)
	}
	if got := svc.Store().Snapshot().Titles; len(got) != 0 {
		t.Fatalf("catalog after retire %+v", got)
	}
	// Kept for the record, and still the studio's.
	var got Title
	if code := call(t, srv, keyAcme, "GET", TitlesPath+"/rocket", nil, &got); code != 200 || !got.Retired {
		t.Fatalf("get retired: %d %+v", code, got)
	}
	if code := call(t, srv, keyAcme, "PUT", TitlesPath+"/rocket", manifestJSON("rocket", "2.0.0"), &e); code != http.StatusConflict || e.Code != "retired" {
		t.Fatalf("update retired: %d %+v", code, e)
	}
	if code := call(t, srv, keyAcme, "GET", TitlesPath+"/nope", nil, &e); code != 404 || e.Code != "not_found" {
		t.Fatalf("unknown: %d %+v", code, e)
	}
	if code := call(t, srv, keyAcme, "PATCH", TitlesPath+"/rocket", nil, &e); code != 405 {
		t.Fatalf("patch: %d %+v", code, e)
	}
}

func TestValidationProblems(t *testing.T) {
	_, srv := newTestServer(t, t.TempDir())
	bad := []byte(`{"id":"X","name":"","version":"1","runtime":"process","fps":1000,"input":{}}`)
	var e APIError
	if code := call(t, srv, keyAcme, "POST", TitlesPath, bad, &e); code != 400 || e.Code != "bad_manifest" {
		t.Fatalf("%d %+v", code, e)
	}
	fields := map[string]bool{}
	for _, p := range e.Problems {
		if p.Problem == "" {
			t.Errorf("empty problem for %s", p.Field)
		}
		fields[p.Field] = true
	}
	for _, f := range []string{"id", "name", "version", "command", "fps"} {
		if !fields[f] {
			t.Errorf("no problem for %s in %+v", f, e.Problems)
		}
	}
	// Broken JSON: a message with line and column, no problems.
	if code := call(t, srv, keyAcme, "POST", TitlesPath, []byte("{\n\"id\": }"), &e); code != 400 || e.Code != "bad_manifest" || !strings.Contains(e.Message, "2:") {
		t.Fatalf("syntax: %d %+v", code, e)
	}
	big := make([]byte, MaxBody+1)
	if code := call(t, srv, keyAcme, "POST", TitlesPath, big, &e); code != http.StatusRequestEntityTooLarge {
		t.Fatalf("big: %d %+v", code, e)
	}
}

func TestOtherStudio(t *testing.T) {
	_, srv := newTestServer(t, t.TempDir())
	if code := call(t, srv, keyAcme, "POST", TitlesPath, manifestJSON("rocket", "1.0.0"), nil); code != 201 {
		t.Fatal(code)
	}
	var e APIError
	for _, c := range []struct {
		method string
		body   []byte
	}{{"GET", nil}, {"PUT", manifestJSON("rocket", "9.0.0")}, {"DELETE", nil}} {
		e = APIError{}
		if code := call(t, srv, keyRival, c.method, TitlesPath+"/rocket", c.body, &e); code != 403 || e.Code != "forbidden" {
			t.Errorf("%s: %d %+v", c.method, code, e)
		}
		if strings.Contains(e.Message, "acme") || strings.Contains(e.Message, "Game") {
			t.Errorf("%s leaks: %q", c.method, e.Message)
		}
	}
	var list []Title
	if code := call(t, srv, keyRival, "GET", TitlesPath, nil, &list); code != 200 || len(list) != 0 {
		t.Fatalf("rival list: %d %+v", code, list)
	}
	// The id is taken for everyone.
	if code := call(t, srv, keyRival, "POST", TitlesPath, manifestJSON("rocket", "1.0.0"), &e); code != 409 || e.Code != "id_taken" {
		t.Fatalf("taken: %d %+v", code, e)
	}
	if code := call(t, srv, keyAcme, "POST", TitlesPath, manifestJSON("rocket", "2.0.0"), &e); code != 409 || e.Code != "id_taken" {
		t.Fatalf("taken by owner: %d %+v", code, e)
	}
	// And the owner's title is untouched.
	var got Title
	if code := call(t, srv, keyAcme, "GET", TitlesPath+"/rocket", nil, &got); code != 200 || got.Version != "1.0.0" || got.Retired {
		t.Fatalf("owner: %d %+v", code, got)
	}
}

func TestUnauthorized(t *testing.T) {
	_, srv := newTestServer(t, t.TempDir())
	for _, key := range []string{"", "wrong-key-0123456789", keyAcme + "x", strings.ToUpper(keyAcme)} {
		var e APIError
		if code := call(t, srv, key, "GET", TitlesPath, nil, &e); code != 401 || e.Code != "unauthorized" {
			t.Errorf("key %q: %d %+v", key, code, e)
		}
		if code := call(t, srv, key, "POST", TitlesPath, manifestJSON("rocket", "1.0.0"), &e); code != 401 {
			t.Errorf("key %q: create %d", key, code)
		}
	}
	// Not a bearer token.
	req, _ := http.NewRequest("GET", srv.URL+TitlesPath, nil)
	req.Header.Set("Authorization", "Basic "+keyAcme)
	resp, err := srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 401 || resp.Header.Get("WWW-Authenticate") == "" {
		t.Fatalf("basic: %d", resp.StatusCode)
	}
}
