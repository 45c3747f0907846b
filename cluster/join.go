package cluster

import (
	"errors"
	"math/rand/v2"
	"time"
)

// Join retry pacing: quick at first (seeds usually start together and one
// is merely a little later), then no more than one try per 15 s per node.
const (
	joinBackoffMin = 200 * time.Millisecond
	joinBackoffMax = 15 * time.Second
)

// joinLoop owns the joining: it tries the seeds whenever this node knows no
// other member (at start, and again if every peer was lost, say to a
// partition), with jittered exponential backoff. It ends with Leave or
// Close; an attempt in flight then finishes first, which takes at most the
// profile's TCP timeout when a seed does not answer.
func (p *Pool) joinLoop() {
	backoff := joinBackoffMin
	// Warn on the first failure, then at most every 30 s: a seed that is
	// down for an hour should not fill the log.
	warn := newLimiter(1.0/30, 1)
	for {
		select {
		case <-p.stop:
			return
		default:
		}
		if p.view.others() > 0 {
			backoff = joinBackoffMin
			select {
			case <-p.stop:
				return
			case <-p.view.alone:
			}
			continue
		}

		p.joinAttempts.Add(1)
		contacted, err := p.ml.Join(p.cfg.Join)
		if err == nil && p.view.others() == 0 {
			// The seeds were only this node, or they answered alone too.
			err = errors.New("seeds reached but no other member known yet")
		}
		if err == nil {
			p.log.Info("gossip: joined pool", "seeds_contacted", contacted, "members", p.view.count())
			continue
		}
		p.joinFailures.Add(1)
		msg := err.Error()
		p.lastJoinErr.Store(&msg)
		args := []any{"err", err, "seeds", p.cfg.Join, "attempt", p.joinAttempts.Load(), "retry_in", backoff.Round(time.Millisecond)}
		if ok, _ := warn.allow(time.Now()); ok {
			p.log.Warn("gossip: cannot join pool yet (wrong key, wrong pool or seeds down?); retrying", args...)
		} else {
			p.log.Debug("gossip: join failed; retrying", args...)
		}

		t := time.NewTimer(jitter(backoff))
		select {
		case <-p.stop:
			t.Stop()
			return
		case <-t.C:
		}
		backoff = min(2*backoff, joinBackoffMax)
	}
}

// jitter spreads d over ±20 % so nodes started together do not retry in step.
func jitter(d time.Duration) time.Duration {
	return time.Duration(float64(d) * (0.8 + 0.4*rand.Float64()))
}
