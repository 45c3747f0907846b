package ledger

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// The studio catalog (package signaling/studio) lives in the ledger's
// database, so that signaling nodes sharing one PostgreSQL share one
// catalog. The ledger keeps each title as the studio package's record,
// opaque here, beside the two columns it looks titles up by.
//
// Every change is one transaction that first moves the catalog's revision
// forward. That update takes the revision row's write lock (a row lock on
// PostgreSQL, the database's write lock on SQLite), so changes from every
// node are serialized: what a change reads inside its transaction (is the
// id taken, how many titles has the studio) is not changed by another
// node before it commits, and no two changes get the same revision.

// CatalogRow is one title of the studio catalog.
type CatalogRow struct {
	ID, Studio string
	// Record is the studio package's encoding of the title.
	Record []byte
}

// Catalog is the whole catalog at one revision.
type Catalog struct {
	Revision uint64
	Rows     []CatalogRow
}

// CatalogRevision returns the catalog's revision: nodes poll it to notice
// other nodes' changes.
func (s *Store) CatalogRevision(ctx context.Context) (uint64, error) {
	var rev int64
	if err := s.db.QueryRowContext(ctx, `SELECT rev FROM catalog_revision`).Scan(&rev); err != nil {
		return 0, fmt.Errorf("ledger: catalog revision: %w", err)
	}
	return uint64(rev), nil
}

// LoadCatalog returns the catalog, its rows and revision from one snapshot
// of the database.
func (s *Store) LoadCatalog(ctx context.Context) (Catalog, error) {
	// SQLite's transaction reads one snapshot from its first read on;
	// PostgreSQL's default (read committed) takes one per statement, so
	// it is asked for repeatable read.
	opts := &sql.TxOptions{ReadOnly: true}
	if s.pg {
		opts.Isolation = sql.LevelRepeatableRead
	}
	tx, err := s.db.BeginTx(ctx, opts)
	if err != nil {
		return Catalog{}, fmt.Errorf("ledger: catalog: %w", err)
	}
	defer tx.Rollback()
	var c Catalog
	var rev int64
	if err := tx.QueryRowContext(ctx, `SELECT rev FROM catalog_revision`).Scan(&rev); err != nil {
		return Catalog{}, fmt.Errorf("ledger: catalog revision: %w", err)
	}
	c.Revision = uint64(rev)
	rows, err := tx.QueryContext(ctx, `SELECT id, studio, record FROM catalog_titles ORDER BY id`)
	if err != nil {
		return Catalog{}, fmt.Errorf("ledger: catalog: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var r CatalogRow
		var rec string
		if err := rows.Scan(&r.ID, &r.Studio, &rec); err != nil {
			return Catalog{}, fmt.Errorf("ledger: catalog: %w", err)
		}
		r.Record = []byte(rec)
		c.Rows = append(c.Rows, r)
	}
	if err := rows.Err(); err != nil {
		return Catalog{}, fmt.Errorf("ledger: catalog: %w", err)
	}
	return c, nil
}

// CatalogTx is one change of the catalog in progress (see ChangeCatalog).
// It belongs to the function ChangeCatalog calls and is not used after.
type CatalogTx struct {
	ctx  context.Context
	s    *Store
	tx   *sql.Tx
	puts int
}

// Get returns title id, if there is one.
func (c *CatalogTx) Get(id string) (CatalogRow, bool, error) {
	r := CatalogRow{ID: id}
	var rec string
	err := c.tx.QueryRowContext(c.ctx, c.s.q(`SELECT studio, record FROM catalog_titles WHERE id = ?`), id).Scan(&r.Studio, &rec)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return CatalogRow{}, false, nil
	case err != nil:
		return CatalogRow{}, false, fmt.Errorf("ledger: catalog: %w", err)
	}
	r.Record = []byte(rec)
	return r, true, nil
}

// Count returns how many titles studio holds.
func (c *CatalogTx) Count(studio string) (int, error) {
	var n int
	if err := c.tx.QueryRowContext(c.ctx, c.s.q(`SELECT COUNT(*) FROM catalog_titles WHERE studio = ?`), studio).Scan(&n); err != nil {
		return 0, fmt.Errorf("ledger: catalog: %w", err)
	}
	return n, nil
}

// Put adds r or replaces the title with its id.
func (c *CatalogTx) Put(r CatalogRow) error {
	_, err := c.tx.ExecContext(c.ctx, c.s.q(`INSERT INTO catalog_titles (id, studio, record) VALUES (?, ?, ?)
		ON CONFLICT (id) DO UPDATE SET studio = excluded.studio, record = excluded.record`), r.ID, r.Studio, string(r.Record))
	if err != nil {
		return fmt.Errorf("ledger: catalog: %w", err)
	}
	c.puts++
	return nil
}

// ChangeCatalog runs change in a transaction that holds the catalog's
// write lock, and commits what it put when it returns nil. The revision it
// commits is the larger of the last one plus one, the time in Unix
// milliseconds, and floor: time-like revisions let edges that follow
// several catalogs (signaling nodes on separate databases) take the newest,
// and floor lets an imported catalog keep its revision from going back.
// It returns the new revision and whether anything changed; a change that
// put nothing commits nothing and leaves the revision where it was.
func (s *Store) ChangeCatalog(ctx context.Context, floor uint64, change func(*CatalogTx) error) (rev uint64, changed bool, err error) {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return 0, false, fmt.Errorf("ledger: catalog: %w", err)
	}
	defer tx.Rollback()
	next := max(uint64(max(time.Now().UnixMilli(), 0)), floor)
	// Written first, so that the lock is held before anything is read.
	if _, err := tx.ExecContext(ctx, s.q(`UPDATE catalog_revision SET rev = CASE WHEN rev + 1 > ? THEN rev + 1 ELSE ? END`),
		int64(next), int64(next)); err != nil {
		return 0, false, fmt.Errorf("ledger: catalog revision: %w", err)
	}
	var r int64
	if err := tx.QueryRowContext(ctx, `SELECT rev FROM catalog_revision`).Scan(&r); err != nil {
		return 0, false, fmt.Errorf("ledger: catalog revision: %w", err)
	}
	c := &CatalogTx{ctx: ctx, s: s, tx: tx}
	if err := change(c); err != nil {
		return 0, false, err
	}
	if c.puts == 0 {
		return 0, false, nil
	}
	if err := tx.Commit(); err != nil {
		return 0, false, fmt.Errorf("ledger: catalog: %w", err)
	}
	return uint64(r), true, nil
}
