package stream

import (
	"fmt"
	"math/rand/v2"
	"testing"
)

// peel is the receiver's recovery: while some repair packet it holds
// misses exactly one media packet, rebuild that one. It reports whether
// every lost media packet came back.
func peel(cover [][]int, lostMedia map[int]bool, lostRepair map[int]bool) bool {
	lost := map[int]bool{}
	for i := range lostMedia {
		lost[i] = true
	}
	for progress := true; progress && len(lost) > 0; {
		progress = false
		for j, c := range cover {
			if lostRepair[j] {
				continue
			}
			missing, n := -1, 0
			for _, i := range c {
				if lost[i] {
					missing, n = i, n+1
				}
			}
			if n == 1 {
				delete(lost, missing)
				progress = true
			}
		}
	}
	return len(lost) == 0
}

func interleaved(size, n int) [][]int {
	cover := make([][]int, n)
	for i := range size {
		cover[i%n] = append(cover[i%n], i)
	}
	return cover
}

func TestRoundRobin(t *testing.T) {
	for n := 3; n <= 12; n++ {
		pairs := roundRobin(n)
		if len(pairs) != n*(n-1)/2 {
			t.Fatalf("n=%d: %d pairs, want %d", n, len(pairs), n*(n-1)/2)
		}
		seen := map[[2]int]bool{}
		for k, p := range pairs {
			if p[0] >= p[1] || p[1] >= n || seen[p] {
				t.Fatalf("n=%d: pair %v out of range or repeated", n, p)
			}
			seen[p] = true
			// Neighbours share no member within a round of n/2 pairs.
			if k%(n/2) != 0 {
				q := pairs[k-1]
				if p[0] == q[0] || p[0] == q[1] || p[1] == q[0] || p[1] == q[1] {
					t.Fatalf("n=%d: neighbours %v and %v share a member", n, q, p)
				}
			}
		}
	}
}

// TestFECCoverRecovers checks the repair layout against the receiver's
// recovery: any two lost media packets come back while each has its own
// set of repair packets, a media and a repair packet too while the sets
// are pairs, and at random loss whole frames are lost less often than with
// each packet in one group.
func TestFECCoverRecovers(t *testing.T) {
	for n := 2; n <= 9; n++ {
		size := min(len(repairSets(n, flexfecMaxBatch)), flexfecMaxBatch)
		pairsOnly := n >= 4 && size <= n*(n-1)/2
		cover := fecCover(size, n)
		for a := range size + n {
			for b := a + 1; b < size+n; b++ {
				if b >= size && !pairsOnly {
					continue
				}
				lm, lr := map[int]bool{}, map[int]bool{}
				for _, x := range []int{a, b} {
					if x < size {
						lm[x] = true
					} else {
						lr[x-size] = true
					}
				}
				if !peel(cover, lm, lr) {
					t.Fatalf("%d packets, %d repair: losing %d and %d is not recovered", size, n, a, b)
				}
			}
		}
	}

	const loss, frames = 0.03, 100_000
	for _, tc := range []struct {
		size, n int
		// atMost is the share of interleaving's lost frames the layout
		// may lose.
		atMost float64
	}{
		{9, 2, 0.8}, // Rocks at 5 Mbit/s
		{28, 4, 0.5},
		{28, 8, 0.2},
		{46, 7, 0.2},
	} {
		t.Run(fmt.Sprintf("%d packets, %d repair", tc.size, tc.n), func(t *testing.T) {
			rng := rand.New(rand.NewPCG(1, uint64(tc.size*100+tc.n)))
			ours, groups := fecCover(tc.size, tc.n), interleaved(tc.size, tc.n)
			var failOurs, failGroups int
			for range frames {
				lm, lr := map[int]bool{}, map[int]bool{}
				for i := range tc.size {
					if rng.Float64() < loss {
						lm[i] = true
					}
				}
				for j := range tc.n {
					if rng.Float64() < loss {
						lr[j] = true
					}
				}
				if !peel(ours, lm, lr) {
					failOurs++
				}
				if !peel(groups, lm, lr) {
					failGroups++
				}
			}
			t.Logf("frames lost whole at %.0f %% loss: %.2f %% (one group each: %.2f %%)",
				loss*100, 100*float64(failOurs)/frames, 100*float64(failGroups)/frames)
			if float64(failOurs) > tc.atMost*float64(failGroups) {
				t.Errorf("lost %d frames, more than %.1f of one group each's %d", failOurs, tc.atMost, failGroups)
			}
		})
	}
}
