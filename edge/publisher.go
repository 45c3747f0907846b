package edge

import (
	"context"
	"log/slog"
	"time"

	"stratus/cluster"
)

// publishEvery bounds how stale the gossiped load may get between changes
// of admission, which are published at once.
const publishEvery = 2 * time.Second

// metaSource is the edge as the publisher sees it: its metadata as of now.
// meta is called from the publisher's goroutine, alongside everything else
// the edge does, so it must be safe for concurrent use.
type metaSource interface {
	meta() cluster.Meta
}

// metaSink is where the publisher gossips: the edge's gossip pool.
// SetMeta is only called from the publisher's goroutine.
type metaSink interface {
	SetMeta(cluster.Meta) error
}

// publisher gossips the edge's metadata when it changes, and at least
// every interval so that the load stays fresh; metadata the cluster
// already has is not sent again. Requests to publish never block: those
// made while one is pending merge into it, so a burst of joins costs one
// gossip round.
//
// publish is safe from any goroutine, and on a nil publisher (an edge
// without gossip) does nothing; run is called once, by the publisher's
// owner.
type publisher struct {
	src      metaSource
	sink     metaSink
	interval time.Duration
	log      *slog.Logger
	now      chan struct{} // one pending request at most
}

func newPublisher(src metaSource, sink metaSink, interval time.Duration, log *slog.Logger) *publisher {
	return &publisher{src: src, sink: sink, interval: interval, log: log, now: make(chan struct{}, 1)}
}

// publish asks for the metadata to be gossiped now.
func (p *publisher) publish() {
	if p == nil {
		return
	}
	select {
	case p.now <- struct{}{}:
	default:
	}
}

// run publishes until ctx ends. last is what the cluster has already.
func (p *publisher) run(ctx context.Context) {
	t := time.NewTicker(p.interval)
	defer t.Stop()
	last := p.src.meta()
	for {
		select {
		case <-ctx.Done():
			return
		case <-p.now:
		case <-t.C:
		}
		m := p.src.meta()
		if sameMeta(m, last) {
			continue
		}
		if err := p.sink.SetMeta(m); err != nil {
			p.log.Warn("gossip: publishing metadata", "err", err)
			continue
		}
		last = m
	}
}
