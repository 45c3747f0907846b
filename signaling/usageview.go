package signaling

import (
	"bufio"
	"cmp"
	"net/http"
	"slices"

	"stratus/edge/api"
	"stratus/ledger"
)

// Who reads the ledger through GET /v1/usage:
//
//   - the network's operator (the operator token) reads every record, and
//     may filter by studio, operator, edge and title;
//   - a studio (its studio key, as for the studio API) reads the records
//     of its own titles only, retired ones included, with what it bills
//     its players by: session, kind, title, studio, region, start, end,
//     seconds, frames and bytes. Which edge and operator served a session,
//     the player's identity, the encoder, the GPU and the edge's signature
//     are the network's and come back empty. Filters by operator or edge,
//     or by another studio, are refused.
//
// A request with neither credential is refused through the studio API's
// authentication, so that a wrong key counts toward its address's failed
// keys (studio.AuthLimits) wherever it is tried.

// handleUsage serves GET /v1/usage to the operator or to a studio.
func (s *Server) handleUsage(w http.ResponseWriter, r *http.Request) {
	if s.studio == nil || s.operatorOpen() || s.operator.Allows(r) {
		s.RequireOperator(http.HandlerFunc(s.handleUsageGet)).ServeHTTP(w, r)
		return
	}
	name, ok := s.studio.Authenticate(w, r)
	if !ok {
		return
	}
	f, err := usageFilter(r)
	if err != nil {
		err.(*api.Error).Write(w)
		return
	}
	q := r.URL.Query()
	switch {
	case f.Operator != "" || f.Edge != "":
		api.Errorf(api.CodeForbidden, "a studio's usage is filtered by title and period only, not by operator or edge").Write(w)
		return
	case q.Get("studio") != "" && q.Get("studio") != name:
		api.Errorf(api.CodeForbidden, "the usage of studio %q is not yours to read", q.Get("studio")).Write(w)
		return
	}
	f.Titles = s.studioTitles(name)
	if g := q.Get("group"); g != "" {
		if g == "edge" {
			api.Errorf(api.CodeForbidden, "a studio's usage has no edges: group by title or studio").Write(w)
			return
		}
		s.writeTotals(w, r, f, g)
		return
	}
	// The studio's view is decoded: its network fields are blanked.
	st := newUsageStream(w, usageChunkLimit)
	s.finishUsage(st, s.ledger.Each(r.Context(), f, func(e ledger.Entry) error {
		return st.record(func(b *bufio.Writer) error { return writeEntry(b, forStudio(e, name)) })
	}))
}

// operatorOpen: a development node without an operator token, whose
// operator endpoints are open (Config.OperatorOpen).
func (s *Server) operatorOpen() bool { return s.cfg.OperatorOpen && s.cfg.OperatorToken == "" }

// handleUsageGet lists the ledger's records to the operator: GET /v1/usage
// (usageFilter, and studio), each with its title's studio, streamed
// (usagestream.go).
func (s *Server) handleUsageGet(w http.ResponseWriter, r *http.Request) {
	f, err := usageFilter(r)
	if err != nil {
		err.(*api.Error).Write(w)
		return
	}
	if st := r.URL.Query().Get("studio"); st != "" {
		f.Titles = s.studioTitles(st)
	}
	if g := r.URL.Query().Get("group"); g != "" {
		s.writeTotals(w, r, f, g)
		return
	}
	owners := map[string]string{}
	if s.studio != nil {
		owners = s.studio.Store().Owners()
	}
	st := newUsageStream(w, usageChunkLimit)
	s.finishUsage(st, s.ledger.EachRaw(r.Context(), f, func(raw ledger.Raw) error {
		return st.record(func(b *bufio.Writer) error { return writeOperatorRecord(b, raw, owners[raw.Title]) })
	}))
}

// writeTotals answers GET /v1/usage?group=edge|title|studio with the play
// and checks of each group, summed by the database: a report over a
// network's millions of records would otherwise carry every one of them.
// By studio folds the titles' totals by owner; the network's own titles
// (testpattern) belong to no studio.
func (s *Server) writeTotals(w http.ResponseWriter, r *http.Request, f ledger.Filter, group string) {
	by := group
	switch group {
	case "edge", "title":
	case "studio":
		by = "title"
	default:
		api.Errorf(api.CodeBadMessage, "group %q: want edge, title or studio", group).Write(w)
		return
	}
	list, err := s.ledger.Totals(r.Context(), f, by)
	if err != nil {
		api.Errorf(api.CodeInternal, "%v", err).Write(w)
		return
	}
	if group == "studio" {
		owners := map[string]string{}
		if s.studio != nil {
			owners = s.studio.Store().Owners()
		}
		sums := map[string]*ledger.Total{}
		for _, t := range list {
			k := cmp.Or(owners[t.Key], "(network)")
			sum := sums[k]
			if sum == nil {
				sum = &ledger.Total{Key: k}
				sums[k] = sum
			}
			sum.Add("play", t.Sessions, t.PlayedMinutes*60)
			sum.Add("check", t.Checks, t.CheckedMinutes*60)
		}
		list = ledger.SortTotals(sums)
	}
	writeJSON(w, list)
}

// studioTitles is every title studio has on record, retired ones too:
// never nil, so that a studio without titles selects no records.
func (s *Server) studioTitles(studio string) []string {
	titles := []string{}
	if s.studio == nil {
		return titles
	}
	for id, owner := range s.studio.Store().Owners() {
		if owner == studio {
			titles = append(titles, id)
		}
	}
	slices.Sort(titles)
	return titles
}

// forStudio is e as studio may read it (see above): the network's fields
// left empty.
func forStudio(e ledger.Entry, studio string) ledger.Entry {
	r := e.Record
	r.Studio = studio
	r.Edge, r.Operator, r.Player, r.Encoder = "", "", "", ""
	r.GPU, r.Signature = nil, nil
	return ledger.Entry{Record: r, LedgerKind: e.LedgerKind}
}
