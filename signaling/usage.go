package signaling

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"time"

	"stratus/cluster"
	"stratus/edge/api"
	"stratus/edge/usage"
	"stratus/ledger"
)

// UsageBatch is what an edge sends to POST /v1/usage.
type UsageBatch struct {
	Records []usage.Record `json:"records"`
}

// Limits of one batch: a thousand records of a few hundred bytes each.
const (
	MaxUsageBatch      = 1000
	maxUsageBatchBytes = 1 << 20
)

// handleUsagePut takes an edge's usage records: POST /v1/usage. Each is
// believed only with the signature of the edge it names, as the network
// enrolled it, and for that edge's operator; the others are refused and
// counted in the answer.
func (s *Server) handleUsagePut(w http.ResponseWriter, r *http.Request) {
	var in UsageBatch
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, maxUsageBatchBytes))
	if err := dec.Decode(&in); err != nil {
		api.Errorf(api.CodeBadMessage, "usage batch: %v", err).Write(w)
		return
	}
	if len(in.Records) > MaxUsageBatch {
		api.Errorf(api.CodeTooLarge, "%d records, at most %d a batch", len(in.Records), MaxUsageBatch).Write(w)
		return
	}
	var ok []usage.Record
	var refused []string
	for _, rec := range in.Records {
		if err := s.believeUsage(rec); err != nil {
			refused = append(refused, fmt.Sprintf("%s: %v", rec.Session, err))
			continue
		}
		ok = append(ok, rec)
	}
	if len(refused) > 0 {
		s.log.Warn("usage records refused", "from", r.RemoteAddr, "refused", len(refused), "first", refused[0])
	}
	changed, err := s.ledger.Put(r.Context(), ok)
	if err != nil {
		s.log.Error("usage: the ledger refused a write", "err", err)
		api.Errorf(api.CodeInternal, "ledger: %v", err).Write(w)
		return
	}
	writeJSON(w, map[string]any{"accepted": len(ok), "changed": changed, "refused": refused})
}

// believeUsage checks a record against the registry: signed by the key
// enrolled for its edge, whose operator it names.
func (s *Server) believeUsage(rec usage.Record) error {
	node, operator, err := s.registry.Node(rec.Edge)
	switch {
	case err != nil:
		return err
	case node.Role != cluster.RoleEdge:
		return errors.New(rec.Edge + " is not an edge")
	case operator != rec.Operator:
		return fmt.Errorf("names operator %q, the edge's is %q", rec.Operator, operator)
	}
	return rec.Verify(node.Key)
}

// usageFilter reads the ledger's filters from a query: from and to
// (RFC 3339), operator, edge, title.
func usageFilter(r *http.Request) (ledger.Filter, error) {
	q := r.URL.Query()
	f := ledger.Filter{Operator: q.Get("operator"), Edge: q.Get("edge"), Title: q.Get("title")}
	for _, t := range []struct {
		name string
		dst  *time.Time
	}{{"from", &f.From}, {"to", &f.To}} {
		if v := q.Get(t.name); v != "" {
			at, err := time.Parse(time.RFC3339, v)
			if err != nil {
				return f, api.Errorf(api.CodeBadMessage, "%s %q: want RFC 3339", t.name, v)
			}
			*t.dst = at
		}
	}
	return f, nil
}

// handleContributions totals the play per operator and day, weighted by
// the checks: GET /v1/usage/contribution?from=&to=.
func (s *Server) handleContributions(w http.ResponseWriter, r *http.Request) {
	f, err := usageFilter(r)
	if err != nil {
		err.(*api.Error).Write(w)
		return
	}
	list, err := s.ledger.Contributions(r.Context(), f.From, f.To)
	if err != nil {
		api.Errorf(api.CodeInternal, "%v", err).Write(w)
		return
	}
	writeJSON(w, list)
}

// handleUsageGet lists the ledger's records: GET /v1/usage (usageFilter).
func (s *Server) handleUsageGet(w http.ResponseWriter, r *http.Request) {
	f, err := usageFilter(r)
	if err != nil {
		err.(*api.Error).Write(w)
		return
	}
	list, err := s.ledger.Query(r.Context(), f)
	if err != nil {
		api.Errorf(api.CodeInternal, "%v", err).Write(w)
		return
	}
	if list == nil {
		list = []ledger.Entry{}
	}
	writeJSON(w, list)
}
