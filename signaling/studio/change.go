package studio

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"stratus/ledger"
	"stratus/title/manifest"
)

// Create adds a title for studio from a validated manifest.
func (s *Store) Create(studio string, m manifest.Manifest) (Title, error) {
	return s.change(func(tx *ledger.CatalogTx) (Title, error) {
		if s.isReserved(m.ID) {
			return Title{}, fmt.Errorf("title %q: %w", m.ID, ErrReserved)
		}
		if _, ok, err := getTitle(tx, m.ID); err != nil {
			return Title{}, err
		} else if ok {
			return Title{}, fmt.Errorf("title %q: %w", m.ID, ErrTaken)
		}
		n, err := tx.Count(studio)
		if err != nil {
			return Title{}, err
		}
		if n >= s.lim.MaxTitles {
			return Title{}, fmt.Errorf("title %q: %d titles on record, retired ones included, and the limit is %d: %w", m.ID, n, s.lim.MaxTitles, ErrTitleQuota)
		}
		now := s.now().UTC()
		t := Title{
			ID: m.ID, Studio: studio, Version: m.Version, Manifest: cloneManifest(m),
			Created: now, Updated: now, Versions: []string{m.Version},
		}
		return t, putTitle(tx, t)
	})
}

// Update publishes a new version of studio's title m.ID. The version must
// differ from the current one: the same version with other contents would
// leave edges unable to tell which build they run.
func (s *Store) Update(studio string, m manifest.Manifest) (Title, error) {
	return s.change(func(tx *ledger.CatalogTx) (Title, error) {
		if s.isReserved(m.ID) {
			// Before ownership: a studio holding a reserved id from
			// before it was reserved may not publish to it either.
			return Title{}, fmt.Errorf("title %q: %w", m.ID, ErrReserved)
		}
		old, err := ownedTitle(tx, studio, m.ID)
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
		return t, putTitle(tx, t)
	})
}

// Retire takes studio's title out of the player catalog. Retiring a retired
// title changes nothing and is not an error, so a retried request succeeds.
func (s *Store) Retire(studio, id string) (Title, error) {
	return s.change(func(tx *ledger.CatalogTx) (Title, error) {
		old, err := ownedTitle(tx, studio, id)
		if err != nil || old.Retired {
			return old, err
		}
		t := cloneTitle(old)
		t.Retired, t.Updated = true, s.now().UTC()
		return t, putTitle(tx, t)
	})
}

// change runs one change in a database transaction (see
// ledger.Store.ChangeCatalog): fn reads what it checks and writes what it
// changes there, so that another node's change in between can neither be
// lost nor slip past a check. When something changed, the Store's copy is
// brought up to date before change returns, so a studio reads its own
// writes at once.
func (s *Store) change(fn func(tx *ledger.CatalogTx) (Title, error)) (Title, error) {
	s.wmu.Lock()
	defer s.wmu.Unlock()
	s.mu.RLock()
	closed := s.closed
	s.mu.RUnlock()
	if closed {
		return Title{}, ErrClosed
	}
	ctx, cancel := context.WithTimeout(s.ctx, dbTimeout)
	defer cancel()
	var out Title
	_, changed, err := s.db.ChangeCatalog(ctx, 0, func(tx *ledger.CatalogTx) error {
		t, err := fn(tx)
		if err != nil {
			return err
		}
		if s.failChange != nil {
			if err := s.failChange(); err != nil {
				return err
			}
		}
		out = t
		return nil
	})
	if err != nil {
		if _, refusal := asError(err); !refusal {
			s.log.Error("studio: catalog change failed", "err", err)
		}
		return Title{}, err
	}
	if changed {
		if err := s.refresh(ctx); err != nil {
			// The change is in: the follower brings the copy up
			// to date at its next turn.
			s.log.Warn("studio: reading the catalog back after a change", "err", err)
		}
	}
	return cloneTitle(out), nil
}

// getTitle reads title id inside a change.
func getTitle(tx *ledger.CatalogTx, id string) (Title, bool, error) {
	row, ok, err := tx.Get(id)
	if err != nil || !ok {
		return Title{}, false, err
	}
	t, err := decodeTitle(row)
	return t, err == nil, err
}

// ownedTitle reads title id inside a change, if studio owns it.
func ownedTitle(tx *ledger.CatalogTx, studio, id string) (Title, error) {
	t, ok, err := getTitle(tx, id)
	if err != nil {
		return Title{}, err
	}
	return t, ownership(t, ok, studio, id)
}

// putTitle writes t inside a change.
func putTitle(tx *ledger.CatalogTx, t Title) error {
	t.Edges = nil // an API answer's, never stored
	rec, err := json.Marshal(t)
	if err != nil {
		return fmt.Errorf("studio: encoding title %q: %w", t.ID, err)
	}
	return tx.Put(ledger.CatalogRow{ID: t.ID, Studio: t.Studio, Record: rec})
}

// decodeTitle reads a title as the database keeps it.
func decodeTitle(row ledger.CatalogRow) (Title, error) {
	var t Title
	if err := json.Unmarshal(row.Record, &t); err != nil {
		return Title{}, fmt.Errorf("studio: title %q in the database: %w", row.ID, err)
	}
	if t.ID != row.ID || t.Studio != row.Studio {
		return Title{}, fmt.Errorf("studio: title %q in the database: its record names %q of %q", row.ID, t.ID, t.Studio)
	}
	return t, nil
}

// refresh replaces the Store's copy with the database's catalog, unless
// the copy is as new already (a slower read finishing after a faster one),
// and wakes the watchers when it changed.
func (s *Store) refresh(ctx context.Context) error {
	c, err := s.db.LoadCatalog(ctx)
	if err != nil {
		return err
	}
	titles := make(map[string]Title, len(c.Rows))
	for _, row := range c.Rows {
		t, err := decodeTitle(row)
		if err != nil {
			return err
		}
		titles[t.ID] = t
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.loaded && c.Revision <= s.rev {
		return nil
	}
	s.titles, s.rev = titles, c.Revision
	if s.loaded {
		close(s.changed)
		s.changed = make(chan struct{})
	}
	s.loaded = true
	return nil
}

// follow brings the Store's copy up to date whenever the database's
// revision moves (another node's change); it runs from OpenStoreDB until
// Close. While the database cannot be read, the last copy is served.
func (s *Store) follow() {
	defer close(s.done)
	tick := time.NewTicker(followEvery)
	defer tick.Stop()
	failing := false
	for {
		select {
		case <-s.ctx.Done():
			return
		case <-tick.C:
		}
		err := s.catchUp()
		switch {
		case err != nil && s.ctx.Err() != nil:
			return
		case err != nil && !failing:
			s.log.Warn("studio: cannot follow the catalog in the database; serving the last copy", "err", err)
			failing = true
		case err == nil && failing:
			s.log.Info("studio: following the catalog in the database again")
			failing = false
		}
	}
}

// catchUp reads the catalog again if its revision moved.
func (s *Store) catchUp() error {
	ctx, cancel := context.WithTimeout(s.ctx, dbTimeout)
	defer cancel()
	rev, err := s.db.CatalogRevision(ctx)
	if err != nil || rev == s.Revision() {
		return err
	}
	return s.refresh(ctx)
}
