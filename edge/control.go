package edge

import (
	"errors"
	"log/slog"
	"time"

	"stratus/input"
	"stratus/session"
	"stratus/stream"
	"stratus/trust/resume"
)

// pageControl is what the edge tells each player's page on its input data
// channel: the game's saved state to resume from, the edge's side of the
// stats overlay, why a session ended, and a request to move to another
// edge. Messages to a page whose channel is not open are dropped, but for
// the end of a session, which is worth a short wait.
//
// It holds no state of its own and is safe for concurrent use.
type pageControl struct {
	name, region string // the edge's, shown to the player
	key          []byte // seals resume tokens
	log          *slog.Logger
}

// statsEvery is how often the edge tells the page its side of the session.
const statsEvery = time.Second

// snapshot sends the page the title's latest saved state, sealed.
func (c *pageControl) snapshot(r *running, state []byte) {
	r.peer.SendText(input.Control{Type: input.ControlSnapshot, Token: c.seal(r, state)}.Text())
}

// seal makes the next resume token of r's lineage.
func (c *pageControl) seal(r *running, state []byte) string {
	return resume.Seal(c.key, r.title, r.lineage, r.seq.Add(1), time.Now(), state)
}

// reportStats sends the session's edge-side figures to the page until the
// session ends, for the stats overlay.
func (c *pageControl) reportStats(r *running, s *session.Session) {
	t := time.NewTicker(statsEvery)
	defer t.Stop()
	for {
		select {
		case <-s.Done():
			return
		case <-t.C:
		}
		st, ps := s.Stats(), r.peer.Stats()
		msg := input.Control{Type: input.ControlStats, EdgeStats: &input.EdgeStats{
			Encoder: r.enc.Name(), Renderer: r.renderer, FPS: st.FPS,
			EncodeMs: st.EncodeMs, RenderMs: st.RenderMs, ConvertMs: st.ConvertMs,
			BitrateKbps: st.BitrateBps / 1000, TargetKbps: float64(st.TargetBitrate) / 1000,
			RTTMs: float64(ps.RTT) / 1e6, LossPct: 100 * ps.FractionLost,
			Skipped: st.Skipped, Edge: c.name, Region: c.region,
			NACKs: ps.NACKs, FECPackets: ps.FECPackets, FECOverheadPct: 100 * ps.FECOverhead,
			Rung: st.Rung,
		}}
		r.peer.SendText(msg.Text()) // dropped when the channel is not open
	}
}

// endedWait bounds the wait for the page's channel to open, when the game
// ended before the player was connected (it exited at once); endedFlush
// bounds the wait for the message to leave before the connection closes.
const (
	endedWait  = 5 * time.Second
	endedFlush = 500 * time.Millisecond
)

// ended sends the page why its session ended, so that it shows the reason
// instead of taking the closed connection for a failed edge.
func (c *pageControl) ended(r *running, reason error) {
	msg := input.Control{Type: input.ControlEnded, Reason: reason.Error()}.Text()
	deadline := time.Now().Add(endedWait)
	for {
		err := r.peer.SendText(msg)
		if err == nil {
			break
		}
		st := r.connState()
		if !errors.Is(err, stream.ErrNotOpen) || time.Now().After(deadline) || st == stream.StateFailed || st == stream.StateClosed {
			c.log.Info("could not tell the player the session ended", "session", r.id, "err", err)
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	r.peer.Flush(endedFlush)
}

// move asks the page to rejoin elsewhere, with the latest saved state of
// its game.
func (c *pageControl) move(r *running) {
	m := input.Control{Type: input.ControlMove, Reason: "edge " + c.name + " is going out of service"}
	if st := r.snapshot.Load(); st != nil {
		m.Token = c.seal(r, *st)
	}
	r.peer.SendText(m.Text())
}
