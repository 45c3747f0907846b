package signaling

import (
	"cmp"
	"slices"

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
}
