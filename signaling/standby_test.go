package signaling_test

import (
	"slices"
	"testing"

	"stratus/edge/api"
	"stratus/internal/edgenet"
	"stratus/internal/player"
	"stratus/signaling"
)

// TestStandby: a playing page's standby goes to the next-best edge, never
// the serving one; one per session; its candidates reach it; activation
// makes it the session (the old one ended) and only the standby of the
// page's own connection can be activated; a rejoin or leave ends it.
func TestStandby(t *testing.T) {
	noLeaks(t)
	net := edgenet.New()
	eu1 := net.Start(edgenet.EdgeConfig{Name: "eu-1"})
	eu2 := net.Start(edgenet.EdgeConfig{Name: "eu-2"})
	defer net.Close()
	n := newNode(t, net)
	p := dial(t, n)
	other := dial(t, n)
	ctx := wait(t)
	standbyJoin := signaling.Message{Type: signaling.TypeJoin, Standby: true, Title: "rocks", SDP: "v=0 standby offer"}

	// Before a join there is nothing to stand by for.
	if err := p.Send(standbyJoin); err != nil {
		t.Fatal(err)
	}
	if m, err := p.Await(ctx, signaling.TypeError); err != nil || m.Code != api.CodeNotJoined || !m.Standby {
		t.Fatalf("standby before join: %+v, %v; want a standby error not_joined", m, err)
	}
	joined, err := p.JoinAndWait(ctx, player.Join{Title: "rocks"})
	if err != nil || joined.Type != signaling.TypeJoined || joined.Edge != "eu-1" {
		t.Fatalf("join: %+v, %v; want joined on eu-1", joined, err)
	}
	if err := p.Send(standbyJoin); err != nil {
		t.Fatal(err)
	}
	sb, err := p.Await(ctx, signaling.TypeJoined, signaling.TypeError)
	if err != nil || sb.Type != signaling.TypeJoined || !sb.Standby || sb.Edge != "eu-2" {
		t.Fatalf("standby: %+v, %v; want a standby joined on eu-2", sb, err)
	}
	if got := len(eu2.Standbys()); got != 1 || len(eu1.Standbys()) != 0 {
		t.Fatalf("standbys asked: eu-1 %d, eu-2 %d; want eu-2 only", len(eu1.Standbys()), got)
	}
	if c := eu2.Creates(); len(c) != 0 {
		t.Fatalf("the standby edge was asked for %d played sessions, want none", len(c))
	}
	// The limit: one per session.
	if err := p.Send(standbyJoin); err != nil {
		t.Fatal(err)
	}
	if m, err := p.Await(ctx, signaling.TypeError); err != nil || m.Code != api.CodeRateLimited || !m.Standby {
		t.Fatalf("second standby: %+v, %v; want a standby error rate_limited", m, err)
	}
	mid := "0"
	if err := p.Send(signaling.Message{Type: signaling.TypeCandidate, Standby: true, Candidate: &signaling.Candidate{Candidate: "candidate:1 1 udp 1 127.0.0.1 9 typ host", SDPMid: &mid}}); err != nil {
		t.Fatal(err)
	}
	eventually(t, "the standby's candidate on eu-2", func() bool { return len(eu2.Candidates(sb.Session)) == 1 })

	// The attack: another connection activates this page's standby.
	if err := other.Send(signaling.Message{Type: signaling.TypeActivate, Session: sb.Session}); err != nil {
		t.Fatal(err)
	}
	if m, err := other.Await(ctx, signaling.TypeError); err != nil || m.Code != api.CodeForbidden {
		t.Fatalf("activating another's standby: %+v, %v; want forbidden", m, err)
	}
	if err := p.Send(signaling.Message{Type: signaling.TypeActivate, Session: sb.Session}); err != nil {
		t.Fatal(err)
	}
	act, err := p.Await(ctx, signaling.TypeActivated, signaling.TypeError)
	if err != nil || act.Type != signaling.TypeActivated || act.Session != sb.Session || act.Edge != "eu-2" {
		t.Fatalf("activate: %+v, %v; want activated on eu-2", act, err)
	}
	eventually(t, "the replaced session ended on eu-1", func() bool { return slices.Contains(eu1.Deleted(), joined.Session) })
	// Activating twice: the standby is the session now.
	if err := p.Send(signaling.Message{Type: signaling.TypeActivate, Session: sb.Session}); err != nil {
		t.Fatal(err)
	}
	if m, err := p.Await(ctx, signaling.TypeError); err != nil || m.Code != api.CodeForbidden {
		t.Fatalf("second activation: %+v, %v; want forbidden", m, err)
	}
	// A new standby avoids the serving edge, now eu-2; a leave marked
	// standby ends it alone, and the page may ask again.
	if err := p.Send(standbyJoin); err != nil {
		t.Fatal(err)
	}
	sb1, err := p.Await(ctx, signaling.TypeJoined, signaling.TypeError)
	if err != nil || !sb1.Standby || sb1.Edge != "eu-1" {
		t.Fatalf("standby after activation: %+v, %v; want one on eu-1", sb1, err)
	}
	if err := p.Send(signaling.Message{Type: signaling.TypeLeave, Standby: true}); err != nil {
		t.Fatal(err)
	}
	eventually(t, "the standby ended by its leave", func() bool { return slices.Contains(eu1.Deleted(), sb1.Session) })
	if slices.Contains(eu2.Deleted(), sb.Session) {
		t.Fatal("a leave marked standby ended the session too")
	}
	// Another, which a rejoin ends.
	if err := p.Send(standbyJoin); err != nil {
		t.Fatal(err)
	}
	sb2, err := p.Await(ctx, signaling.TypeJoined, signaling.TypeError)
	if err != nil || !sb2.Standby || sb2.Edge != "eu-1" {
		t.Fatalf("standby after a leave: %+v, %v; want one on eu-1", sb2, err)
	}
	if _, err := p.JoinAndWait(ctx, player.Join{Title: "rocks", Exclude: []string{"eu-2"}}); err != nil {
		t.Fatal(err)
	}
	eventually(t, "the standby ended by the rejoin", func() bool { return slices.Contains(eu1.Deleted(), sb2.Session) })
	if err := p.Leave(); err != nil {
		t.Fatal(err)
	}
	eventually(t, "the activated session ended by the rejoin", func() bool { return slices.Contains(eu2.Deleted(), sb.Session) })
}
