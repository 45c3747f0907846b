package signaling

import (
	"context"
	"sort"
	"sync"
	"time"

	"stratus/cluster"
	"stratus/edge/api"
	"stratus/signaling/route"
	"stratus/signaling/studio"
)

const (
	// suspectFor keeps an edge that failed a join out of this node's
	// choices; gossip declares a dead edge dead within a few seconds, and
	// this bridges the gap.
	suspectFor = 10 * time.Second
	// holdReservation counts a placed player against the edge's free slots
	// until gossip has had time to report the new count.
	holdReservation = 3 * time.Second
	// maxAttempts bounds how many edges one join tries before giving up.
	maxAttempts = 3
	// warmUp is how long after start a node waits for gossip before it
	// tells a player there is no edge at all.
	warmUp = 5 * time.Second
)

// placer chooses edges for players and starts their sessions there. It is
// safe for concurrent use.
type placer struct {
	dir     directory
	router  *route.Router
	region  string
	loc     *cluster.Location
	started time.Time

	mu       sync.Mutex
	clients  map[string]*api.Client // by API URL
	inflight map[string]int         // reservations by edge name
	held     map[string][]hold      // placed players gossip has not counted yet, by edge name
	suspect  map[string]time.Time   // edge name → until
}

// hold counts a player placed on an edge against its free slots until
// gossip reports the edge's new count: a metadata version newer than the
// one seen when the player was sent there (the edge publishes at once when
// it admits someone), or at the latest until the hold expires. Counting it
// longer would count it twice, and refuse players while the edge has room.
type hold struct {
	version uint64
	until   time.Time
}

func newPlacer(dir directory, router *route.Router, region string, loc *cluster.Location) *placer {
	return &placer{
		dir: dir, router: router, region: region, loc: loc, started: time.Now(),
		clients: map[string]*api.Client{}, inflight: map[string]int{}, held: map[string][]hold{}, suspect: map[string]time.Time{},
	}
}

// request builds a routing request from a join.
func (p *placer) request(title string, rtt map[string]float64, exclude []string) route.Request {
	req := route.Request{Title: title, Region: p.region, Location: p.loc, Exclude: exclude}
	if len(rtt) > 0 {
		req.RTT = make(map[string]time.Duration, len(rtt))
		for k, v := range rtt {
			req.RTT[k] = time.Duration(v * float64(time.Millisecond))
		}
	}
	return req
}

// decide ranks the edges for req, counting this node's reservations and
// suspicions.
func (p *placer) decide(req route.Request) route.Decision {
	return p.decideAmong(req, p.dir.Edges())
}

func (p *placer) decideAmong(req route.Request, edges []route.Edge) route.Decision {
	now := time.Now()
	p.mu.Lock()
	for i := range edges {
		edges[i].Reserved = p.inflight[edges[i].Name] + p.holding(edges[i].Name, edges[i].Meta.Version, now)
	}
	for name, hs := range p.held {
		// Holds are appended in time order: the newest expired, all did
		// (this also forgets edges that are gone).
		if !now.Before(hs[len(hs)-1].until) {
			delete(p.held, name)
		}
	}
	for name, until := range p.suspect {
		if now.After(until) {
			delete(p.suspect, name)
			continue
		}
		req.Exclude = append(req.Exclude, name)
	}
	p.mu.Unlock()
	return p.router.Decide(req, edges)
}

func (p *placer) client(url string) (*api.Client, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if c, ok := p.clients[url]; ok {
		return c, nil
	}
	c, err := api.NewClient(url, nil)
	if err != nil {
		return nil, err
	}
	p.clients[url] = c
	return c, nil
}

// holding counts the edge's holds still in force, dropping the others.
// p.mu is held.
func (p *placer) holding(edge string, version uint64, now time.Time) int {
	hs := p.held[edge]
	if len(hs) == 0 {
		return 0
	}
	n := 0
	for _, h := range hs {
		if h.version >= version && now.Before(h.until) {
			hs[n] = h
			n++
		}
	}
	if n == 0 {
		delete(p.held, edge)
	} else {
		p.held[edge] = hs[:n]
	}
	return n
}

func (p *placer) reserve(edge string, d int) {
	p.mu.Lock()
	p.inflight[edge] += d
	if p.inflight[edge] <= 0 {
		delete(p.inflight, edge)
	}
	p.mu.Unlock()
}

// placement is a started session.
type placement struct {
	resp   api.CreateResponse
	client *api.Client
}

// place starts a session on the best edge that admits the player, trying
// the next ones when an edge is full, draining, unreachable or without the
// title (gossip may be a moment behind an edge that restarted, or one
// whose operator removed the game). The edge is
// the authority on its slots (admission is atomic there); the reservation
// here only spreads players before gossip reports the new counts.
func (p *placer) place(ctx context.Context, req route.Request, offer, resume string, status func(edge string)) (placement, route.Decision, error) {
	req.TopK = maxAttempts
	d := p.decide(req)
	// A node that has just started may not have heard of any edge yet;
	// gossip fills its view within a second or two.
	for d.Code == api.CodeNoEdge && time.Since(p.started) < warmUp {
		select {
		case <-ctx.Done():
			return placement{}, d, ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
		d = p.decide(req)
	}
	// A polled directory is up to a poll behind its edges: a title a studio
	// has just published may be playable already. Look once more.
	if r, ok := p.dir.(refresher); ok && d.Code == api.CodeUnknownTitle {
		r.refresh(ctx)
		d = p.decide(req)
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
		meta, ok := p.metaOf(c.Edge)
		if !ok {
			continue
		}
		cl, err := p.client(meta.API)
		if err != nil {
			lastErr = err
			continue
		}
		status(c.Edge)
		p.reserve(c.Edge, 1)
		resp, err := cl.CreateSession(ctx, api.CreateRequest{Title: req.Title, Offer: offer, Resume: resume})
		p.reserve(c.Edge, -1)
		if err == nil {
			p.mu.Lock()
			p.held[c.Edge] = append(p.held[c.Edge], hold{version: meta.Version, until: time.Now().Add(holdReservation)})
			p.mu.Unlock()
			return placement{resp: resp, client: cl}, d, nil
		}
		lastErr = err
		ae, _ := api.AsError(err)
		if ae == nil {
			continue
		}
		switch ae.Code {
		case api.CodeNoEdge:
			p.mu.Lock()
			p.suspect[c.Edge] = time.Now().Add(suspectFor)
			p.mu.Unlock()
		case api.CodeEdgeFull, api.CodeDraining, api.CodeUnknownTitle:
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

func (p *placer) metaOf(name string) (cluster.Meta, bool) {
	for _, e := range p.dir.Edges() {
		if e.Name == name {
			return e.Meta, true
		}
	}
	return cluster.Meta{}, false
}

// probes picks the edges a page should measure: the best few by the
// node's own estimate, at most two per region so that near and far regions
// are both measured.
func (p *placer) probes(title string) []Probe {
	req := route.Request{Title: title, Region: p.region, Location: p.loc}
	edges := p.dir.Edges()
	if title == "" {
		// The greeting comes before the page names its title, and the
		// router finds no edge for no title: rank every edge as if it
		// offered the title.
		const anyTitle = "\x00any"
		req.Title = anyTitle
		for i := range edges {
			edges[i].Meta.Titles, edges[i].Meta.TitlesDigest = []string{anyTitle}, ""
		}
	}
	d := p.decideAmong(req, edges)
	perRegion := map[string]int{}
	var out []Probe
	for _, c := range d.Candidates {
		if !c.Eligible || perRegion[c.Region] == 2 || len(out) == MaxProbes {
			continue
		}
		if meta, ok := p.metaOf(c.Edge); ok && meta.Probe != "" {
			perRegion[c.Region]++
			out = append(out, Probe{Edge: c.Edge, Region: c.Region, URL: meta.Probe})
		}
	}
	return out
}

// sessions lists the sessions of every edge this node knows, asking them
// all at once.
func (p *placer) sessions(ctx context.Context) []api.SessionInfo {
	var mu sync.Mutex
	out := []api.SessionInfo{}
	p.askEdges(func(_ route.Edge, cl *api.Client) {
		ss, err := cl.Sessions(ctx)
		if err != nil {
			return
		}
		mu.Lock()
		out = append(out, ss...)
		mu.Unlock()
	})
	sort.Slice(out, func(i, j int) bool { return out[i].Started.Before(out[j].Started) })
	for i := range out {
		out[i].Stats = nil
	}
	return out
}

// titles lists what the known edges offer: each title once, described by
// the first edge that answers for it.
func (p *placer) titles(ctx context.Context) ([]api.Title, error) {
	seen := map[string]bool{}
	var out []api.Title
	var lastErr error
	for _, e := range p.dir.Edges() {
		missing := false
		for _, id := range e.Meta.Titles {
			if !seen[id] {
				missing = true
			}
		}
		if !missing && e.Meta.TitlesDigest == "" {
			continue
		}
		cl, err := p.client(e.Meta.API)
		if err != nil {
			continue
		}
		ts, err := cl.Titles(ctx)
		if err != nil {
			lastErr = err
			continue
		}
		for _, t := range ts {
			if !seen[t.ID] {
				seen[t.ID] = true
				out = append(out, t)
			}
		}
	}
	if out == nil && lastErr != nil {
		return nil, lastErr
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out, nil
}

// edgeReports asks every known edge, at once, what it says of each title
// in its catalog: which it can run, and why not the others. Edges that do
// not answer in time are left out.
func (p *placer) edgeReports(ctx context.Context) map[string][]studio.EdgeStatus {
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	var mu sync.Mutex
	out := map[string][]studio.EdgeStatus{}
	p.askEdges(func(e route.Edge, cl *api.Client) {
		ts, err := cl.AllTitles(ctx)
		if err != nil {
			return
		}
		mu.Lock()
		defer mu.Unlock()
		for _, t := range ts {
			out[t.ID] = append(out[t.ID], studio.EdgeStatus{Edge: e.Name, Region: e.Meta.Region, Version: t.Version, Runnable: t.Runnable, Reason: t.Reason})
		}
	})
	for _, list := range out {
		sort.Slice(list, func(i, j int) bool { return list[i].Edge < list[j].Edge })
	}
	return out
}

// askEdges calls ask for every edge this node knows, each on its own
// goroutine, and returns when all have returned.
func (p *placer) askEdges(ask func(e route.Edge, cl *api.Client)) {
	var wg sync.WaitGroup
	for _, e := range p.dir.Edges() {
		cl, err := p.client(e.Meta.API)
		if err != nil {
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			ask(e, cl)
		}()
	}
	wg.Wait()
}
