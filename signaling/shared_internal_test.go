package signaling

import (
	"crypto/ed25519"
	"log/slog"
	"testing"
	"time"

	"stratus/ledger"
	"stratus/trust/enroll"
)

// TestSharerHoldsUnknownSigners: a verdict from a node this registry does
// not know yet is held and believed once the node is enrolled; one whose
// node stays unknown is refused after sharedRecheck; one with a bad
// signature is refused at once; a verdict dated ahead counts from now.
func TestSharerHoldsUnknownSigners(t *testing.T) {
	rc := enroll.DefaultConfig()
	rc.Dir = t.TempDir()
	reg, err := enroll.Open(rc, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	defer reg.Close()
	now := time.Unix(1_000_000, 0)
	type lie struct {
		edge string
		at   time.Time
	}
	var lies []lie
	sh := &sharer{log: slog.New(slog.DiscardHandler), registry: reg, name: "sig-b", now: func() time.Time { return now },
		lied: func(edge string, at time.Time) { lies = append(lies, lie{edge, at}) }}
	_, keyA, _ := ed25519.GenerateKey(nil)
	signed := func(node, edge string, key ed25519.PrivateKey, at time.Time) sharedRow {
		r := ledger.Refusal{Edge: edge, Node: node, At: at}
		r.Sig = ed25519.Sign(key, refusalMessage(r))
		return sharedRow{verdict: &r, until: now.Add(sharedRecheck)}
	}

	sh.handle(signed("sig-a", "eu-1", keyA, now.Add(-time.Second)), now)
	sh.handle(signed("sig-x", "eu-2", keyA, now), now)
	if len(sh.held) != 2 || len(lies) != 0 || sh.refused != 0 {
		t.Fatalf("unknown signers: held %d, lies %v, refused %d", len(sh.held), lies, sh.refused)
	}
	if _, err := reg.Certify("sig-a", keyA); err != nil {
		t.Fatal(err)
	}
	now = now.Add(sharedEvery)
	sh.recheck()
	if len(sh.held) != 1 || len(lies) != 1 || lies[0].edge != "eu-1" || sh.refused != 0 {
		t.Fatalf("after sig-a enrolled: held %d, lies %v, refused %d", len(sh.held), lies, sh.refused)
	}
	now = now.Add(sharedRecheck)
	sh.recheck()
	if len(sh.held) != 0 || len(lies) != 1 || sh.refused != 1 {
		t.Fatalf("sig-x still unknown after the recheck window: held %d, lies %v, refused %d", len(sh.held), lies, sh.refused)
	}

	_, other, _ := ed25519.GenerateKey(nil)
	sh.handle(signed("sig-a", "eu-1", other, now), now)
	if len(sh.held) != 0 || len(lies) != 1 || sh.refused != 2 {
		t.Fatalf("a bad signature: held %d, lies %v, refused %d", len(sh.held), lies, sh.refused)
	}
	sh.handle(signed("sig-a", "eu-1", keyA, now.Add(time.Hour)), now)
	if len(lies) != 2 || !lies[1].at.Equal(now) {
		t.Fatalf("a verdict dated ahead: lies %v", lies)
	}
}
