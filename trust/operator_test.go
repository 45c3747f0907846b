package trust

import (
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"stratus/edge/api"
)

func TestOperatorRequire(t *testing.T) {
	tok, _ := NewToken()
	other, _ := NewToken()
	tests := []struct {
		name       string
		configured Token
		header     []string // Authorization values sent; none: no header
		status     int
		code       string
	}{
		{"right token", tok, []string{"Bearer " + string(tok)}, http.StatusOK, ""},
		{"scheme in lower case", tok, []string{"bearer " + string(tok)}, http.StatusOK, ""},
		{"no header", tok, nil, http.StatusUnauthorized, api.CodeUnauthorized},
		{"empty header", tok, []string{""}, http.StatusUnauthorized, api.CodeUnauthorized},
		{"basic scheme", tok, []string{"Basic " + string(tok)}, http.StatusUnauthorized, api.CodeUnauthorized},
		{"token without scheme", tok, []string{string(tok)}, http.StatusUnauthorized, api.CodeUnauthorized},
		{"bearer without token", tok, []string{"Bearer "}, http.StatusUnauthorized, api.CodeUnauthorized},
		{"wrong token", tok, []string{"Bearer " + string(other)}, http.StatusForbidden, api.CodeForbidden},
		// HTTP drops whitespace around a field's value (RFC 9110, 5.5)
		// before the handler sees it: what is left is the token.
		{"token with trailing space", tok, []string{"Bearer " + string(tok) + " "}, http.StatusOK, ""},
		{"token with a space inside", tok, []string{"Bearer " + string(tok[:32]) + " " + string(tok[32:])}, http.StatusForbidden, api.CodeForbidden},
		{"token after two spaces", tok, []string{"Bearer  " + string(tok)}, http.StatusForbidden, api.CodeForbidden},
		{"token and a tab and more", tok, []string{"Bearer " + string(tok) + "\tx"}, http.StatusForbidden, api.CodeForbidden},
		{"prefix of the token", tok, []string{"Bearer " + string(tok[:10])}, http.StatusForbidden, api.CodeForbidden},
		{"wrong token, then right", tok, []string{"Bearer " + string(other), "Bearer " + string(tok)}, http.StatusForbidden, api.CodeForbidden},
		{"no token configured, empty bearer", "", []string{"Bearer "}, http.StatusForbidden, api.CodeForbidden},
		{"no token configured, no header", "", nil, http.StatusForbidden, api.CodeForbidden},
		{"no token configured, a guess", "", []string{"Bearer " + string(tok)}, http.StatusForbidden, api.CodeForbidden},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			reached := false
			h := NewOperator(tt.configured, slog.New(slog.DiscardHandler)).Require(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				reached = true
				w.Write([]byte("secret"))
			}))
			srv := httptest.NewServer(h)
			defer srv.Close()
			req, _ := http.NewRequest(http.MethodGet, srv.URL+"/v1/sessions", nil)
			for _, v := range tt.header {
				req.Header.Add("Authorization", v)
			}
			resp, err := srv.Client().Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			body, _ := io.ReadAll(resp.Body)
			t.Logf("sent %q: %s %s", tt.header, resp.Status, strings.TrimSpace(string(body)))
			if resp.StatusCode != tt.status {
				t.Fatalf("status %d, want %d", resp.StatusCode, tt.status)
			}
			if tt.status == http.StatusOK {
				if !reached || string(body) != "secret" {
					t.Fatalf("handler reached %v, body %q", reached, body)
				}
				return
			}
			if reached || strings.Contains(string(body), "secret") {
				t.Fatal("a refused request reached the handler")
			}
			var e api.Error
			if err := json.Unmarshal(body, &e); err != nil || e.Code != tt.code || e.Message == "" {
				t.Fatalf("body %q, want an api.Error with code %s", body, tt.code)
			}
			challenge := resp.Header.Get("WWW-Authenticate")
			if (tt.status == http.StatusUnauthorized) != strings.HasPrefix(challenge, "Bearer") {
				t.Errorf("WWW-Authenticate %q with status %d", challenge, resp.StatusCode)
			}
			if tt.configured == "" && !strings.Contains(e.Message, "no operator token configured") {
				t.Errorf("message %q does not say the node has no token", e.Message)
			}
		})
	}
}

func TestBearerTransport(t *testing.T) {
	tok, _ := NewToken()
	var got []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got = append(got, r.Header.Get("Authorization"))
	}))
	defer srv.Close()
	tests := []struct {
		name  string
		token Token
		want  string
	}{
		{"a token", tok, "Bearer " + string(tok)},
		{"no token sends no header", "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got = nil
			hc := &http.Client{Transport: BearerTransport{Token: tt.token, Next: srv.Client().Transport}}
			req, _ := http.NewRequest(http.MethodGet, srv.URL, nil)
			resp, err := hc.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if len(got) != 1 || got[0] != tt.want {
				t.Errorf("server saw %q, want %q", got, tt.want)
			}
			if req.Header.Get("Authorization") != "" {
				t.Error("the caller's request was changed")
			}
		})
	}
}
