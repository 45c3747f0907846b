package ledger

import (
	"fmt"
	"testing"
	"time"

	"stratus/edge/usage"
)

// BenchmarkPut inserts records in batches of 1,000, an edge's push; ns/op
// is per record.
func BenchmarkPut(b *testing.B) {
	s, err := Open(b.Context(), "", b.TempDir())
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	t0 := time.Now()
	batch := make([]usage.Record, 0, 1000)
	for i := 0; i < b.N; i++ {
		batch = append(batch, rec(fmt.Sprintf("s%09d", i), 1, "e1", t0.Add(time.Duration(i)*time.Millisecond)))
		if len(batch) == cap(batch) || i == b.N-1 {
			if _, err := s.Put(b.Context(), batch); err != nil {
				b.Fatal(err)
			}
			batch = batch[:0]
		}
	}
}
