package signaling_test

import (
	"testing"
	"time"

	"stratus/internal/edgenet"
	"stratus/internal/player"
	"stratus/signaling"
	"stratus/trust/resume"
)

// TestResumeSpentOnceAcrossEdges: a resume token copied from one page to
// another is not resumed twice, whichever edge the second join lands on,
// while the page that spent it may use it again (a failover) and its next
// save works anywhere.
func TestResumeSpentOnceAcrossEdges(t *testing.T) {
	noLeaks(t)
	key := []byte("resume key of the test cluster, 32b")
	net := edgenet.New()
	e := net.Start(edgenet.EdgeConfig{Name: "eu-1", Region: "eu", Capacity: 100})
	n := newNode(t, net, func(c *signaling.Config) { c.ResumeKey = key })
	l := resume.NewLineage()
	first := resume.Seal(key, "rocks", l, 1, time.Now(), []byte(`{"score":10}`))
	next := resume.Seal(key, "rocks", l, 2, time.Now(), []byte(`{"score":20}`))

	join := func(p *player.Player, tok string) {
		t.Helper()
		if err := p.Send(signaling.Message{Type: signaling.TypeJoin, Title: "rocks", SDP: "v=0 (fake offer)", Resume: tok}); err != nil {
			t.Fatal(err)
		}
		if m, err := p.Answer(wait(t)); err != nil || m.Type != signaling.TypeJoined {
			t.Fatalf("join: %+v %v", m, err)
		}
	}
	dialFrom := func(ip string) *player.Player {
		p, err := dialAs(t, n, ip)
		if err != nil {
			t.Fatal(err)
		}
		return p
	}
	alice, mallory, carol := dialFrom(""), dialFrom(otherIP), dialFrom("127.0.0.3")
	steps := []struct {
		name       string
		p          *player.Player
		token      string
		wantResume bool
	}{
		{"alice resumes", alice, first, true},
		{"mallory replays alice's token", mallory, first, false},
		{"alice rejoins with it (failover)", alice, first, true},
		{"alice's next save, from another page", carol, next, true},
	}
	for i, s := range steps {
		join(s.p, s.token)
		got := e.Creates()[i].Resume != ""
		t.Logf("%s: the edge got a resume token: %v", s.name, got)
		if got != s.wantResume {
			t.Fatalf("%s: resume passed on %v, want %v", s.name, got, s.wantResume)
		}
	}
}
