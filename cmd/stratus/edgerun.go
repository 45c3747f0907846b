package main

import (
	"context"
	"errors"
	"log/slog"

	"github.com/prometheus/client_golang/prometheus"

	"stratus/edge"
	"stratus/internal/priority"
	"stratus/title/builtin"
)

// runningEdge is an edge with the games it runs, as both the all-in-one
// stack and the edge command hold one: drained on the first signal, its
// games killed on the second.
type runningEdge struct {
	log  *slog.Logger
	edge *edge.Edge
	// endGames ends the games as the edge closes; killGames at once, when
	// the process must exit now.
	endGames  func() error
	killGames func()
}

// newRunningEdge builds an edge with the built-in titles and, when c's
// operator installed some (titles), process titles.
func newRunningEdge(c edge.Config, titles titleFlags, reg *prometheus.Registry, log *slog.Logger) (*runningEdge, error) {
	builtins, err := builtin.Catalog()
	if err != nil {
		return nil, err
	}
	setNice(c.Nice, log)
	endGames, killGames, err := titles.runtime(&c, log)
	if err != nil {
		return nil, err
	}
	e, err := edge.New(c, builtins, reg, log)
	if err != nil {
		endGames()
		return nil, err
	}
	return &runningEdge{log: log, edge: e, endGames: endGames, killGames: killGames}, nil
}

// Drain moves the players to other edges while the edge API still
// answers: their pages rejoin through signaling, which asks this edge for
// their state.
func (r *runningEdge) Drain(ctx context.Context) {
	if err := r.edge.Drain(ctx); err != nil {
		r.log.Warn("drain ended early", "err", err)
	}
}

// Kill ends the games at once.
func (r *runningEdge) Kill() { r.killGames() }

// close ends the sessions, leaves the gossip pool and ends the games.
func (r *runningEdge) close() error {
	return errors.Join(r.edge.Close(), r.endGames())
}

// setNice gives the process the edge's priority before the edge starts its
// sessions and titles, so that every thread they start inherits it. Failing
// is no reason to stop: the edge streams, with a longer tail under load.
func setNice(nice int, log *slog.Logger) {
	if nice == 0 {
		return
	}
	if err := priority.Set(nice); err != nil {
		log.Warn("could not set the edge's scheduling priority; frames may miss display refreshes on a busy machine (grant CAP_SYS_NICE, or -nice 0)", "nice", nice, "err", err)
		return
	}
	log.Debug("scheduling priority set", "nice", nice)
}
