package edge

import (
	"net/http"
	"time"
)

// handleProbe answers the player's RTT probe. The page fetches it a few
// times before joining and keeps the smallest time; CORS and
// Timing-Allow-Origin let a page from any signaling node read the timing.
func (e *Edge) handleProbe(w http.ResponseWriter, r *http.Request) {
	if d := e.cfg.ProbeDelay; d > 0 {
		t := time.NewTimer(d)
		select {
		case <-t.C:
		case <-r.Context().Done():
			t.Stop()
			return
		}
	}
	h := w.Header()
	h.Set("Access-Control-Allow-Origin", "*")
	h.Set("Timing-Allow-Origin", "*")
	h.Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusNoContent)
}
