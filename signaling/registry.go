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
	// Shortfall is how far below full marks the checkers found the named
	// edge (route.Edge.QoSShortfall).
	Shortfall(name string) float64
}

// judge is the gate of a node that keeps the registry: enrolment from the
// registry, quality from the checkers' reports.
type judge struct {
	*enroll.Registry
	book *qos.Book
}

func (j judge) Shortfall(name string) float64 {
	if st, ok := j.book.Standing(name); ok {
		return 1 - st.Score
	}
	return 0
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
	s.registry = reg
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
	if s.registry != nil {
		s.registry.Close()
	}
	if s.ledger != nil {
		s.ledger.Close()
	}
}
