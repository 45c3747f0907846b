package main

import (
	"bytes"
	"crypto/ed25519"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	edgeusage "stratus/edge/usage"
	"stratus/ledger"
)

// The listing is read record by record, and only a whole array is taken
// for one: a cut answer, a stalled one or a late one is an error.
func TestUsageStreamDecode(t *testing.T) {
	const limit = 300 * time.Millisecond
	for _, c := range []struct {
		name    string
		serve   func(w http.ResponseWriter, r *http.Request)
		records int
		wantErr string // "" none
	}{
		{"whole", writes(`[{"session":"a"},`, `{"session":"b"}]`), 2, ""},
		{"empty", writes("[\n]\n"), 0, ""},
		{"cut by the node", func(w http.ResponseWriter, r *http.Request) {
			writes(`[{"session":"a"},`)(w, r)
			panic(http.ErrAbortHandler)
		}, 1, "broke off after 1 records"},
		{"ended early", writes(`[{"session":"a"},`), 1, "broke off after 1 records"},
		{"not a list", writes(`{"session":"a"}`), 0, "not a list"},
		{"more after the list", writes(`[] []`), 0, "more than a list"},
		{"stalled", func(w http.ResponseWriter, r *http.Request) {
			writes(`[{"session":"a"}`)(w, r)
			<-r.Context().Done() // until the reader gives up
		}, 1, "stalled for"},
		{"no answer", func(w http.ResponseWriter, r *http.Request) {
			<-r.Context().Done()
		}, 0, "no answer in"},
		{"an error status", func(w http.ResponseWriter, r *http.Request) {
			w.WriteHeader(http.StatusInternalServerError)
			io.WriteString(w, `{"code":"internal","message":"the database went away"}`)
		}, 0, "the database went away"},
	} {
		srv := httptest.NewServer(http.HandlerFunc(c.serve))
		g := usageGetter{hc: srv.Client(), headerLimit: limit, idle: limit}
		n, err := 0, error(nil)
		body, err := g.get(srv.URL)
		if err == nil {
			n, err = eachRecord(body, func(json.RawMessage) error { return nil })
			body.Close()
		}
		srv.Close()
		switch {
		case n != c.records:
			t.Errorf("%s: %d records, want %d", c.name, n, c.records)
		case c.wantErr == "" && err != nil:
			t.Errorf("%s: %v", c.name, err)
		case c.wantErr != "" && (err == nil || !strings.Contains(err.Error(), c.wantErr)):
			t.Errorf("%s: error %v, want %q", c.name, err, c.wantErr)
		}
	}
}

// writes answers with each part flushed in turn.
func writes(parts ...string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		for _, p := range parts {
			io.WriteString(w, p)
			w.(http.Flusher).Flush()
		}
	}
}

func signedEntry(t *testing.T, key ed25519.PrivateKey, session, edge string) ledger.Entry {
	t.Helper()
	end := time.Date(2026, 12, 4, 12, 0, 0, 0, time.UTC)
	r := edgeusage.Record{Session: session, Seq: 2, Final: true, Kind: edgeusage.KindPlayer, Title: "acme-game", Edge: edge, Operator: "lab",
		Region: "eu", Start: end.Add(-time.Minute), End: end, Seconds: 60, Encoder: "x264"}
	r.Sign(key)
	return ledger.Entry{Record: r, LedgerKind: "player"}
}

// Every record is checked, on several workers, each failure named; the
// studio the listing adds is not taken for an alteration.
func TestUsageVerifyStream(t *testing.T) {
	pub, key, _ := ed25519.GenerateKey(nil)
	keys := map[string]ed25519.PublicKey{"eu-1": pub}
	var list []ledger.Entry
	for i := range 500 {
		list = append(list, signedEntry(t, key, fmt.Sprintf("s%03d", i), "eu-1"))
	}
	list[10].Seconds = 6000                                // altered
	list[20] = signedEntry(t, key, "stranger", "nobody-1") // an edge the registry lacks
	list[30].Studio = "acme"                               // the title's owner, as the node names it
	whole, _ := json.Marshal(list)
	for _, c := range []struct {
		name       string
		body       []byte
		total, bad int
		out        []string
		listingErr bool
	}{
		{"whole", whole, 500, 2, []string{"FAIL s010 (edge eu-1)", "FAIL stranger (edge nobody-1): its edge is not in the registry"}, false},
		{"cut", whole[:len(whole)/2], 0, 0, nil, true},
	} {
		var out bytes.Buffer
		total, bad, err := verifyRecords(&out, keys, bytes.NewReader(c.body), 4)
		if c.listingErr {
			if err == nil || total == 0 || total >= 500 {
				t.Errorf("%s: %d records, %v: want the records before the cut and an error", c.name, total, err)
			}
			continue
		}
		if err != nil || total != c.total || bad != c.bad {
			t.Errorf("%s: %d records, %d failed, %v; want %d and %d\n%s", c.name, total, bad, err, c.total, c.bad, out.String())
		}
		for _, line := range c.out {
			if !strings.Contains(out.String(), line) {
				t.Errorf("%s: no %q in\n%s", c.name, line, out.String())
			}
		}
	}
}

// Each format lists every record as it comes; the JSON is one list.
func TestUsagePrintSessions(t *testing.T) {
	_, key, _ := ed25519.GenerateKey(nil)
	var list []ledger.Entry
	for i := range usageTableBlock + 5 {
		list = append(list, signedEntry(t, key, fmt.Sprintf("s%06d", i), "eu-1"))
	}
	body, _ := json.Marshal(list)
	for _, c := range []struct {
		format string
		lines  int
	}{{"table", len(list) + 1}, {"csv", len(list) + 1}, {"json", 0}} {
		var out bytes.Buffer
		if err := printSessions(&out, bytes.NewReader(body), c.format); err != nil {
			t.Fatalf("%s: %v", c.format, err)
		}
		if c.format == "json" {
			var got []ledger.Entry
			if err := json.Unmarshal(out.Bytes(), &got); err != nil || len(got) != len(list) || got[7].Session != list[7].Session || !got[7].End.Equal(list[7].End) {
				t.Errorf("json: %d records, %v", len(got), err)
			}
			continue
		}
		if n := strings.Count(out.String(), "\n"); n != c.lines {
			t.Errorf("%s: %d lines, want %d", c.format, n, c.lines)
		}
	}
	var out bytes.Buffer
	if err := printSessions(&out, strings.NewReader("[]"), "json"); err != nil || out.String() != "[]\n" {
		t.Errorf("no records: %q %v", out.String(), err)
	}
}
