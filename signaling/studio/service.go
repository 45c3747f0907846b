package studio

import (
	"errors"
	"fmt"
	"log/slog"
)

// Config configures the studio API.
type Config struct {
	// DataDir holds the catalog's SQLite database (ledger.db) when DB is
	// nil; a catalog file an earlier Stratus kept there (titles.json) is
	// imported into the database at the first start.
	DataDir string
	// DB, when set, is the database the catalog is kept in: the
	// signaling node's ledger, so that nodes sharing one PostgreSQL
	// share one catalog. The Service does not close it.
	DB CatalogDB
	// KeysFile is a JSON file of studio keys, {"studio": ["key", …]}.
	KeysFile string
	// Keys are more keys given directly, in the same form (tests,
	// embedding).
	Keys map[string][]string
	// DevKey, for development only, is a key for the studio "dev"
	// (DevStudio), so that a local setup needs no keys file:
	//
	//	stratus serve -studio-dev-key dev-key-0123456789
	//	STRATUS_STUDIO_KEY=dev-key-0123456789 stratus title add game.json
	//
	// It must be at least MinKeyLen characters like any other key.
	DevKey string
	// Limits are what one studio may hold; zero fields take the
	// defaults, and the built-in titles' ids are always reserved.
	Limits Limits
	// Auth bounds failed authentications per client address; zero
	// fields take the defaults.
	Auth AuthLimits
}

// Validate reports every problem at once.
func (c Config) Validate() error {
	var errs []error
	if c.DataDir == "" {
		errs = append(errs, errors.New("studio: data dir is empty"))
	}
	if c.KeysFile == "" && len(c.Keys) == 0 && c.DevKey == "" {
		errs = append(errs, errors.New("studio: no keys: set a keys file or a dev key"))
	}
	if c.DevKey != "" && len(c.DevKey) < MinKeyLen {
		errs = append(errs, fmt.Errorf("studio: dev key is shorter than %d characters", MinKeyLen))
	}
	errs = append(errs, c.Limits.validate(), c.Auth.validate())
	return errors.Join(errs...)
}

// keys builds the Keys from every source in c.
func (c Config) keys() (*Keys, error) {
	all := map[string][]string{}
	if c.KeysFile != "" {
		// Merged before NewKeys, so that a key shared between the file
		// and the other sources is caught too.
		raw, err := readKeysFile(c.KeysFile)
		if err != nil {
			return nil, err
		}
		for st, ks := range raw {
			all[st] = append(all[st], ks...)
		}
	}
	for st, ks := range c.Keys {
		all[st] = append(all[st], ks...)
	}
	if c.DevKey != "" {
		all[DevStudio] = append(all[DevStudio], c.DevKey)
	}
	return NewKeys(all)
}

// Service is the studio API and the catalog behind it.
type Service struct {
	store *Store
	keys  *Keys
	auth  *authLimiter
	log   *slog.Logger
	// reports, when set, adds the edges' verdicts to API answers.
	reports EdgeReports
}

// SetEdgeReports makes API answers say which edges run each title. Call
// it before serving.
func (s *Service) SetEdgeReports(r EdgeReports) { s.reports = r }

// New opens the catalog (cfg.DB, else SQLite in cfg.DataDir) and loads
// the keys.
func New(cfg Config, log *slog.Logger) (*Service, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	log = log.With("component", "studio")
	keys, err := cfg.keys()
	if err != nil {
		return nil, err
	}
	if cfg.DevKey != "" {
		log.Warn("studio: dev key enabled; do not use in production", "studio", DevStudio)
	}
	store, err := OpenStoreDB(cfg.DB, cfg.DataDir, cfg.Limits, log)
	if err != nil {
		return nil, err
	}
	return &Service{store: store, keys: keys, auth: newAuthLimiter(cfg.Auth), log: log}, nil
}

// Store is the catalog itself.
func (s *Service) Store() *Store { return s.store }

// Close stops further changes and the following of other nodes' changes.
func (s *Service) Close() error { return s.store.Close() }
