package main

import (
	"encoding/json"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"stratus/internal/clustertest"
	"stratus/ledger"
)

// TestClusterBrowserUsage meters a player's session as the operator reads
// it: headless Chromium plays testpattern for 10 s and leaves; the
// operator's `stratus usage -format json`, with the token in
// STRATUS_OPERATOR_TOKEN, then lists the session as a player's, of 8–25 s
// (the edge ends it once the page is gone), signed by its edge, with the
// frames the page reported presenting; `stratus usage verify` exits 0.
func TestClusterBrowserUsage(t *testing.T) {
	c, s := startStandardCluster(t)
	tok := strings.TrimSpace(string(must(os.ReadFile(c.tokenFile))))
	stratus := func(args ...string) (string, error) {
		cmd := exec.Command(c.bin, append(args, "-signal", s.url)...)
		cmd.Env = append(clustertest.Env(), operatorTokenEnv+"="+tok)
		out, err := cmd.CombinedOutput()
		return string(out), err
	}

	ctx := openPage(t, s.url+"/play?title=testpattern")
	ps := waitPlaying(t, ctx, 30*time.Second, "the page to play", 30, nil)
	time.Sleep(10 * time.Second) // the session the operator is to find
	if err := chromedp.Do(ctx, chromedp.Navigate("about:blank")); err != nil {
		t.Fatal(err)
	}
	left := time.Now()

	var rec ledger.Entry
	poll(t, 30*time.Second, "the ledger to hold the page's finished session", func() (bool, string) {
		out, err := stratus("usage", "-format", "json")
		if err != nil {
			return false, out
		}
		var list []ledger.Entry
		if err := json.Unmarshal([]byte(out), &list); err != nil {
			return false, err.Error()
		}
		for _, e := range list {
			if e.Edge == ps.Edge && e.Title == "testpattern" && e.Final && e.LedgerKind == "player" {
				rec = e
				return true, ""
			}
		}
		return false, out
	})
	t.Logf("the ledger has it %v after the page left: %s on %s, %.1f s, %d frames sent, %d presented, %d bytes, %s",
		time.Since(left).Round(time.Millisecond), rec.Session, rec.Edge, rec.Seconds, rec.FramesSent, rec.FramesPresented, rec.Bytes, rec.Encoder)
	if rec.Seconds < 8 || rec.Seconds > 25 {
		t.Errorf("the session lasted %.1f s in the ledger, want 8–25 s", rec.Seconds)
	}
	if len(rec.Signature) == 0 || rec.Operator != testOperator || rec.Kind != "player" {
		t.Errorf("record: signature %d bytes, operator %q, kind %q; want signed by %s's edge, player", len(rec.Signature), rec.Operator, rec.Kind, testOperator)
	}
	// The page's presentation reports reach the record: about 60 a second.
	if rec.FramesPresented < 300 || rec.FramesPresented > rec.FramesSent {
		t.Errorf("frames presented %d (sent %d), want at least 300 and no more than sent", rec.FramesPresented, rec.FramesSent)
	}
	out, err := stratus("usage", "verify")
	t.Logf("stratus usage verify: %s", strings.TrimSpace(out))
	if err != nil {
		t.Fatalf("verify: %v", err)
	}
}
