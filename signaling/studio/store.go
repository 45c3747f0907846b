package studio

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"os"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"stratus/ledger"
	"stratus/title/catalog"
	"stratus/title/manifest"
)

// Title is one studio title as the catalog keeps it.
type Title struct {
	ID       string            `json:"id"`
	Studio   string            `json:"studio"`
	Version  string            `json:"version"` // the current one, Manifest.Version
	Manifest manifest.Manifest `json:"manifest"`
	Created  time.Time         `json:"created"`
	Updated  time.Time         `json:"updated"`
	// Retired titles leave the player catalog but stay on record, so
	// their id is never handed to another studio.
	Retired bool `json:"retired,omitempty"`
	// Versions lists every version published, oldest first, the current
	// one last.
	Versions []string `json:"versions"`
	// Edges says, in API answers, which edges can run the title and why
	// others cannot; never stored.
	Edges []EdgeStatus `json:"edges,omitempty"`
}

// EdgeStatus is one edge's verdict on one title.
type EdgeStatus struct {
	Edge     string `json:"edge"`
	Region   string `json:"region,omitempty"`
	Version  string `json:"version,omitempty"` // the version the edge has
	Runnable bool   `json:"runnable"`
	Reason   string `json:"reason,omitempty"`
}

// EdgeReports gathers, by title id, what the edges say about the titles
// they hold. It is called from request goroutines, concurrently.
type EdgeReports func(ctx context.Context) map[string][]EdgeStatus

// dbTimeout bounds one catalog query or change: a database that has not
// answered in 10 s is down, and a studio is better told so than kept
// waiting.
const dbTimeout = 10 * time.Second

// followEvery is how often a Store asks the database for the catalog's
// revision, to notice the changes other signaling nodes sharing it made:
// their edges' catalog feed and the revision a node gossips then follow
// another node's upload within about a second, for one small query a
// second per node.
const followEvery = time.Second

// CatalogDB is the database a Store keeps the catalog in: a ledger.Store,
// SQLite in a data directory or a PostgreSQL that several signaling nodes
// share. Its methods may be called from any goroutine; ChangeCatalog
// serializes changes across every node sharing the database.
type CatalogDB interface {
	CatalogRevision(ctx context.Context) (uint64, error)
	LoadCatalog(ctx context.Context) (ledger.Catalog, error)
	ChangeCatalog(ctx context.Context, floor uint64, change func(*ledger.CatalogTx) error) (uint64, bool, error)
}

// Store is the catalog of studio titles, kept in a database (CatalogDB)
// with a copy in memory that reads are served from. Changes are checked
// and made inside one database transaction each, so that nodes sharing the
// database never lose each other's titles; each node's copy follows the
// database's revision (followEvery). It is safe for concurrent use.
type Store struct {
	db CatalogDB
	// ownDB is the database when the Store opened it itself (SQLite in
	// its directory); it is closed with the Store.
	ownDB io.Closer
	log   *slog.Logger
	lim   Limits
	// reserved is lim's reserved ids, lower-cased (Limits.reservedSet).
	reserved map[string]bool
	now      func() time.Time
	// failChange, when set, runs inside every change's transaction after
	// its writes; tests use it to fail a change half-way.
	failChange func() error

	// ctx ends at Close, ending the follower's queries with it.
	ctx    context.Context
	cancel context.CancelFunc
	done   chan struct{} // closed when the follower has returned
	// wmu serializes this node's changes (the database serializes them
	// between nodes) and lets Close wait for the one in flight.
	wmu       sync.Mutex
	closeOnce sync.Once

	mu     sync.RWMutex
	titles map[string]Title
	rev    uint64
	loaded bool
	// changed is closed and replaced at every change (see Changed).
	changed chan struct{}
	closed  bool
}

// OpenStore opens the catalog in SQLite in dir with the default Limits.
func OpenStore(dir string, log *slog.Logger) (*Store, error) {
	return OpenStoreDB(nil, dir, Limits{}, log)
}

// OpenStoreLimits opens the catalog in SQLite in dir and holds studios to
// lim (zero fields: the defaults).
func OpenStoreLimits(dir string, lim Limits, log *slog.Logger) (*Store, error) {
	return OpenStoreDB(nil, dir, lim, log)
}

// OpenStoreDB opens the catalog in db or, with db nil, in the ledger's
// SQLite database in dir (ledger.db), creating dir as needed, and holds
// studios to lim (zero fields: the defaults). A catalog file an earlier
// Stratus kept in dir is imported first (see importFile). A title the
// database holds damaged is an error rather than a title left out, so that
// a bad disk never quietly drops titles.
func OpenStoreDB(db CatalogDB, dir string, lim Limits, log *slog.Logger) (*Store, error) {
	if err := lim.validate(); err != nil {
		return nil, err
	}
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return nil, fmt.Errorf("studio: data dir: %w", err)
	}
	lim = lim.withDefaults()
	ctx, cancel := context.WithCancel(context.Background())
	s := &Store{db: db, log: log, lim: lim, reserved: lim.reservedSet(), now: time.Now,
		ctx: ctx, cancel: cancel, done: make(chan struct{}), titles: map[string]Title{}, changed: make(chan struct{})}
	octx, ocancel := context.WithTimeout(ctx, dbTimeout)
	defer ocancel()
	if db == nil {
		l, err := ledger.Open(octx, "", dir)
		if err != nil {
			cancel()
			return nil, fmt.Errorf("studio: %w", err)
		}
		s.db, s.ownDB = l, l
	}
	err := s.importFile(octx, dir)
	if err == nil {
		err = s.refresh(octx)
	}
	if err != nil {
		cancel()
		if s.ownDB != nil {
			s.ownDB.Close()
		}
		return nil, err
	}
	for _, t := range s.titles {
		if s.isReserved(t.ID) {
			// Taken before the id was reserved: kept on record, but
			// never offered (see Snapshot).
			log.Warn("studio: a title has a reserved id; it is left out of the player catalog", "title", t.ID, "studio", t.Studio)
		}
	}
	log.Info("studio catalog loaded", "titles", len(s.titles), "revision", s.rev)
	go s.follow()
	return s, nil
}

// Close stops the following and further changes, waiting for a change in
// flight, and closes the database if the Store opened it. Safe to call
// twice.
func (s *Store) Close() error {
	s.closeOnce.Do(func() {
		s.cancel()
		<-s.done
		s.wmu.Lock()
		defer s.wmu.Unlock()
		s.mu.Lock()
		s.closed = true
		s.mu.Unlock()
		if s.ownDB != nil {
			s.ownDB.Close()
		}
	})
	return nil
}

// Get returns studio's title id, as the database has it now (see fresh).
func (s *Store) Get(studio, id string) (Title, error) {
	s.fresh()
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.closed {
		return Title{}, ErrClosed
	}
	t, ok := s.titles[id]
	if err := ownership(t, ok, studio, id); err != nil {
		return Title{}, err
	}
	return cloneTitle(t), nil
}

// List returns studio's titles, retired ones included, by id, as the
// database has them now (see fresh).
func (s *Store) List(studio string) []Title {
	s.fresh()
	s.mu.RLock()
	defer s.mu.RUnlock()
	out := []Title{}
	for _, t := range s.titles {
		if t.Studio == studio {
			out = append(out, cloneTitle(t))
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out
}

// fresh brings the copy up to date before a studio's read, so that a
// studio whose requests a load balancer spreads over several nodes reads
// its own writes: one small query, on the studio API only (the edges' feed
// reads the copy, which the follower keeps within followEvery). Should the
// database not answer, the read is served from the copy.
func (s *Store) fresh() {
	s.mu.RLock()
	closed := s.closed
	s.mu.RUnlock()
	if closed {
		return
	}
	if err := s.catchUp(); err != nil && s.ctx.Err() == nil {
		s.log.Warn("studio: reading the catalog in the database; answering from the last copy", "err", err)
	}
}

// Owners maps every title on record, retired ones too, to its studio: a
// retired title's past usage is still its studio's.
func (s *Store) Owners() map[string]string {
	s.mu.RLock()
	defer s.mu.RUnlock()
	out := make(map[string]string, len(s.titles))
	for _, t := range s.titles {
		out[t.ID] = t.Studio
	}
	return out
}

// Revision identifies the catalog's contents: it grows with every change,
// whichever node made it, and survives restarts. It is the time of the
// change in Unix milliseconds (or one more than the last, should clocks
// step back), so that edges following several signaling nodes on separate
// databases take the newest catalog.
func (s *Store) Revision() uint64 {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.rev
}

// Changed returns a channel that is closed at the next change of the
// catalog, this node's or one it followed; take a new one after each.
func (s *Store) Changed() <-chan struct{} {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.changed
}

// Snapshot returns the catalog as edges replicate it: the manifests of all
// titles not retired, by id.
func (s *Store) Snapshot() catalog.Snapshot {
	s.mu.RLock()
	defer s.mu.RUnlock()
	out := []manifest.Manifest{}
	for _, t := range s.titles {
		if !t.Retired && !s.isReserved(t.ID) {
			out = append(out, cloneManifest(t.Manifest))
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return catalog.Snapshot{Revision: s.rev, Titles: out}
}

// isReserved reports whether id, in any case, is one no studio may take.
// It needs no lock: reserved is never written after OpenStoreDB.
func (s *Store) isReserved(id string) bool { return s.reserved[strings.ToLower(id)] }

// ownership says whether studio may act on title id, t (found: ok).
func ownership(t Title, ok bool, studio, id string) error {
	switch {
	case !ok:
		return fmt.Errorf("title %q: %w", id, ErrNotFound)
	case t.Studio != studio:
		return fmt.Errorf("title %q: %w", id, ErrForbidden)
	}
	return nil
}

// cloneTitle and cloneManifest copy the slices and maps too, so that what
// a caller gets can never change what the Store holds, or the reverse.
func cloneTitle(t Title) Title {
	t.Manifest = cloneManifest(t.Manifest)
	t.Versions = slices.Clone(t.Versions)
	return t
}

func cloneManifest(m manifest.Manifest) manifest.Manifest {
	m.Args = slices.Clone(m.Args)
	m.Env = maps.Clone(m.Env)
	m.Input.Touch.Buttons = slices.Clone(m.Input.Touch.Buttons)
	m.Regions = slices.Clone(m.Regions)
	return m
}
