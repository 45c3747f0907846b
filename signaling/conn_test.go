package signaling_test

import (
	"encoding/json"
	"errors"
	"io"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"stratus/edge/api"
	"stratus/internal/edgenet"
	"stratus/internal/player"
	"stratus/signaling"
)

func TestBadMessages(t *testing.T) {
	noLeaks(t)
	net := edgenet.New()
	net.Start(edgenet.EdgeConfig{Name: "eu-1", Region: "eu"})
	p := dial(t, newNode(t, net))
	sdpMid := "0"
	candidate, _ := json.Marshal(signaling.Message{Type: signaling.TypeCandidate, Candidate: &signaling.Candidate{Candidate: "candidate:1 1 udp 1 127.0.0.1 9 typ host", SDPMid: &sdpMid}})
	tests := []struct {
		name string
		kind int
		data string
		code string
	}{
		{"not JSON", websocket.TextMessage, "}{", api.CodeBadMessage},
		{"binary", websocket.BinaryMessage, `{"type":"titles"}`, api.CodeBadMessage},
		{"unknown type", websocket.TextMessage, `{"type":"reboot"}`, api.CodeBadMessage},
		{"join without an offer", websocket.TextMessage, `{"type":"join","title":"rocks"}`, api.CodeBadMessage},
		{"oversized", websocket.TextMessage, `{"type":"join","title":"rocks","sdp":"` + strings.Repeat("x", signaling.MaxMessageBytes) + `"}`, api.CodeTooLarge},
		{"candidate before join", websocket.TextMessage, string(candidate), api.CodeNotJoined},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := p.SendRaw(tt.kind, []byte(tt.data)); err != nil {
				t.Fatal(err)
			}
			m, err := p.Next(wait(t))
			if err != nil {
				t.Fatal(err)
			}
			if m.Type != signaling.TypeError || m.Code != tt.code || m.Message == "" {
				t.Fatalf("answer %+v, want error %s", m, tt.code)
			}
		})
	}
	// Still serving after all that.
	m, err := p.JoinAndWait(wait(t), player.Join{Title: "rocks"})
	if err != nil || m.Type != signaling.TypeJoined {
		t.Fatalf("join after bad messages: %+v, %v", m, err)
	}
	// Beyond the read limit the node hangs up, perhaps before the message
	// is all sent.
	p.SendRaw(websocket.TextMessage, make([]byte, 2<<20))
	if _, err := p.Await(wait(t)); !errors.Is(err, io.EOF) {
		t.Fatalf("after a message over the read limit: %v, want the socket closed", err)
	}
}

// TestCandidateBeforeAnswer: candidates the player trickles before its join
// is answered reach the session the join starts, in order.
func TestCandidateBeforeAnswer(t *testing.T) {
	noLeaks(t)
	p, eu1, gate := joinHeld(t)
	var sent []string
	for i := range 3 {
		c := "candidate:" + string(rune('a'+i)) + " 1 udp 1 127.0.0.1 9 typ host"
		sent = append(sent, c)
		if err := p.Send(signaling.Message{Type: signaling.TypeCandidate, Candidate: &signaling.Candidate{Candidate: c}}); err != nil {
			t.Fatal(err)
		}
	}
	gate.Open()
	m, err := p.Answer(wait(t))
	if err != nil || m.Type != signaling.TypeJoined {
		t.Fatalf("answer %+v, %v", m, err)
	}
	var got []string
	eventually(t, "the candidates to reach the session", func() bool {
		got = got[:0]
		for _, c := range eu1.Candidates(m.Session) {
			if slices.Contains(sent, c.Candidate) {
				got = append(got, c.Candidate)
			}
		}
		return len(got) == len(sent)
	})
	if !slices.Equal(got, sent) {
		t.Errorf("candidates %v, want %v", got, sent)
	}
}

// TestLeaveDuringJoin: the node reads on while a join waits for its edge,
// and a leave sent meanwhile ends the session as soon as it exists.
func TestLeaveDuringJoin(t *testing.T) {
	noLeaks(t)
	p, eu1, gate := joinHeld(t)
	if err := p.Leave(); err != nil {
		t.Fatal(err)
	}
	// Answered while the join is still held: the reader is not stuck
	// behind it.
	if err := p.SendRaw(websocket.TextMessage, []byte("nonsense")); err != nil {
		t.Fatal(err)
	}
	m, err := p.Await(wait(t), signaling.TypeError, signaling.TypeJoined)
	if err != nil || m.Type != signaling.TypeError || m.Code != api.CodeBadMessage {
		t.Fatalf("answer to nonsense during a join: %+v, %v", m, err)
	}
	if d := eu1.Deleted(); len(d) != 0 {
		t.Fatalf("sessions ended before any exists: %v", d)
	}
	gate.Open()
	m, err = p.Answer(wait(t))
	if err != nil || m.Type != signaling.TypeJoined {
		t.Fatalf("answer %+v, %v", m, err)
	}
	eventually(t, "the session to be ended", func() bool { return slices.Equal(eu1.Deleted(), []string{m.Session}) })
}

// TestSessionEnds: a player's session ends when they join again and when
// their socket goes, but not when the node shuts down.
func TestSessionEnds(t *testing.T) {
	tests := []struct {
		name  string
		after func(t *testing.T, n *node, p *player.Player)
		ended bool
	}{
		{"rejoin", func(t *testing.T, n *node, p *player.Player) {
			if m, err := p.JoinAndWait(wait(t), player.Join{Title: "rocks"}); err != nil || m.Type != signaling.TypeJoined {
				t.Fatalf("rejoin: %+v, %v", m, err)
			}
		}, true},
		{"leave", func(t *testing.T, n *node, p *player.Player) { p.Leave() }, true},
		{"socket closed", func(t *testing.T, n *node, p *player.Player) { p.Close() }, true},
		{"node shut down", func(t *testing.T, n *node, p *player.Player) {
			n.Close()
			if _, err := p.Await(wait(t)); !errors.Is(err, io.EOF) {
				t.Fatalf("socket after shutdown: %v, want closed", err)
			}
			n.Close()
		}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			noLeaks(t)
			net := edgenet.New()
			eu1 := net.Start(edgenet.EdgeConfig{Name: "eu-1", Region: "eu"})
			n := newNode(t, net)
			p := dial(t, n)
			m, err := p.JoinAndWait(wait(t), player.Join{Title: "rocks"})
			if err != nil || m.Type != signaling.TypeJoined {
				t.Fatalf("join: %+v, %v", m, err)
			}
			tt.after(t, n, p)
			if tt.ended {
				eventually(t, "the session to be ended", func() bool { return slices.Contains(eu1.Deleted(), m.Session) })
				return
			}
			// Nothing is pending that could still end it: Close has waited
			// for the connection's goroutines.
			if d := eu1.Deleted(); len(d) != 0 {
				t.Errorf("sessions ended at shutdown: %v", d)
			}
		})
	}
}

// TestCloseDuringJoin: shutting down does not wait for a join in flight.
func TestCloseDuringJoin(t *testing.T) {
	noLeaks(t)
	net := edgenet.New()
	gate := edgenet.NewGate()
	net.Start(edgenet.EdgeConfig{Name: "eu-1", Region: "eu", Create: gate.Create})
	n := newNode(t, net)
	p := dial(t, n)
	if err := p.SendJoin(player.Join{Title: "rocks"}); err != nil {
		t.Fatal(err)
	}
	<-gate.Arrived()
	start := time.Now()
	n.Close()
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("Close took %v with a join in flight", d)
	}
	// Whatever came before, the socket then ends.
	for {
		if _, err := p.Next(wait(t)); err != nil {
			if !errors.Is(err, io.EOF) {
				t.Fatal(err)
			}
			break
		}
	}
	if resp, err := httpGet(n.URL + "/v1/ws"); err == nil && !strings.Contains(string(resp), "shutting down") {
		t.Errorf("a new socket after Close: %q", resp)
	}
}

// joinHeld has a player join through a node whose one edge holds the join
// at a gate, and returns once the join has reached it.
func joinHeld(t *testing.T) (*player.Player, *edgenet.Edge, *edgenet.Gate) {
	t.Helper()
	net := edgenet.New()
	gate := edgenet.NewGate()
	eu1 := net.Start(edgenet.EdgeConfig{Name: "eu-1", Region: "eu", Create: gate.Create})
	p := dial(t, newNode(t, net))
	if err := p.SendJoin(player.Join{Title: "rocks"}); err != nil {
		t.Fatal(err)
	}
	select {
	case <-gate.Arrived():
	case <-wait(t).Done():
		t.Fatal("the join never reached the edge")
	}
	return p, eu1, gate
}
