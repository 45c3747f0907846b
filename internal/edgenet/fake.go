package edgenet

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"sync"
	"time"

	"stratus/cluster"
	"stratus/edge/api"
	"stratus/signaling/route"
)

// CreateFunc answers a join on a fake edge. It runs on the HTTP request's
// goroutine; ctx ends when the signaling node gives up on the request.
type CreateFunc func(ctx context.Context, e *Edge, req api.CreateRequest) (api.CreateResponse, error)

// EdgeConfig describes a fake edge.
type EdgeConfig struct {
	Name, Region string
	// Titles are listed by GET /v1/titles when Runnable, and all of them
	// by GET /v1/titles?all=1. Empty: one runnable title, "rocks".
	Titles []api.Title
	// Capacity and Free are the slots it reports and is listed with;
	// zero: 4 and 4.
	Capacity, Free int
	// Create answers joins; nil: Admit every one (but see Slots).
	Create CreateFunc
	// Slots makes the edge hold to its capacity, as a real one does: a
	// join beyond it is refused as edge_full, and each session started
	// or ended changes the free slots it is listed with (its version
	// bumped), as gossip reports them. Without Create only.
	Slots bool
	// Listing, when set, is called on each GET /v1/sessions before the
	// edge answers, on the request's goroutine: tests count and hold the
	// listings with it.
	Listing func(ctx context.Context)
}

// Title is a runnable title with the given id.
func Title(id string) api.Title {
	return api.Title{ID: id, Name: id, Inputs: []string{"keyboard"}, Width: 1280, Height: 720, FPS: 60, Runnable: true}
}

// Refuse is a CreateFunc that refuses every join with code.
func Refuse(code string) CreateFunc {
	return func(context.Context, *Edge, api.CreateRequest) (api.CreateResponse, error) {
		return api.CreateResponse{}, api.Errorf(code, "refused by the test")
	}
}

// Edge is a fake edge: the edge API on a loopback port, recording what it
// is asked. Its methods are safe for concurrent use.
type Edge struct {
	name, region string
	srv          *httptest.Server
	create       CreateFunc
	listing      func(ctx context.Context)
	closeOnce    sync.Once
	// net lists the edge; with slots, the edge keeps its listing's free
	// count current there.
	net   *Net
	slots bool

	mu         sync.Mutex
	status     api.Status
	titles     []api.Title
	creates    []api.CreateRequest
	standbys   []api.CreateRequest
	sessions   []api.SessionInfo
	admitted   int                        // sessions ever admitted
	candidates map[string][]api.Candidate // by session ID
	deleted    []string
}

// Start starts a fake edge and lists it, healthy, with its titles and
// free slots.
func (n *Net) Start(cfg EdgeConfig) *Edge {
	if len(cfg.Titles) == 0 {
		cfg.Titles = []api.Title{Title("rocks")}
	}
	if cfg.Capacity == 0 {
		cfg.Capacity = 4
	}
	if cfg.Free == 0 {
		cfg.Free = cfg.Capacity
	}
	e := &Edge{
		name: cfg.Name, region: cfg.Region, create: cfg.Create, listing: cfg.Listing, titles: cfg.Titles, net: n, slots: cfg.Slots,
		candidates: map[string][]api.Candidate{},
		status:     api.Status{Name: cfg.Name, Region: cfg.Region, Health: string(cluster.HealthOK), Capacity: cfg.Capacity, Free: cfg.Free, MediaUDP: "127.0.0.1:9"},
	}
	e.srv = httptest.NewServer(e.handler())
	n.mu.Lock()
	n.fakes = append(n.fakes, e)
	n.mu.Unlock()
	n.Add(e.View())
	return e
}

// URL is the edge API's base URL.
func (e *Edge) URL() string { return e.srv.URL }

// View is the edge as gossip describes it when it starts.
func (e *Edge) View() route.Edge {
	e.mu.Lock()
	defer e.mu.Unlock()
	var ids []string
	for _, t := range e.titles {
		if t.Runnable {
			ids = append(ids, t.ID)
		}
	}
	return route.Edge{Name: e.name, Meta: cluster.Meta{
		Role: cluster.RoleEdge, Region: e.region, API: e.srv.URL, Probe: e.srv.URL + "/v1/probe", Media: e.status.MediaUDP,
		Capacity: e.status.Capacity, Free: e.status.Free, Health: cluster.HealthOK, Titles: ids, Version: 1,
	}}
}

// SetStatus changes what GET /v1/status answers.
func (e *Edge) SetStatus(change func(*api.Status)) {
	e.mu.Lock()
	change(&e.status)
	e.mu.Unlock()
}

// Admit starts a session for req, as an edge that admits the player: the
// session is listed and may be given candidates and ended.
func (e *Edge) Admit(req api.CreateRequest) api.CreateResponse {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.admit(req)
}

// admit is Admit; e.mu is held.
func (e *Edge) admit(req api.CreateRequest) api.CreateResponse {
	// Numbered in order of admission, so that an ID is never reused.
	e.admitted++
	id := fmt.Sprintf("%s-%d", e.name, e.admitted)
	e.sessions = append(e.sessions, api.SessionInfo{ID: id, Title: req.Title, Player: req.Player, Edge: e.name, Region: e.region, Started: time.Now(), State: "new", Stats: map[string]int{"frames": 0}})
	return api.CreateResponse{ID: id, Edge: e.name, Region: e.region, Answer: "v=0 (fake answer of " + e.name + ")"}
}

// admitWithin admits req if a slot is free, and lists the edge with one
// fewer.
func (e *Edge) admitWithin(req api.CreateRequest) (api.CreateResponse, error) {
	e.mu.Lock()
	if n := len(e.sessions); n >= e.status.Capacity {
		e.mu.Unlock()
		return api.CreateResponse{}, api.Errorf(api.CodeEdgeFull, "edge %s is full (%d of %d sessions)", e.name, n, e.status.Capacity)
	}
	resp := e.admit(req)
	e.mu.Unlock()
	e.publish()
	return resp, nil
}

// publish lists the edge with its free slots now, as the gossip of an
// edge does at each session started or ended.
func (e *Edge) publish() {
	e.mu.Lock()
	free := max(0, e.status.Capacity-len(e.sessions))
	e.status.Free = free
	e.mu.Unlock()
	e.net.Update(e.name, func(v *route.Edge) {
		v.Meta.Free = free
		v.Meta.Version++
	})
}

// AddSession lists a session as if it ran on the edge.
func (e *Edge) AddSession(s api.SessionInfo) {
	e.mu.Lock()
	e.sessions = append(e.sessions, s)
	e.mu.Unlock()
}

// Creates lists the joins the edge was asked for, in order.
func (e *Edge) Creates() []api.CreateRequest {
	e.mu.Lock()
	defer e.mu.Unlock()
	return slices.Clone(e.creates)
}

// Standbys lists the standbys the edge was asked for, in order; it
// admits each (a standby takes no slot).
func (e *Edge) Standbys() []api.CreateRequest {
	e.mu.Lock()
	defer e.mu.Unlock()
	return slices.Clone(e.standbys)
}

// Candidates lists the candidates given for the session, in order.
func (e *Edge) Candidates(session string) []api.Candidate {
	e.mu.Lock()
	defer e.mu.Unlock()
	return slices.Clone(e.candidates[session])
}

// Deleted lists the sessions the edge was asked to end, in order.
func (e *Edge) Deleted() []string {
	e.mu.Lock()
	defer e.mu.Unlock()
	return slices.Clone(e.deleted)
}

// Close stops serving: the edge is then unreachable. Safe to call twice.
func (e *Edge) Close() {
	e.closeOnce.Do(func() {
		// A join held by its CreateFunc would hold Close: end the requests.
		e.srv.CloseClientConnections()
		e.srv.Close()
	})
}

func (e *Edge) handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /v1/titles", func(w http.ResponseWriter, r *http.Request) {
		all := r.URL.Query().Get("all") == "1"
		e.mu.Lock()
		out := []api.Title{}
		for _, t := range e.titles {
			if all || t.Runnable {
				out = append(out, t)
			}
		}
		e.mu.Unlock()
		reply(w, http.StatusOK, out, nil)
	})
	mux.HandleFunc("POST /v1/sessions", func(w http.ResponseWriter, r *http.Request) {
		var req api.CreateRequest
		if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
			reply(w, 0, nil, api.Errorf(api.CodeBadMessage, "%v", err))
			return
		}
		e.mu.Lock()
		e.creates = append(e.creates, req)
		e.mu.Unlock()
		var resp api.CreateResponse
		var err error
		if e.create != nil {
			resp, err = e.create(r.Context(), e, req)
		} else if e.slots {
			resp, err = e.admitWithin(req)
		} else {
			resp = e.Admit(req)
		}
		if err != nil {
			reply(w, 0, nil, err)
			return
		}
		reply(w, http.StatusCreated, resp, nil)
	})
	mux.HandleFunc("POST /v1/standbys", func(w http.ResponseWriter, r *http.Request) {
		var req api.CreateRequest
		if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
			reply(w, 0, nil, api.Errorf(api.CodeBadMessage, "%v", err))
			return
		}
		e.mu.Lock()
		e.standbys = append(e.standbys, req)
		e.admitted++
		id := fmt.Sprintf("%s-standby-%d", e.name, e.admitted)
		e.mu.Unlock()
		reply(w, http.StatusCreated, api.CreateResponse{ID: id, Edge: e.name, Region: e.region, Answer: "v=0 (fake standby answer of " + e.name + ")"}, nil)
	})
	mux.HandleFunc("GET /v1/sessions", func(w http.ResponseWriter, r *http.Request) {
		if e.listing != nil {
			e.listing(r.Context())
		}
		e.mu.Lock()
		out := slices.Clone(e.sessions)
		e.mu.Unlock()
		reply(w, http.StatusOK, out, nil)
	})
	mux.HandleFunc("POST /v1/sessions/{id}/candidates", func(w http.ResponseWriter, r *http.Request) {
		var c api.Candidate
		if err := json.NewDecoder(r.Body).Decode(&c); err != nil {
			reply(w, 0, nil, api.Errorf(api.CodeBadMessage, "%v", err))
			return
		}
		e.mu.Lock()
		e.candidates[r.PathValue("id")] = append(e.candidates[r.PathValue("id")], c)
		e.mu.Unlock()
		w.WriteHeader(http.StatusNoContent)
	})
	mux.HandleFunc("DELETE /v1/sessions/{id}", func(w http.ResponseWriter, r *http.Request) {
		id := r.PathValue("id")
		e.mu.Lock()
		e.deleted = append(e.deleted, id)
		e.sessions = slices.DeleteFunc(e.sessions, func(s api.SessionInfo) bool { return s.ID == id })
		e.mu.Unlock()
		if e.slots {
			e.publish()
		}
		w.WriteHeader(http.StatusNoContent)
	})
	mux.HandleFunc("GET /v1/status", func(w http.ResponseWriter, r *http.Request) {
		e.mu.Lock()
		st := e.status
		e.mu.Unlock()
		reply(w, http.StatusOK, st, nil)
	})
	mux.HandleFunc("GET /v1/probe", func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusNoContent)
	})
	return mux
}

// reply answers with v as JSON, or, when err is not nil, with err's code
// and status as an edge does.
func reply(w http.ResponseWriter, status int, v any, err error) {
	if err != nil {
		ae, ok := api.AsError(err)
		if !ok {
			ae = api.Errorf(api.CodeInternal, "%v", err)
		}
		status, v = cmp.Or(ae.Status, api.StatusOf(ae.Code)), ae
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}

// Gate holds joins until it is opened, so that a test can act while a
// join is in flight. Its methods are safe for concurrent use.
type Gate struct {
	arrived, open         chan struct{}
	arrivedOnce, openOnce sync.Once
}

// NewGate returns a closed gate.
func NewGate() *Gate { return &Gate{arrived: make(chan struct{}), open: make(chan struct{})} }

// Create is a CreateFunc: it waits for the gate to open, then admits the
// player; a join given up on before is refused.
func (g *Gate) Create(ctx context.Context, e *Edge, req api.CreateRequest) (api.CreateResponse, error) {
	g.arrivedOnce.Do(func() { close(g.arrived) })
	select {
	case <-g.open:
		return e.Admit(req), nil
	case <-ctx.Done():
		return api.CreateResponse{}, ctx.Err()
	}
}

// Arrived is closed once a join has reached the gate.
func (g *Gate) Arrived() <-chan struct{} { return g.arrived }

// Open lets every join held, and every later one, through. Safe to call
// twice.
func (g *Gate) Open() { g.openOnce.Do(func() { close(g.open) }) }
