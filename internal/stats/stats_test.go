package stats

import (
	"testing"
	"time"
)

func TestPercentileNearestRank(t *testing.T) {
	sorted := []float64{15, 20, 35, 40, 50}
	var hundred []int
	for i := 1; i <= 100; i++ {
		hundred = append(hundred, i)
	}
	for _, tt := range []struct {
		p         float64
		want      float64
		wantOf100 int
	}{
		{-5, 15, 1}, {0, 15, 1}, {5, 15, 5}, {20, 15, 20}, {30, 20, 30}, {40, 20, 40},
		{50, 35, 50}, {90, 50, 90}, {99, 50, 99}, {99.9, 50, 100}, {100, 50, 100}, {150, 50, 100},
	} {
		if got := Percentile(sorted, tt.p); got != tt.want {
			t.Errorf("Percentile(%v, %v) = %v, want %v", sorted, tt.p, got, tt.want)
		}
		if got := Percentile(hundred, tt.p); got != tt.wantOf100 {
			t.Errorf("Percentile(1..100, %v) = %v, want %v", tt.p, got, tt.wantOf100)
		}
	}
}

func TestPercentileOfNothing(t *testing.T) {
	if got := Percentile([]time.Duration(nil), 50); got != 0 {
		t.Errorf("Percentile of nothing = %v, want 0", got)
	}
}

func TestSortedLeavesItsInputAlone(t *testing.T) {
	in := []time.Duration{3, 1, 2}
	s := Sorted(in)
	if s[0] != 1 || s[1] != 2 || s[2] != 3 {
		t.Errorf("Sorted = %v", s)
	}
	if in[0] != 3 || in[1] != 1 {
		t.Errorf("Sorted changed its input: %v", in)
	}
}
