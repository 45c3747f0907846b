package signaling

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"time"

	"stratus/checker/qos"
	"stratus/cluster"
	"stratus/signaling/route"
)

// EdgeReport is what GET /v1/edges tells the operator of one edge: its
// gossiped metadata in plain words.
type EdgeReport struct {
	Name   string `json:"name"`
	Region string `json:"region"`
	// Operator runs the edge, as the network enrolled it (empty in
	// development, where nodes gossip unsigned).
	Operator string            `json:"operator,omitempty"`
	Location *cluster.Location `json:"location,omitempty"`
	// API is the edge API's base URL; Probe the URL pages measure their
	// round trip with; Media the UDP address players send media to.
	API      string  `json:"api"`
	Probe    string  `json:"probe,omitempty"`
	Media    string  `json:"media,omitempty"`
	Capacity int     `json:"capacity"`
	Free     int     `json:"free"`
	Load     float64 `json:"load"`
	// Health is ok, draining or degraded.
	Health string   `json:"health"`
	Titles []string `json:"titles"`
	// TitlesDigest stands for the title list when it was too long to
	// gossip; the edge API's /v1/titles has it.
	TitlesDigest string `json:"titles_digest,omitempty"`
	// GPUs is nil on an edge without NVIDIA GPUs.
	GPUs *GPUReport `json:"gpus,omitempty"`
	// CatalogRevision is the studio catalog's revision the edge reports,
	// when it reports one.
	CatalogRevision uint64 `json:"catalog_revision,omitempty"`
	// State is alive, or suspect while a join on the edge just failed on
	// this node (it is left out of choices for a while). Gossip lists
	// only live members, so no edge listed is dead.
	State string `json:"state"`
	// Version counts the edge's metadata changes.
	Version uint64 `json:"version"`
	// QoS is the edge's standing from the network's checkers, when one
	// checked it recently.
	QoS *qos.Standing `json:"qos,omitempty"`
}

// GPUReport is an edge's GPUs in short.
type GPUReport struct {
	Count int    `json:"count"`
	Model string `json:"model,omitempty"`
	// NVENC is how many GPUs have a usable encoder; FreeEncoders the
	// encoder sessions left across them.
	NVENC        int `json:"nvenc"`
	FreeEncoders int `json:"free_encoders"`
}

// edgeReport words e's metadata; suspect says whether this node keeps it
// out of choices now.
func edgeReport(e route.Edge, suspect bool) EdgeReport {
	m := e.Meta
	r := EdgeReport{
		Name: e.Name, Region: m.Region, Operator: m.Operator, API: m.API, Probe: m.Probe, Media: m.Media,
		Capacity: m.Capacity, Free: m.Free, Load: m.Load, Health: string(m.Health),
		Titles: m.Titles, TitlesDigest: m.TitlesDigest, CatalogRevision: m.Catalog,
		State: cluster.StateAlive, Version: m.Version,
	}
	if r.Titles == nil {
		r.Titles = []string{}
	}
	if m.Location != (cluster.Location{}) {
		loc := m.Location
		r.Location = &loc
	}
	if g := m.GPU; g.Count > 0 {
		r.GPUs = &GPUReport{Count: g.Count, Model: g.Model, NVENC: g.NVENC, FreeEncoders: g.FreeEncoders}
	}
	if suspect {
		r.State = cluster.StateSuspect
	}
	return r
}

// handleEdges lists the edges this node knows, by name:
// GET /v1/edges
func (s *Server) handleEdges(w http.ResponseWriter, r *http.Request) {
	s.refusals.settle()
	edges := s.dir.Edges()
	sort.Slice(edges, func(i, j int) bool { return edges[i].Name < edges[j].Name })
	out := make([]EdgeReport, len(edges))
	for i, e := range edges {
		out[i] = edgeReport(e, s.choice.suspected(e.Name))
		if s.qos != nil {
			if st, ok := s.judge.standing(e.Name); ok {
				out[i].QoS = &st
			}
		}
	}
	writeJSON(w, out)
}

// sessionsWait bounds how long GET /v1/sessions waits for the edges.
const sessionsWait = 2 * time.Second

// handleSessions lists the sessions of every edge, oldest first:
// GET /v1/sessions
func (s *Server) handleSessions(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), sessionsWait)
	defer cancel()
	writeJSON(w, s.fanout.sessions(ctx))
}

// handleRoute explains a routing decision without placing anyone:
// GET /v1/route?title=rocks&region=eu-west&rtt=edge-a:12,edge-b:80&exclude=edge-c
func (s *Server) handleRoute(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	title := q.Get("title")
	if title == "" {
		http.Error(w, "title is required", http.StatusBadRequest)
		return
	}
	rtt := map[string]float64{}
	for _, kv := range strings.Split(q.Get("rtt"), ",") {
		name, ms, ok := strings.Cut(kv, ":")
		if !ok {
			continue
		}
		v, err := strconv.ParseFloat(ms, 64)
		if err != nil || v < 0 {
			http.Error(w, fmt.Sprintf("rtt %q: want edge:milliseconds", kv), http.StatusBadRequest)
			return
		}
		rtt[name] = v
	}
	var exclude []string
	if x := q.Get("exclude"); x != "" {
		exclude = strings.Split(x, ",")
	}
	s.refusals.settle()
	req := s.choice.request(title, rtt, exclude)
	if region := q.Get("region"); region != "" {
		req.Region = region
	}
	writeJSON(w, s.choice.decide(req))
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(v)
}
