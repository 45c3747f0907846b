package edge

import (
	"context"
	"errors"
	"time"

	"stratus/input"
)

// Drain takes the edge out of service without hurting anyone: it admits no
// new player, asks every page to move (each rejoins through signaling, which
// places it elsewhere, resuming from its latest snapshot), and waits until
// the sessions are gone or ctx ends; sessions left after DrainTimeout are
// ended. Safe to call more than once.
func (e *Edge) Drain(ctx context.Context) error {
	e.mu.Lock()
	first := !e.draining
	e.draining = true
	n := len(e.sessions)
	e.mu.Unlock()
	if first {
		e.log.Info("draining", "sessions", n)
		e.publish()
	}
	ctx, cancel := context.WithTimeout(ctx, e.cfg.DrainTimeout)
	defer cancel()
	t := time.NewTicker(50 * time.Millisecond)
	defer t.Stop()
	for i := 0; ; i++ {
		if e.Status().Active == 0 {
			e.log.Info("drained")
			return nil
		}
		// Ask again every second: a page that was reconnecting may have
		// missed the first request.
		if i%20 == 0 {
			e.askToMove()
		}
		select {
		case <-ctx.Done():
			e.mu.Lock()
			for _, r := range e.sessions {
				if s := r.sess.Load(); s != nil {
					s.Stop(errors.New("edge drained"))
				}
			}
			e.mu.Unlock()
			return ctx.Err()
		case <-t.C:
		}
	}
}

// askToMove tells every page to rejoin elsewhere, with the latest saved
// state of its game.
func (e *Edge) askToMove() {
	e.mu.Lock()
	defer e.mu.Unlock()
	for _, r := range e.sessions {
		m := input.Control{Type: input.ControlMove, Reason: "edge " + e.cfg.Name + " is going out of service"}
		if st := r.snapshot.Load(); st != nil {
			m.Token = sealState(e.stateKey, r.title, time.Now(), *st)
		}
		r.peer.SendText(m.Text())
	}
}

// Draining reports whether Drain was called.
func (e *Edge) Draining() bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.draining
}
