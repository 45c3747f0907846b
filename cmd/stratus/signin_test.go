package main

import (
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	jose "github.com/go-jose/go-jose/v4"

	"stratus/internal/clustertest"
	"stratus/internal/idp"
	"stratus/signaling/playerauth"
)

// TestPlaySignedIn: where players must sign in, the page without a token
// is refused, and with a token in its URL's fragment it plays, the
// subject reaching the edge's session.
func TestPlaySignedIn(t *testing.T) {
	prov, err := idp.Start(jose.ES256)
	if err != nil {
		t.Fatal(err)
	}
	defer prov.Close()
	base := startStack(t, func(c *serveConfig) {
		pa := playerauth.DefaultConfig()
		pa.Issuer, pa.Audience, pa.JWKSURL = prov.Issuer, "stratus-play", prov.JWKSURL
		c.Signal.PlayerAuth = &pa
	})
	ctx := newBrowser(t)
	if err := chromedp.Do(ctx, chromedp.Navigate(base+"/play?title=testpattern")); err != nil {
		t.Fatal(err)
	}
	waitFor(t, ctx, `window.stratus && stratus.state === "error" && stratus.error && stratus.error.code === "unauthorized"`, "the anonymous player refused", 15*time.Second)

	tok, err := prov.Sign(prov.Claims("player-42", "stratus-play"))
	if err != nil {
		t.Fatal(err)
	}
	// Through a blank page: a change of fragment alone would not load the
	// page again.
	if err := chromedp.Do(ctx, chromedp.Navigate("about:blank"), chromedp.Navigate(base+"/play?title=testpattern#token="+tok)); err != nil {
		t.Fatal(err)
	}
	waitFor(t, ctx, `window.stratus && stratus.state === "playing"`, "the signed-in player to play", 30*time.Second)
	if hash := eval[string](t, ctx, `location.hash`); hash != "" {
		t.Errorf("the token stayed in the address bar: %q", hash)
	}
	var sessions []struct {
		Player string `json:"player"`
	}
	if err := clustertest.GetJSON(clustertest.OperatorClient(stackOperatorToken), base+"/v1/sessions", &sessions); err != nil {
		t.Fatal(err)
	}
	if len(sessions) != 1 || sessions[0].Player != "player-42" {
		t.Fatalf("sessions %+v, want one of player-42", sessions)
	}
}
