package signaling

import (
	"testing"
	"time"
)

// TestRefusalBook: refusals while an edge goes on advertising room
// convict it; refusals near a moment it advertised a full house are
// races; convictions lapse after the window.
func TestRefusalBook(t *testing.T) {
	type step struct {
		after  time.Duration // since the previous step
		full   bool          // gossip says the edge is full
		refuse bool          // the edge refuses a join it advertised room for
		// elsewhere are the ages of lies another node judged, heard of
		// now.
		elsewhere []time.Duration
		wantLied  int // counted refusals after settling
	}
	tests := []struct {
		name  string
		steps []step
	}{
		{"a liar is counted after the grace", []step{
			{refuse: true}, {after: refusalGrace / 2}, {after: refusalGrace, wantLied: 1},
			{refuse: true, wantLied: 1}, {refuse: true, wantLied: 1}, {after: refusalGrace, wantLied: 3},
		}},
		{"full just before the refusal is a race", []step{
			{full: true}, {after: time.Second, refuse: true}, {after: 2 * refusalGrace},
		}},
		{"full just after the refusal is a race", []step{
			{refuse: true}, {after: 200 * time.Millisecond, full: true}, {after: 2 * refusalGrace},
		}},
		{"full long before is no excuse", []step{
			{full: true}, {after: 2 * refusalGrace, refuse: true}, {after: 2 * refusalGrace, wantLied: 1},
		}},
		{"lies judged elsewhere count beside this node's", []step{
			{refuse: true}, {after: refusalGrace, elsewhere: []time.Duration{time.Minute}, wantLied: 2},
			{elsewhere: []time.Duration{2 * time.Minute}, wantLied: 3},
			{after: refusalWindow - 30*time.Second, wantLied: 1}, // the one judged here is the newest
		}},
		{"a lie elsewhere older than the window is not counted", []step{
			{elsewhere: []time.Duration{refusalWindow + time.Second}},
		}},
		{"counts lapse after the window", []step{
			{refuse: true}, {after: refusalGrace, wantLied: 1}, {after: refusalWindow},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			now := time.Unix(1_000_000, 0)
			lied, races, changes := 0, 0, 0
			b := newRefusalBook(func() time.Time { return now },
				func(edge string, _ time.Time, l bool) {
					if l {
						lied++
					} else {
						races++
					}
				},
				func(string) { changes++ })
			for i, s := range tt.steps {
				now = now.Add(s.after)
				if s.full {
					b.advertised("e", 0)
				}
				b.advertised("e", 3) // room is never a reason
				if s.refuse {
					b.refused("e", 2)
				}
				for _, age := range s.elsewhere {
					b.liedElsewhere("e", now.Add(-age))
				}
				b.settle()
				if got := b.counted("e"); got != s.wantLied {
					t.Fatalf("step %d: %d counted, want %d (lied %d, races %d)", i, got, s.wantLied, lied, races)
				}
			}
			t.Logf("lied %d, races %d, changes %d", lied, races, changes)
		})
	}
	var nilBook *refusalBook
	nilBook.refused("e", 1)
	nilBook.settle()
	nilBook.liedElsewhere("e", time.Now())
	if nilBook.counted("e") != 0 {
		t.Fatal("a nil book counted")
	}
}
