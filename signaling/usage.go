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

// usageFilter reads the ledger's filters from a query: from and to (RFC
// 3339, or a date, 2006-01-02, meaning its first instant in UTC; to is
// excluded), operator, edge and title. The studio filter is the caller's
// to apply (studioTitles), since the catalog, not the ledger, knows
// which studio owns a title.
func usageFilter(r *http.Request) (ledger.Filter, error) {
	q := r.URL.Query()
	f := ledger.Filter{Operator: q.Get("operator"), Edge: q.Get("edge"), Title: q.Get("title")}
	for _, t := range []struct {
		name string
		dst  *time.Time
	}{{"from", &f.From}, {"to", &f.To}} {
		if v := q.Get(t.name); v != "" {
			at, err := ParseUsageTime(v)
			if err != nil {
				return f, api.Errorf(api.CodeBadMessage, "%s: %v", t.name, err)
			}
			*t.dst = at
		}
	}
	if !f.From.IsZero() && !f.To.IsZero() && !f.From.Before(f.To) {
		return f, api.Errorf(api.CodeBadMessage, "from %s is not before to %s", f.From.Format(time.RFC3339), f.To.Format(time.RFC3339))
	}
	return f, nil
}

// ParseUsageTime reads a bound of a usage period: RFC 3339, or a date
// (2006-01-02) standing for its first instant in UTC.
func ParseUsageTime(v string) (time.Time, error) {
	if at, err := time.Parse(time.RFC3339, v); err == nil {
		return at, nil
	}
	if at, err := time.Parse(time.DateOnly, v); err == nil {
		return at, nil
	}
	return time.Time{}, fmt.Errorf("%q: want RFC 3339 (2026-12-05T10:00:00Z) or a date (2026-12-05)", v)
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
