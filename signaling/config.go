package signaling

import (
	"errors"
	"fmt"
	"time"

	"stratus/cluster"
	"stratus/edge/api"
	"stratus/signaling/playerauth"
	"stratus/signaling/route"
	"stratus/signaling/studio"
	"stratus/trust"
	"stratus/trust/enroll"
	"stratus/trust/nodeauth"
)

// Config is a signaling node's configuration.
type Config struct {
	// Name identifies this node in logs and to pages.
	Name string
	// Region is where this node stands; players it serves prefer edges
	// there.
	Region string
	// Location is where this node stands, the routing hint for players
	// who have measured nothing.
	Location *cluster.Location
	// PublicURL is the node's player-facing base URL, as pages reach it;
	// other nodes' pages fall back to it, and its origin is the one pages
	// of this node send (the Origin rule, origin.go).
	PublicURL string
	// Edges are the base URLs of edge APIs this node routes to without
	// gossip (the all-in-one process).
	Edges []string
	// LAN are the gossip pools of the regions this node routes for, and
	// WAN the pool of signaling nodes; with them, Edges is not needed.
	LAN []cluster.PoolConfig
	WAN *cluster.PoolConfig
	// Route tunes edge choice.
	Route route.Config
	// Studio serves the studio API under /v1/studio/ and the catalog that
	// edges replicate under /v1/catalog; nil: neither is served. The
	// catalog is kept in the node's ledger when it keeps one (Registry,
	// LedgerDB), else in SQLite in Studio.DataDir.
	Studio *studio.Config
	// CatalogToken, when set, is required of edges reading the catalog
	// (cluster.DeriveToken of the cluster key, for cluster.PurposeCatalog).
	CatalogToken string
	// OperatorToken is required, as a Bearer token, of requests to the
	// operator's endpoints: /v1/sessions, /v1/edges and /v1/route (and,
	// through RequireOperator, whatever the process adds, such as
	// /metrics). Empty: those endpoints refuse everyone, saying why.
	OperatorToken trust.Token
	// TicketKey signs the ticket each call to an edge's control API
	// carries (cluster.DeriveKey of the cluster key, for
	// cluster.PurposeEdgeControl); nil sends none, to edges that take
	// calls from anyone.
	TicketKey []byte
	// OperatorOpen serves the operator's endpoints to anyone while no
	// OperatorToken is set: development only (stratus signal -dev), on a
	// machine whose users are all trusted.
	OperatorOpen bool
	// AllowedOrigins lists extra Origins that may open the player
	// WebSocket; the node's own (PublicURL's) is always allowed. Browsers
	// send Origin on WebSocket upgrades, so this is what stops other sites
	// from starting sessions on a player's behalf.
	AllowedOrigins []string
	// AllowNoOrigin admits player WebSockets that send no Origin (tools):
	// development only (stratus signal -dev). Browsers always send one, so
	// elsewhere a socket without it is not a page's and is refused.
	AllowNoOrigin bool
	// Limits bound what one client may ask (see Limits).
	Limits Limits
	// Queue bounds the queue of players waiting for room (see Queue).
	Queue Queue
	// PlayerAuth, when set, admits only players who sign in with its
	// identity provider: each join carries a token (protocol.go), and the
	// token's subject is the player, for Limits.SessionsPerPlayer and on
	// the edge. nil: players are anonymous.
	PlayerAuth *playerauth.Config
	// ResumeKey opens the players' resume tokens (cluster.DeriveKey of the
	// cluster key, for cluster.PurposeResume), so that this node spends
	// each once across all its edges; nil leaves that to each edge.
	ResumeKey []byte
	// JoinTimeout bounds one join, edge set-up included.
	JoinTimeout time.Duration
	// Registry, when set, is the network's enrollment registry this node
	// keeps (package trust/enroll): the node certifies its own key with
	// it, its pools then believe only certified nodes, it routes only to
	// enrolled edges of operators not revoked, and it serves
	// /v1/operators (to the operator) and /v1/enroll (to edges). Nil
	// (development): it routes to every edge its pools believe.
	Registry *enroll.Config
	// DataDir holds the node's own key (node.key); needed with Registry.
	// The usage ledger lives there too (SQLite), unless LedgerDB names a
	// PostgreSQL database (postgres://…) that several nodes share.
	DataDir  string
	LedgerDB string
	// TURN, when set, hands every joined page the relays of its edge's
	// region with a credential for its session (iceservers.go); nil:
	// pages connect directly or not at all.
	TURN *TURN

	// NodeAuth bounds the signed requests enrolled nodes make for their
	// operator's status (GET /v1/node/status); zero fields take
	// nodeauth's defaults (a 30 s window).
	NodeAuth nodeauth.Config
}

// DefaultConfig returns the defaults.
func DefaultConfig() Config {
	// A join waits for the edge to answer with its ICE candidates, which
	// takes milliseconds; 10 s covers a slow edge without hanging the page.
	return Config{Name: "signal", Region: "local", JoinTimeout: 10 * time.Second, Route: route.DefaultConfig(), Limits: DefaultLimits(), Queue: DefaultQueue()}
}

// Validate reports every problem at once.
func (c Config) Validate() error {
	var errs []error
	if c.Name == "" {
		errs = append(errs, errors.New("signaling: name is empty"))
	}
	if len(c.Edges) == 0 && len(c.LAN) == 0 {
		errs = append(errs, errors.New("signaling: no edges and no gossip pools configured"))
	}
	for _, p := range c.LAN {
		if err := p.Validate(); err != nil {
			errs = append(errs, fmt.Errorf("signaling: pool %s: %w", p.Pool, err))
		}
	}
	if c.WAN != nil {
		if err := c.WAN.Validate(); err != nil {
			errs = append(errs, fmt.Errorf("signaling: wan pool: %w", err))
		}
	}
	if err := c.Route.Validate(); err != nil {
		errs = append(errs, err)
	}
	if c.Studio != nil {
		if err := c.Studio.Validate(); err != nil {
			errs = append(errs, err)
		}
	}
	for _, e := range c.Edges {
		if _, err := api.NewClient(e, nil); err != nil {
			errs = append(errs, fmt.Errorf("signaling: %w", err))
		}
	}
	if err := c.Limits.Validate(); err != nil {
		errs = append(errs, err)
	}
	if err := c.Queue.Validate(); err != nil {
		errs = append(errs, err)
	}
	if c.Registry != nil {
		if err := c.Registry.Validate(); err != nil {
			errs = append(errs, err)
		}
		if c.DataDir == "" {
			errs = append(errs, errors.New("signaling: a node keeping the registry needs a data directory for its own key"))
		}
		if err := c.NodeAuth.Validate(); err != nil {
			errs = append(errs, err)
		}
	}
	if c.PlayerAuth != nil {
		if err := c.PlayerAuth.Validate(); err != nil {
			errs = append(errs, err)
		}
	}
	if c.PublicURL != "" {
		if _, err := originOf(c.PublicURL); err != nil {
			errs = append(errs, fmt.Errorf("signaling: public url: %w", err))
		}
	}
	if c.TURN != nil {
		if err := c.TURN.Validate(); err != nil {
			errs = append(errs, err)
		}
	}
	if c.JoinTimeout <= 0 {
		errs = append(errs, fmt.Errorf("signaling: join timeout %v must be positive", c.JoinTimeout))
	}
	return errors.Join(errs...)
}
