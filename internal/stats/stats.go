// Package stats summarises the samples that benchmark harnesses take, the
// same way in every report, so that their figures compare.
package stats

import (
	"cmp"
	"math"
	"slices"
)

// Percentile is the nearest-rank percentile of sorted (ascending) values:
// the smallest value such that at least p percent of the values are at or
// below it. p ≤ 0 gives the minimum, p ≥ 100 the maximum, no values the
// zero value.
func Percentile[T cmp.Ordered](sorted []T, p float64) T {
	n := len(sorted)
	if n == 0 {
		var zero T
		return zero
	}
	// p·n/100 rather than p/100·n: exact for whole p and n, so that the
	// 99th of 100 values is the 99th and not, by rounding, the 100th.
	rank := int(math.Ceil(p * float64(n) / 100))
	return sorted[max(1, min(rank, n))-1]
}

// Sorted is a sorted copy of values, which stay as they are.
func Sorted[T cmp.Ordered](values []T) []T {
	s := slices.Clone(values)
	slices.Sort(s)
	return s
}
