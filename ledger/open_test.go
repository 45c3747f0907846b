package ledger

import (
	"sync"
	"testing"

	"stratus/internal/pgtest"
)

// Nodes starting together on one database (two on one data directory, or
// several on one PostgreSQL) migrate it once, and all open it.
func TestOpenTogether(t *testing.T) {
	for _, db := range []struct{ name, dsn string }{{"sqlite", ""}, {"postgres", "pg"}} {
		t.Run(db.name, func(t *testing.T) {
			dsn := db.dsn
			if dsn != "" {
				dsn = pgtest.Start(t)
			}
			dir := t.TempDir()
			const nodes = 4
			var wg sync.WaitGroup
			errs := make([]error, nodes)
			for i := range nodes {
				wg.Go(func() {
					s, err := Open(t.Context(), dsn, dir)
					if err == nil {
						_, err = s.CatalogRevision(t.Context())
						s.Close()
					}
					errs[i] = err
				})
			}
			wg.Wait()
			for i, err := range errs {
				if err != nil {
					t.Errorf("node %d: %v", i, err)
				}
			}
		})
	}
}
