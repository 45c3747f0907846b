package signaling

import (
	"cmp"
	"slices"

	"stratus/checker/qos"
	"stratus/cluster"
	"stratus/trust/enroll"
)

// gate says whether a member the pools believe may be given work: the
// registry's answer (enrolled, operator not revoked). Both methods may be
// called from any goroutine.
type gate interface {
	Allowed(cluster.Member) error
	// Changed is closed at the gate's next change (a revocation), when
	// every answer must be asked again.
	Changed() <-chan struct{}
	// Shortfall is how far below full marks the named edge stands
	// (route.Edge.QoSShortfall), and why (route.Edge.QoSWhy).
	Shortfall(name string) (float64, string)
	// Advertised is told each edge's free slots as gossip reports them,
	// which tells an honest refusal from a lie (refusals.go).
	Advertised(name string, free int)
}

// judge is the gate of a node that keeps the registry: enrolment from the
// registry, quality from the checkers' reports and from the joins edges
// refused while they advertised room.
type judge struct {
	*enroll.Registry
	book     *qos.Book
	refusals *refusalBook
}

// refusingWhy is what /v1/route says of an edge convicted of refusing the
// slots it advertises.
const refusingWhy = "refuses advertised slots"

func (j judge) Shortfall(name string) (float64, string) {
	st, ok := j.standing(name)
	if !ok {
		return 0, ""
	}
	if st.Refused >= refusalsToConvict {
		return 1 - st.Score, refusingWhy
	}
	return 1 - st.Score, ""
}

func (j judge) Advertised(name string, free int) { j.refusals.advertised(name, free) }

// standing is the named edge's QoS as routing and operators see it: the
// checkers' score, made 0 by enough refusals of advertised slots. False
// when there is neither a recent check nor a conviction.
func (j judge) standing(name string) (qos.Standing, bool) {
	st, ok := j.book.Standing(name)
	st.Refused = j.refusals.counted(name)
	if st.Refused >= refusalsToConvict {
		st.Score = 0
		return st, true
	}
	return st, ok
}

// openRegistry opens the network's registry, certifies this node's own key
// with it, and returns cfg with its pools signing with that identity and
// believing only nodes the network certified.
func (s *Server) openRegistry(cfg Config) (Config, error) {
	rc := *cfg.Registry
	rc.URL = cmp.Or(rc.URL, cfg.PublicURL)
	reg, err := enroll.Open(rc, s.log)
	if err != nil {
		return cfg, err
	}
	key, err := enroll.NodeKey(cfg.DataDir, s.log)
	if err != nil {
		reg.Close()
		return cfg, err
	}
	id, err := reg.Certify(cfg.Name, key)
	if err != nil {
		reg.Close()
		return cfg, err
	}
	s.registry, s.nodeKey = reg, key
	network := reg.Network()
	cfg.LAN = slices.Clone(cfg.LAN)
	for i := range cfg.LAN {
		cfg.LAN[i].Identity, cfg.LAN[i].Network = id, network
	}
	if cfg.WAN != nil {
		wan := *cfg.WAN
		wan.Identity, wan.Network = id, network
		cfg.WAN = &wan
	}
	s.log.Info("registry open: routing only to enrolled edges", "dir", rc.Dir, "enroll_url", rc.URL)
	return cfg, nil
}

func (s *Server) closeRegistry() {
	s.shared.close()
	if s.registry != nil {
		s.registry.Close()
	}
	if s.ledger != nil {
		s.ledger.Close()
	}
}
