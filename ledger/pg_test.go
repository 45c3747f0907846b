package ledger

import (
	"testing"

	"stratus/internal/pgtest"
)

// TestPostgres runs the ledger's checks on a real PostgreSQL server (from
// Debian's postgresql, which make test installs), started here in a
// temporary directory on a loopback port.
func TestPostgres(t *testing.T) {
	dsn := pgtest.Start(t)
	checkLedger(t, dsn, t.TempDir())
	checkShared(t, dsn, t.TempDir())
	checkEach(t, pgtest.NewDatabase(t, dsn, "each"), t.TempDir())
}
