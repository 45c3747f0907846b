package ledger

import (
	"fmt"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"stratus/edge/usage"
	"stratus/internal/pgtest"
)

// BenchmarkPut inserts records in batches of 1,000, an edge's push; ns/op
// is per record.
func BenchmarkPut(b *testing.B) {
	benchPut(b, "")
}

// BenchmarkPutPostgres is BenchmarkPut on a real PostgreSQL server on
// loopback, the database a signaling node uses in production.
func BenchmarkPutPostgres(b *testing.B) {
	if !havePostgres() {
		b.Skip("no PostgreSQL binaries (initdb, postgres) installed; scripts/setup.sh --test installs them")
	}
	benchPut(b, pgtest.Start(b))
}

// havePostgres reports whether pgtest can find a server to start, looking
// where pgtest looks, so that the skip above is the only way out.
func havePostgres() bool {
	for _, name := range []string{"initdb", "postgres"} {
		if _, err := exec.LookPath(name); err == nil {
			continue
		}
		if m, _ := filepath.Glob("/usr/lib/postgresql/*/bin/" + name); len(m) == 0 {
			return false
		}
	}
	return true
}

func benchPut(b *testing.B, dsn string) {
	s, err := Open(b.Context(), dsn, b.TempDir())
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	t0 := time.Now()
	batch := make([]usage.Record, 0, 1000)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		batch = append(batch, rec(fmt.Sprintf("s%09d", i), 1, "e1", t0.Add(time.Duration(i)*time.Millisecond)))
		if len(batch) == cap(batch) || i == b.N-1 {
			if _, err := s.Put(b.Context(), batch); err != nil {
				b.Fatal(err)
			}
			batch = batch[:0]
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "records/s")
}
