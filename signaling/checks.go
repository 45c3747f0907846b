package signaling

import (
	"encoding/json"
	"errors"
	"net/http"
	"time"

	"stratus/checker/qos"
	"stratus/cluster"
	"stratus/edge/api"
	"stratus/trust/enroll"
)

// The QoS book's settings: the last five checks of an edge make its score,
// none older than ten minutes (ten checks at the default pace: an edge
// nobody checks any more loses its score rather than keep an old one), and
// testpattern's 60 fps is what a healthy edge delivers.
const (
	qosKeep   = 5
	qosMaxAge = 10 * time.Minute
	qosFPS    = 60
)

// handleCheck takes a checker's signed report: POST /v1/checks. Only a
// checker the network enrolled (role checker, operator network, not
// revoked) is believed, and only over the bytes it signed.
func (s *Server) handleCheck(w http.ResponseWriter, r *http.Request) {
	var in qos.Signed
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, qos.MaxSigned))
	if err := dec.Decode(&in); err != nil {
		api.Errorf(api.CodeBadMessage, "signed report: %v", err).Write(w)
		return
	}
	rep, err := openCheck(s.registry, in)
	if err != nil {
		s.log.Warn("check report refused", "checker", in.Checker, "from", r.RemoteAddr, "err", err)
		api.Errorf(api.CodeForbidden, "%v", err).Write(w)
		return
	}
	s.qos.Add(in.Checker, rep)
	if rep.Session != "" {
		if err := s.ledger.MarkCheck(r.Context(), rep.Session); err != nil {
			s.log.Warn("ledger: marking a check", "session", rep.Session, "err", err)
		}
	}
	if rep.Skipped == "" {
		if err := s.ledger.PutCheck(r.Context(), rep.Edge, in.Checker, rep.At, qos.Score(rep, qosFPS), rep.OK); err != nil {
			s.log.Warn("ledger: recording a check", "edge", rep.Edge, "err", err)
		}
		// For the nodes that share the ledger (shared.go).
		if err := s.shared.took(r.Context(), in); err != nil {
			s.log.Warn("ledger: sharing a check", "edge", rep.Edge, "err", err)
		}
	}
	s.refusals.settle()
	s.rescore(rep.Edge)
	w.WriteHeader(http.StatusNoContent)
}

// rescore brings the edge's standing to its metric and to routing, after
// a check or a change in its refusals.
func (s *Server) rescore(edge string) {
	shortfall, why := s.judge.Shortfall(edge)
	s.choice.edges.SetQoS(edge, shortfall, why)
	if st, ok := s.judge.standing(edge); ok {
		s.metrics.qos.WithLabelValues(edge).Set(st.Score)
	}
}

// openCheck returns the report in a checker's signed report, when it is
// signed by a checker the network enrolled (role checker, operator
// network, not revoked).
func openCheck(reg *enroll.Registry, in qos.Signed) (qos.Report, error) {
	node, operator, err := reg.Node(in.Checker)
	if err != nil {
		return qos.Report{}, notEnrolled{err}
	}
	if node.Role != cluster.RoleChecker || operator != enroll.NetworkOperator {
		return qos.Report{}, errors.New(in.Checker + " is not one of the network's checkers")
	}
	return in.Open(node.Key)
}

// checkedElsewhere takes in a report another node took.
func (s *Server) checkedElsewhere(checker string, rep qos.Report) {
	s.qos.Add(checker, rep)
	s.rescore(rep.Edge)
}

// judgedRefusal counts a refusal this node judged, and shares a lie.
func (s *Server) judgedRefusal(edge string, at time.Time, lied bool) {
	s.metrics.refusal(edge, lied)
	if lied {
		s.shared.judged(edge, at)
	}
}
