package studio

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"
	"syscall"
	"time"

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

// storeFile is the catalog file's name in the data directory; temporary
// files next to it start with tempPrefix.
const (
	storeFile   = "titles.json"
	tempPrefix  = ".titles-"
	storeFormat = 1
)

// fileData is the catalog file. Format lets a later Stratus change the
// layout and still read this one.
type fileData struct {
	Format int `json:"format"`
	// Revision orders catalog versions; see Store.Revision.
	Revision uint64  `json:"revision,omitempty"`
	Titles   []Title `json:"titles"`
}

// Store is the catalog of studio titles, kept in one JSON file that every
// change rewrites atomically. It is safe for concurrent use; changes are
// serialized, since each rewrites the whole file.
type Store struct {
	dir string
	log *slog.Logger
	lim Limits
	// reserved is lim's reserved ids, lower-cased (Limits.reservedSet).
	reserved map[string]bool
	now      func() time.Time
	// beforeRename, when set, runs after the temporary file is written
	// and synced; tests use it to fail a write half-way.
	beforeRename func(tmp string) error

	mu     sync.RWMutex
	titles map[string]Title
	rev    uint64
	// changed is closed and replaced at every change (see Changed).
	changed chan struct{}
	closed  bool
}

// OpenStore loads the catalog in dir with the default Limits.
func OpenStore(dir string, log *slog.Logger) (*Store, error) {
	return OpenStoreLimits(dir, Limits{}, log)
}

// OpenStoreLimits loads the catalog in dir, creating dir if needed, and
// holds studios to lim (zero fields: the defaults). An absent file is an
// empty catalog; a damaged one is an error rather than an empty catalog,
// so that a bad disk never quietly drops every title.
func OpenStoreLimits(dir string, lim Limits, log *slog.Logger) (*Store, error) {
	if err := lim.validate(); err != nil {
		return nil, err
	}
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return nil, fmt.Errorf("studio: data dir: %w", err)
	}
	lim = lim.withDefaults()
	s := &Store{dir: dir, log: log, lim: lim, reserved: lim.reservedSet(), now: time.Now, titles: map[string]Title{}, changed: make(chan struct{})}
	s.removeTemps()
	data, err := os.ReadFile(s.path())
	if os.IsNotExist(err) {
		return s, nil
	}
	if err != nil {
		return nil, fmt.Errorf("studio: %w", err)
	}
	var f fileData
	if err := json.Unmarshal(data, &f); err != nil {
		return nil, fmt.Errorf("studio: %s: %w", s.path(), err)
	}
	if f.Format != storeFormat {
		return nil, fmt.Errorf("studio: %s: format %d, this Stratus reads %d", s.path(), f.Format, storeFormat)
	}
	for _, t := range f.Titles {
		s.titles[t.ID] = t
		if s.isReserved(t.ID) {
			// Taken before the id was reserved: kept on record, but
			// never offered (see Snapshot).
			log.Warn("studio: a title has a reserved id; it is left out of the player catalog", "title", t.ID, "studio", t.Studio)
		}
	}
	s.rev = f.Revision
	log.Info("studio catalog loaded", "titles", len(s.titles), "revision", s.rev, "file", s.path())
	return s, nil
}

func (s *Store) path() string { return filepath.Join(s.dir, storeFile) }

// removeTemps deletes temporary files a crash left behind: they never
// replaced the catalog, so they hold nothing that counts.
func (s *Store) removeTemps() {
	leftovers, _ := filepath.Glob(filepath.Join(s.dir, tempPrefix+"*"))
	for _, p := range leftovers {
		if err := os.Remove(p); err == nil {
			s.log.Warn("studio: removed an unfinished catalog write", "file", p)
		}
	}
}

// Close stops further changes. The file needs no closing: each write is
// complete when it returns.
func (s *Store) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.closed = true
	return nil
}

// Create adds a title for studio from a validated manifest.
func (s *Store) Create(studio string, m manifest.Manifest) (Title, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return Title{}, ErrClosed
	}
	if s.isReserved(m.ID) {
		return Title{}, fmt.Errorf("title %q: %w", m.ID, ErrReserved)
	}
	if _, ok := s.titles[m.ID]; ok {
		return Title{}, fmt.Errorf("title %q: %w", m.ID, ErrTaken)
	}
	if n := s.count(studio); n >= s.lim.MaxTitles {
		return Title{}, fmt.Errorf("title %q: %d titles on record, retired ones included, and the limit is %d: %w", m.ID, n, s.lim.MaxTitles, ErrTitleQuota)
	}
	now := s.now().UTC()
	t := Title{
		ID: m.ID, Studio: studio, Version: m.Version, Manifest: cloneManifest(m),
		Created: now, Updated: now, Versions: []string{m.Version},
	}
	if err := s.commit(t, nil); err != nil {
		return Title{}, err
	}
	return cloneTitle(t), nil
}

// Update publishes a new version of studio's title m.ID. The version must
// differ from the current one: the same version with other contents would
// leave edges unable to tell which build they run.
func (s *Store) Update(studio string, m manifest.Manifest) (Title, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.isReserved(m.ID) {
		// Before ownership: a studio holding a reserved id from before
		// it was reserved may not publish to it either.
		return Title{}, fmt.Errorf("title %q: %w", m.ID, ErrReserved)
	}
	old, err := s.owned(studio, m.ID)
	if err != nil {
		return Title{}, err
	}
	switch {
	case old.Retired:
		return Title{}, fmt.Errorf("title %q: %w", m.ID, ErrRetired)
	case old.Version == m.Version:
		return Title{}, fmt.Errorf("title %q version %s: %w", m.ID, m.Version, ErrSameVersion)
	case len(old.Versions) >= s.lim.MaxVersions:
		return Title{}, fmt.Errorf("title %q: %d versions published, and the limit is %d: %w", m.ID, len(old.Versions), s.lim.MaxVersions, ErrVersionQuota)
	}
	t := cloneTitle(old)
	t.Version, t.Manifest, t.Updated = m.Version, cloneManifest(m), s.now().UTC()
	t.Versions = append(t.Versions, m.Version)
	if err := s.commit(t, &old); err != nil {
		return Title{}, err
	}
	return cloneTitle(t), nil
}

// Retire takes studio's title out of the player catalog. Retiring a retired
// title changes nothing and is not an error, so a retried request succeeds.
func (s *Store) Retire(studio, id string) (Title, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	old, err := s.owned(studio, id)
	if err != nil {
		return Title{}, err
	}
	if old.Retired {
		return cloneTitle(old), nil
	}
	t := cloneTitle(old)
	t.Retired, t.Updated = true, s.now().UTC()
	if err := s.commit(t, &old); err != nil {
		return Title{}, err
	}
	return cloneTitle(t), nil
}

// Get returns studio's title id.
func (s *Store) Get(studio, id string) (Title, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	t, err := s.owned(studio, id)
	if err != nil {
		return Title{}, err
	}
	return cloneTitle(t), nil
}

// List returns studio's titles, retired ones included, by id.
func (s *Store) List(studio string) []Title {
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

// Revision identifies the catalog's contents: it grows with every change and
// survives restarts. It is the time of the change in Unix milliseconds
// (or one more than the last, should the clock step back), so that edges
// following several signaling nodes take the newest catalog.
func (s *Store) Revision() uint64 {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.rev
}

// Changed returns a channel that is closed at the next change of the
// catalog; take a new one after each.
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
// It needs no lock: reserved is never written after OpenStoreLimits.
func (s *Store) isReserved(id string) bool { return s.reserved[strings.ToLower(id)] }

// count is the number of studio's titles, retired ones included. Callers
// hold s.mu.
func (s *Store) count(studio string) int {
	n := 0
	for _, t := range s.titles {
		if t.Studio == studio {
			n++
		}
	}
	return n
}

// owned returns title id if studio owns it. Callers hold s.mu.
func (s *Store) owned(studio, id string) (Title, error) {
	if s.closed {
		return Title{}, ErrClosed
	}
	t, ok := s.titles[id]
	switch {
	case !ok:
		return Title{}, fmt.Errorf("title %q: %w", id, ErrNotFound)
	case t.Studio != studio:
		return Title{}, fmt.Errorf("title %q: %w", id, ErrForbidden)
	}
	return t, nil
}

// commit puts t in the catalog and writes the file; if the write fails it
// puts back old (nil: no title before), so memory never runs ahead of disk.
// Callers hold s.mu for writing.
func (s *Store) commit(t Title, old *Title) error {
	s.titles[t.ID] = t
	oldRev := s.rev
	s.rev = max(s.rev+1, uint64(max(s.now().UnixMilli(), 0)))
	err := s.write()
	if err != nil {
		if old == nil {
			delete(s.titles, t.ID)
		} else {
			s.titles[t.ID] = *old
		}
		s.rev = oldRev
		s.log.Error("studio: catalog write failed", "title", t.ID, "err", err)
		return err
	}
	close(s.changed)
	s.changed = make(chan struct{})
	return nil
}

// write replaces the catalog file: the new contents go to a temporary file
// in the same directory, which is synced and then renamed over the old one.
// A rename within a directory is atomic, so a reader or a restart after a
// crash finds the old catalog or the new one, never a mix.
func (s *Store) write() (err error) {
	f := fileData{Format: storeFormat, Revision: s.rev, Titles: make([]Title, 0, len(s.titles))}
	for _, id := range slices.Sorted(maps.Keys(s.titles)) {
		f.Titles = append(f.Titles, s.titles[id])
	}
	data, err := json.MarshalIndent(f, "", "  ")
	if err != nil {
		return fmt.Errorf("studio: encoding catalog: %w", err)
	}
	tmp, err := os.CreateTemp(s.dir, tempPrefix+"*")
	if err != nil {
		return fmt.Errorf("studio: %w", err)
	}
	defer func() {
		if err != nil {
			tmp.Close()
			os.Remove(tmp.Name())
			err = fmt.Errorf("studio: writing catalog: %w", err)
		}
	}()
	if _, err = tmp.Write(append(data, '\n')); err != nil {
		return err
	}
	// Sync before rename: otherwise a crash could leave the rename on
	// disk but not the data, an empty catalog under the real name.
	if err = tmp.Sync(); err != nil {
		return err
	}
	if err = tmp.Close(); err != nil {
		return err
	}
	if s.beforeRename != nil {
		if err = s.beforeRename(tmp.Name()); err != nil {
			return err
		}
	}
	if err = os.Rename(tmp.Name(), s.path()); err != nil {
		return err
	}
	// The rename is done and the new catalog is what a reader sees; a
	// failed directory sync only means a crash now might bring back the
	// previous catalog, which is no reason to fail the change.
	// Some file systems cannot sync a directory (EINVAL): nothing lost.
	if d, derr := os.Open(s.dir); derr == nil {
		if serr := d.Sync(); serr != nil && !errors.Is(serr, syscall.EINVAL) {
			s.log.Warn("studio: syncing data dir", "err", serr)
		}
		d.Close()
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
