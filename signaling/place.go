package signaling

import (
	"context"
	"net/http"
	"sync"
	"time"

	"stratus/cluster"
	"stratus/edge/api"
	"stratus/signaling/route"
	"stratus/trust"
)

const (
	// maxAttempts bounds how many edges one join tries before giving up.
	maxAttempts = 3
	// warmUp is how long after start a node waits for gossip before it
	// tells a player there is no edge at all.
	warmUp = 5 * time.Second
)

// edgeFeed is the placer's view of the edges: an edgeView that may lag the
// edges themselves. Refresh may be called from any goroutine at once; it
// brings a view that lags (one that polls) up to date before it returns,
// or when ctx ends, and returns at once from a view that is told of every
// change (gossip).
type edgeFeed interface {
	edgeView
	edgeTracker
	Refresh(ctx context.Context)
}

// placer starts players' sessions: it tries the edges the chooser ranks,
// best first, on the edge API until one admits the player. It is safe for
// concurrent use.
type placer struct {
	edges   edgeFeed
	choice  *chooser
	clients *edgeClients
	// refusals is told of every edge that refuses a join as full while
	// this node's view gave it room; nil without a registry.
	refusals *refusalBook
	started  time.Time
}

func newPlacer(edges edgeFeed, choice *chooser, clients *edgeClients, refusals *refusalBook) *placer {
	return &placer{edges: edges, choice: choice, clients: clients, refusals: refusals, started: time.Now()}
}

// placement is a started session.
type placement struct {
	resp   api.CreateResponse
	client *api.Client
}

// place starts a session on the best edge that admits the player, trying
// the next ones when an edge is full, draining, unreachable or without the
// title (gossip may be a moment behind an edge that restarted, or one
// whose operator removed the game). The edge is the authority on its slots
// (admission is atomic there); the reservation here only spreads players
// before gossip reports the new counts. status is called with each edge
// before it is asked; create is what each is asked, but for the title,
// which is req's.
func (p *placer) place(ctx context.Context, req route.Request, create api.CreateRequest, status func(edge string)) (placement, route.Decision, error) {
	return p.placeAs(ctx, req, create, status, false)
}

// placeStandby is place for a standby (standby.go): the edges are asked
// for one on /v1/standbys, and since a standby takes no slot, it counts
// against none here and an edge that refuses it as full has not lied about
// its free slots.
func (p *placer) placeStandby(ctx context.Context, req route.Request, create api.CreateRequest) (placement, route.Decision, error) {
	return p.placeAs(ctx, req, create, func(string) {}, true)
}

func (p *placer) placeAs(ctx context.Context, req route.Request, create api.CreateRequest, status func(edge string), standby bool) (placement, route.Decision, error) {
	create.Title = req.Title
	req.TopK = maxAttempts
	// Refusals judged since the last join move their edges before this
	// one is decided.
	p.refusals.settle()
	d, err := p.decide(ctx, req)
	if err != nil {
		return placement{}, d, err
	}
	if d.Winner == "" {
		return placement{}, d, api.Errorf(d.Code, "%s", d.Why)
	}
	var lastErr error
	tried := 0
	for _, c := range d.Candidates {
		if !c.Eligible || tried == maxAttempts {
			break
		}
		tried++
		meta, ok := p.choice.metaOf(c.Edge)
		if !ok {
			continue // gone from the view since the decision
		}
		pl, err := p.try(ctx, c.Edge, meta, create, status, standby)
		if err == nil {
			return pl, d, nil
		}
		lastErr = err
		ae, _ := api.AsError(err)
		if ae == nil {
			continue
		}
		switch ae.Code {
		case api.CodeNoEdge:
			p.choice.failed(c.Edge)
		case api.CodeEdgeFull:
			if standby {
				break
			}
			// c.Free is what gossip advertised less what this node had
			// in flight there: room the edge claimed and then refused.
			p.refusals.refused(c.Edge, c.Free)
		case api.CodeDraining, api.CodeUnknownTitle:
		default:
			// The player's request is at fault (bad offer, bad resume
			// token): every edge would say the same.
			return placement{}, d, err
		}
	}
	if lastErr == nil {
		lastErr = api.Errorf(api.CodeEdgeFull, "%s", d.Why)
	}
	return placement{}, d, lastErr
}

// decide ranks the edges for a join, giving a node that has just started,
// or a view a poll behind, the moment they need.
func (p *placer) decide(ctx context.Context, req route.Request) (route.Decision, error) {
	d := p.choice.decide(req)
	// A node that has just started may not have heard of any edge yet;
	// gossip fills its view within a second or two.
	for d.Code == api.CodeNoEdge && time.Since(p.started) < warmUp {
		select {
		case <-ctx.Done():
			return d, ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
		d = p.choice.decide(req)
	}
	// A polled view is up to a poll behind its edges: a title a studio has
	// just published may be playable already. Look once more.
	if d.Code == api.CodeUnknownTitle {
		p.edges.Refresh(ctx)
		d = p.choice.decide(req)
	}
	return d, nil
}

// try asks one edge, as meta describes it, to start the session, counting
// the join against its slots while it is in flight and, once admitted,
// until gossip counts it.
func (p *placer) try(ctx context.Context, edge string, meta cluster.Meta, req api.CreateRequest, status func(edge string), standby bool) (placement, error) {
	cl, err := p.clients.get(edge, meta.API)
	if err != nil {
		return placement{}, err
	}
	if standby {
		resp, err := cl.CreateStandby(ctx, req)
		if err != nil {
			return placement{}, err
		}
		return placement{resp: resp, client: cl}, nil
	}
	status(edge)
	p.choice.reserve(edge, 1)
	resp, err := cl.CreateSession(ctx, req)
	p.choice.reserve(edge, -1)
	if err != nil {
		return placement{}, err
	}
	p.choice.placed(edge, meta.Version)
	return placement{resp: resp, client: cl}, nil
}

// edgeClients keeps one API client per edge URL, shared by placement and
// the fan-out queries so that their connections are reused. It is safe for
// concurrent use.
type edgeClients struct {
	// ticketKey signs each call with a ticket for that edge and call
	// (trust.Ticket). Without one (a node without gossip, hence without
	// the cluster key), calls carry the operator's token where this node
	// has one, and nothing otherwise, for edges whose API is open.
	ticketKey []byte
	hc        *http.Client
	mu        sync.Mutex
	m         map[string]*api.Client // by edge name and URL
}

func newEdgeClients(ticketKey []byte, operator trust.Token) *edgeClients {
	c := &edgeClients{ticketKey: ticketKey, m: map[string]*api.Client{}}
	if ticketKey == nil && operator != "" {
		c.hc = &http.Client{Timeout: 10 * time.Second, Transport: trust.BearerTransport{Token: operator}}
	}
	return c
}

// get returns the client for the edge named name whose API is at url.
func (c *edgeClients) get(name, url string) (*api.Client, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	k := name + " " + url
	if cl, ok := c.m[k]; ok {
		return cl, nil
	}
	cl, err := api.NewClient(url, c.hc)
	if err != nil {
		return nil, err
	}
	if key := c.ticketKey; key != nil {
		cl.SignWith(func(method, path, subject string) string {
			return trust.SignTicket(key, name, method, path, subject, time.Now())
		})
	}
	c.m[k] = cl
	return cl, nil
}
