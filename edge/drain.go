package edge

import (
	"context"
	"errors"
	"time"
)

// moveEvery is how often a drain asks the pages again to move: a page that
// was reconnecting may have missed the first request.
const moveEvery = time.Second

// Drain takes the edge out of service without hurting anyone: it admits no
// new player, asks every page to move (each rejoins through signaling, which
// places it elsewhere, resuming from its latest snapshot), and waits until
// the sessions are gone or ctx ends; sessions left after DrainTimeout are
// ended. Safe to call more than once.
func (e *Edge) Drain(ctx context.Context) error {
	e.beginDrain()
	return e.awaitDrain(ctx)
}

// startDrain drains in the background, for the edge API: the operator's
// call returns at once and /v1/status shows the progress. The wait belongs
// to the edge and ends with it.
func (e *Edge) startDrain() {
	e.beginDrain()
	e.tasks.start(func(ctx context.Context) { e.awaitDrain(ctx) })
}

// beginDrain closes admission, and says so once.
func (e *Edge) beginDrain() {
	if e.admit.drain() {
		// Standbys are refused while draining; those held go, so that
		// their pages find another edge for them.
		e.closeStandbys(false, "edge draining")
		e.log.Info("draining", "sessions", e.sessions.len())
		e.publish()
	}
}

// awaitDrain asks the pages to move every moveEvery until admission says
// the last session has gone, or ends those left when ctx or DrainTimeout
// ends. An undrain ends it, leaving the sessions alone.
func (e *Edge) awaitDrain(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, e.cfg.DrainTimeout)
	defer cancel()
	t := time.NewTicker(moveEvery)
	defer t.Stop()
	for {
		if !e.admit.isDraining() {
			return errUndrained
		}
		done := e.admit.done()
		select {
		case <-done:
			e.log.Info("drained")
			return nil
		default:
		}
		e.askToMove()
		select {
		case <-done:
		case <-t.C:
		case <-ctx.Done():
			if !e.admit.isDraining() {
				return errUndrained
			}
			e.sessions.stopAll("edge drained")
			return ctx.Err()
		}
	}
}

// errUndrained ends a drain that an undrain called off.
var errUndrained = errors.New("edge: the drain was called off")

// Undrain puts a draining edge back in service: it admits players again
// and stops asking its pages to move. It reports whether the edge was
// draining; an edge that is shutting down stays closed.
func (e *Edge) Undrain() bool {
	if !e.admit.undrain() {
		return false
	}
	e.log.Info("back in service (undrained)", "sessions", e.sessions.len())
	e.publish()
	return true
}

// askToMove tells every page to rejoin elsewhere.
func (e *Edge) askToMove() {
	for _, r := range e.sessions.list() {
		e.page.move(r)
	}
}

// Draining reports whether Drain was called.
func (e *Edge) Draining() bool { return e.admit.isDraining() }
