package main

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"sync"
	"syscall"
	"time"
)

// A service is what a long-running command runs: the all-in-one stack, an
// edge node or a signaling node.
//
// Drain is apart from Run so that cancelling Run's context (what the tests
// do) closes at once, while a command drains first on its first signal.
type service interface {
	// Run serves until ctx ends or a server fails, then closes.
	Run(ctx context.Context) error
	// Drain hands over what can be handed over gracefully while Run still
	// serves (an edge moves its players to other edges), until done or ctx
	// ends.
	Drain(ctx context.Context)
	// Kill ends at once what must not outlive the process even when it
	// exits without closing: an edge's games.
	Kill()
}

// runUntilSignal runs s until the first SIGINT or SIGTERM, then drains and
// closes it. A second signal exits at once, after s.Kill.
func runUntilSignal(log *slog.Logger, s service) error {
	signalled, stopWatching := watchSignals(log, s.Kill)
	defer stopWatching()
	ctx, stop := context.WithCancel(context.Background())
	defer stop()
	// ended is cancelled once Run has returned err.
	ended, markEnded := context.WithCancel(context.Background())
	var err error
	go func() {
		defer markEnded()
		err = s.Run(ctx)
	}()
	select {
	case <-ended.Done():
		return err
	case <-signalled.Done():
	}
	// Once Run has ended (a server failed) nothing answers the players
	// any more, so the drain has nothing left to hand over through.
	s.Drain(ended)
	stop()
	<-ended.Done()
	return err
}

// watchSignals returns a context cancelled at the first SIGINT or SIGTERM.
// At the second, kill runs and the process exits with status 1. stop ends
// the watching and its goroutine.
func watchSignals(log *slog.Logger, kill func()) (signalled context.Context, stop func()) {
	ch := make(chan os.Signal, 2)
	signal.Notify(ch, os.Interrupt, syscall.SIGTERM)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		select {
		case s := <-ch:
			log.Info("shutting down; signal again to exit at once", "signal", s.String())
			cancel()
		case <-done:
			return
		}
		select {
		case <-ch:
			log.Warn("exiting at once")
			kill()
			os.Exit(1)
		case <-done:
		}
	}()
	return ctx, func() {
		signal.Stop(ch)
		close(done)
		wg.Wait()
		cancel()
	}
}

// servers are a service's HTTP servers, each serving its listener from the
// moment it is added, so that a service answers as soon as it is built.
type servers struct {
	list []*http.Server
	// failed carries the first failure: Serve returns before Shutdown
	// only when it fails.
	failed chan error
	// serving counts the Serve goroutines; shutdown waits for them.
	serving sync.WaitGroup
}

func (s *servers) serve(srv *http.Server, ln net.Listener) {
	if s.failed == nil {
		s.failed = make(chan error, 1)
	}
	s.list = append(s.list, srv)
	s.serving.Add(1)
	go func() {
		defer s.serving.Done()
		if err := srv.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
			select {
			case s.failed <- err:
			default: // one failure is enough to end the service
			}
		}
	}()
}

// wait blocks until ctx ends (nil) or a server fails (its error).
func (s *servers) wait(ctx context.Context) error {
	select {
	case <-ctx.Done():
		return nil
	case err := <-s.failed:
		return err
	}
}

// shutdown stops the servers, the last added first, giving requests in
// flight 5 s in all to finish. Safe to call twice.
func (s *servers) shutdown() {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	for i := len(s.list) - 1; i >= 0; i-- {
		s.list[i].Shutdown(ctx)
	}
	// Serve returns at once after Shutdown (or Close) has stopped its
	// listener.
	s.serving.Wait()
}
