package main

import (
	"math"
	"slices"
)

// percentile is the nearest-rank percentile of sorted values: the smallest
// value such that at least p percent of the values are at or below it.
// p ≤ 0 gives the minimum, p ≥ 100 the maximum, no values NaN.
func percentile(sorted []float64, p float64) float64 {
	n := len(sorted)
	if n == 0 {
		return math.NaN()
	}
	rank := int(math.Ceil(p / 100 * float64(n)))
	return sorted[max(1, min(rank, n))-1]
}

// summary describes a sample of milliseconds.
type summary struct {
	n                            int
	min, p50, p90, p99, max, avg float64
}

func summarize(values []float64) summary {
	s := slices.Clone(values)
	slices.Sort(s)
	return summary{
		n:   len(s),
		min: percentile(s, 0),
		p50: percentile(s, 50),
		p90: percentile(s, 90),
		p99: percentile(s, 99),
		max: percentile(s, 100),
		avg: mean(s),
	}
}

func mean(values []float64) float64 {
	if len(values) == 0 {
		return math.NaN()
	}
	var sum float64
	for _, v := range values {
		sum += v
	}
	return sum / float64(len(values))
}

// pooled joins the samples of every run.
func pooled(rs []runResult, pick func(runResult) []float64) []float64 {
	var all []float64
	for _, r := range rs {
		all = append(all, pick(r)...)
	}
	return all
}
