package route

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"testing"
)

// TestSortKeys checks the radix sort against the comparison it replaces,
// on lists with many equal scores and names, and with scores the radix
// cannot take.
func TestSortKeys(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 7))
	for round := range 200 {
		n := rng.IntN(3 * radixMin)
		edges := make([]Edge, n)
		keys := make([]key, n)
		for i := range keys {
			edges[i].Name = fmt.Sprint("e", rng.IntN(n/2+1))
			score := float64(rng.IntN(20)) / 4
			if rng.IntN(3) == 0 {
				score = rng.Float64() * 1e4
			}
			keys[i] = key{score: score, idx: int32(i), class: uint8(rng.IntN(classNever + 1))}
		}
		if round%10 == 9 && n > 0 {
			keys[rng.IntN(n)].score = math.Inf(1)
		}
		if round%20 == 19 && n > 0 {
			keys[rng.IntN(n)].score = -1
		}
		want := slices.Clone(keys)
		slices.SortFunc(want, func(a, b key) int { return compareKeys(edges, a, b) })
		sortKeys(keys, edges)
		if !slices.Equal(keys, want) {
			t.Fatalf("round %d (n %d): radix order differs from compareKeys", round, n)
		}
	}
}

func TestPermute(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 3))
	for range 50 {
		n := rng.IntN(50)
		cands := make([]Candidate, n)
		keys := make([]key, n)
		for i, p := range rng.Perm(n) {
			cands[i].Edge = fmt.Sprint(i)
			keys[i].idx = int32(p)
		}
		want := make([]Candidate, n)
		for j, k := range keys {
			want[j] = cands[k.idx]
		}
		permute(cands, keys)
		if !slices.Equal(cands, want) {
			t.Fatalf("permute: %v, want %v", cands, want)
		}
	}
}
