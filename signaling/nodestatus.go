package signaling

import (
	"crypto/ed25519"
	"net/http"
	"sort"
	"time"

	"stratus/checker/qos"
	"stratus/cluster"
	"stratus/edge/api"
	"stratus/ledger"
	"stratus/trust/nodeauth"
)

// NodeStatusPath is where an edge operator reads its nodes' standing,
// asking as one of its nodes (package trust/nodeauth):
//
//	GET /v1/node/status?from=&to=   (usageFilter's period)
const NodeStatusPath = "/v1/node/status"

// OperatorStatus is what GET /v1/node/status answers: the standing of
// every node of the asking node's operator, and what the operator
// delivered over the period. Nothing of other operators.
type OperatorStatus struct {
	Operator string `json:"operator"`
	// AskedBy is the node that signed the request.
	AskedBy string `json:"asked_by"`
	// From and To bound the period, RFC 3339; empty: unbounded.
	From  string       `json:"from,omitempty"`
	To    string       `json:"to,omitempty"`
	Nodes []NodeStatus `json:"nodes"`
	// Contribution is the operator's per day (ledger.Contributions).
	Contribution []ledger.Contribution `json:"contribution"`
}

// NodeStatus is one node of the operator.
type NodeStatus struct {
	Name     string       `json:"name"`
	Role     cluster.Role `json:"role"`
	Enrolled time.Time    `json:"enrolled"`
	// QoS is the latest standing from the network's checkers, when one
	// checked the node recently.
	QoS *qos.Standing `json:"qos,omitempty"`
	// Checks are the node's latest checks in the period, newest first,
	// at most statusChecks.
	Checks []ledger.Check `json:"checks"`
	// Sessions and PlayedMinutes are the players' sessions that ended in
	// the period; checks count apart.
	Sessions       int     `json:"sessions"`
	PlayedMinutes  float64 `json:"played_minutes"`
	CheckSessions  int     `json:"check_sessions"`
	CheckedMinutes float64 `json:"checked_minutes"`
}

// statusChecks: ten checks are ten minutes at the default pace, enough
// to see a node fail and recover; the score itself stands on qosKeep.
const statusChecks = 10

// newNodeVerifier believes requests signed by the nodes the registry
// enrolled and has not revoked.
func (s *Server) newNodeVerifier() (*nodeauth.Verifier, error) {
	return nodeauth.NewVerifier(s.cfg.NodeAuth, func(name string) (ed25519.PublicKey, string, error) {
		n, operator, err := s.registry.Node(name)
		return n.Key, operator, err
	})
}

// handleNodeStatus answers an edge operator, through one of its nodes.
func (s *Server) handleNodeStatus(w http.ResponseWriter, r *http.Request) {
	caller, err := s.nodeAuth.Verify(r)
	if err != nil {
		s.log.Warn("node status refused", "from", r.RemoteAddr, "node", r.Header.Get(nodeauth.HeaderNode), "err", err)
		err.(*api.Error).Write(w)
		return
	}
	f, err := usageFilter(r)
	if err != nil {
		err.(*api.Error).Write(w)
		return
	}
	out := OperatorStatus{Operator: caller.Operator, AskedBy: caller.Node, Nodes: []NodeStatus{}, Contribution: []ledger.Contribution{}}
	if !f.From.IsZero() {
		out.From = f.From.UTC().Format(time.RFC3339)
	}
	if !f.To.IsZero() {
		out.To = f.To.UTC().Format(time.RFC3339)
	}
	byName := map[string]*NodeStatus{}
	for _, op := range s.registry.Operators() {
		if op.Name != caller.Operator {
			continue
		}
		for _, n := range op.Nodes {
			out.Nodes = append(out.Nodes, NodeStatus{Name: n.Name, Role: n.Role, Enrolled: n.Enrolled})
		}
	}
	sort.Slice(out.Nodes, func(i, j int) bool { return out.Nodes[i].Name < out.Nodes[j].Name })
	for i := range out.Nodes {
		n := &out.Nodes[i]
		byName[n.Name] = n
		if st, ok := s.qos.Standing(n.Name); ok {
			n.QoS = &st
		}
		if n.Checks, err = s.ledger.Checks(r.Context(), n.Name, f.From, f.To, statusChecks); err != nil {
			api.Errorf(api.CodeInternal, "%v", err).Write(w)
			return
		}
	}
	f.Operator = caller.Operator
	err = s.ledger.Each(r.Context(), f, func(e ledger.Entry) error {
		n := byName[e.Edge]
		switch {
		case n == nil: // a node no longer enrolled: in the contribution only
		case e.LedgerKind == "check":
			n.CheckSessions++
			n.CheckedMinutes += e.Seconds / 60
		default:
			n.Sessions++
			n.PlayedMinutes += e.Seconds / 60
		}
		return nil
	})
	if err != nil {
		api.Errorf(api.CodeInternal, "%v", err).Write(w)
		return
	}
	all, err := s.ledger.Contributions(r.Context(), f.From, f.To)
	if err != nil {
		api.Errorf(api.CodeInternal, "%v", err).Write(w)
		return
	}
	for _, c := range all {
		if c.Operator == caller.Operator {
			out.Contribution = append(out.Contribution, c)
		}
	}
	writeJSON(w, out)
}
