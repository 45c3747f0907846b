package edge

import (
	"testing"
	"time"

	"stratus/input"
)

// TestStatsCarryTheRung: the page's stats reports name the quality rung,
// which the overlay shows. With no congestion estimate yet, a session
// plays the title's full picture.
func TestStatsCarryTheRung(t *testing.T) {
	_, c, _ := newTestEdge(t, 1)
	p := joinPlayer(t, c)
	deadline := time.After(10 * time.Second)
	for {
		select {
		case m := <-p.controls:
			if m.Type != input.ControlStats || m.EdgeStats == nil {
				continue
			}
			if got := m.EdgeStats.Rung; got != "720p60" {
				t.Fatalf("stats name rung %q, want 720p60, the test pattern's own", got)
			}
			return
		case <-deadline:
			t.Fatal("no stats report within 10 s")
		}
	}
}
