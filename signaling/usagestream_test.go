package signaling_test

import (
	"bytes"
	"crypto/ed25519"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"testing"
	"time"

	"stratus/edge/usage"
	"stratus/ledger"
	"stratus/signaling"
)

// A listing longer than a ledger page and many flushes comes whole, in
// order, each record as its edge signed it to the operator and with the
// network's fields blanked to a studio.
func TestUsageStreamsMany(t *testing.T) {
	w := newUsageWorld(t)
	const n = ledger.PageRows + 1500
	end := time.Date(2026, 12, 3, 12, 0, 0, 0, time.UTC)
	var recs []usage.Record
	for i := range n {
		title := []string{"acme-game", "testpattern"}[i%2]
		rec := usage.Record{Session: fmt.Sprintf("m%06d", i), Seq: 2, Final: true, Kind: usage.KindPlayer, Title: title, Edge: "eu-1",
			Operator: "lab", Region: "eu", Player: "player-8", Start: end.Add(-time.Minute), End: end.Add(time.Duration(i) * time.Second),
			Seconds: 60, FramesSent: 3600, Encoder: "x264"}
		rec.Sign(w.keys["eu-1"])
		recs = append(recs, rec)
		if len(recs) < signaling.MaxUsageBatch && i < n-1 {
			continue
		}
		body, _ := json.Marshal(signaling.UsageBatch{Records: recs})
		resp, err := http.Post(w.n.URL+"/v1/usage", "application/json", bytes.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK || !bytes.Contains(b, fmt.Appendf(nil, `"accepted":%d`, len(recs))) {
			t.Fatalf("pushing records: %s %s", resp.Status, b)
		}
		recs = recs[:0]
	}
	pub := w.keys["eu-1"].Public().(ed25519.PublicKey)
	for _, c := range []struct {
		name, auth string
		want       int
	}{
		{"the operator", "Bearer " + string(testOperatorToken), n + 3},
		{"acme", "Bearer " + acmeKey, n/2 + 1},
	} {
		status, body := w.get(t, "/v1/usage", c.auth)
		var list []ledger.Entry
		if err := json.Unmarshal(body, &list); status != 200 || err != nil || len(list) != c.want {
			t.Fatalf("%s: %d, %d records (%v), want %d", c.name, status, len(list), err, c.want)
		}
		studioView := c.name == "acme"
		for i, e := range list {
			if i > 0 && (e.End.Before(list[i-1].End) || (e.End.Equal(list[i-1].End) && e.Session <= list[i-1].Session)) {
				t.Fatalf("%s: %s after %s", c.name, e.Session, list[i-1].Session)
			}
			if e.Session[0] != 'm' {
				continue
			}
			wantStudio := map[string]string{"acme-game": "acme"}[e.Title]
			signed := e.Record
			signed.Studio = "" // the node's, not the edge's
			switch {
			case e.LedgerKind != "player" || e.Studio != wantStudio:
				t.Fatalf("%s: %s: kind %q, studio %q", c.name, e.Session, e.LedgerKind, e.Studio)
			case studioView && (e.Edge != "" || e.Operator != "" || e.Player != "" || e.Encoder != "" || e.Signature != nil):
				t.Fatalf("%s sees %+v", c.name, e)
			case !studioView && signed.Verify(pub) != nil:
				t.Fatalf("%s: %s does not verify", c.name, e.Session)
			}
		}
	}
}
