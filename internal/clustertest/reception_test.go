package clustertest

import "testing"

func TestFrozenAfter(t *testing.T) {
	const start, end, settle = 1000, 2000, 1000
	for _, tc := range []struct {
		name string
		gaps [][2]float64
		want float64
	}{
		{"no freeze", nil, 0},
		{"a freeze before the event", [][2]float64{{100, 400}}, 0},
		{"a freeze within the event", [][2]float64{{1200, 1500}}, 0},
		{"frozen through the end", [][2]float64{{1500, 2300}}, 300},
		{"frozen before the event and through it", [][2]float64{{900, 2100}}, 100},
		{"a frame, then a wait for a keyframe", [][2]float64{{1500, 1990}, {2100, 2700}}, 700},
		{"a freeze long after", [][2]float64{{3500, 3800}}, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := (Reception{Gaps: tc.gaps}).FrozenAfter(start, end, settle); got != tc.want {
				t.Errorf("FrozenAfter = %v, want %v", got, tc.want)
			}
		})
	}
}
