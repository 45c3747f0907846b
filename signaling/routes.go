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

	"stratus/cluster"
)

// edgeReport is what GET /v1/edges reports of each edge.
type edgeReport struct {
	Name string       `json:"name"`
	Meta cluster.Meta `json:"meta"`
}

// handleEdges lists the edges this node knows, by name:
// GET /v1/edges
func (s *Server) handleEdges(w http.ResponseWriter, r *http.Request) {
	edges := s.dir.Edges()
	sort.Slice(edges, func(i, j int) bool { return edges[i].Name < edges[j].Name })
	out := make([]edgeReport, len(edges))
	for i, e := range edges {
		out[i] = edgeReport{Name: e.Name, Meta: e.Meta}
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
