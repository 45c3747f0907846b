package main

import (
	"math"

	"stratus/internal/stats"
)

// percentile is stats.Percentile of sorted values, NaN for none: the
// report shows a measure without samples as such, not as 0 ms.
func percentile(sorted []float64, p float64) float64 {
	if len(sorted) == 0 {
		return math.NaN()
	}
	return stats.Percentile(sorted, p)
}

// summary describes a sample of milliseconds.
type summary struct {
	n                            int
	min, p50, p90, p99, max, avg float64
}

func summarize(values []float64) summary {
	s := stats.Sorted(values)
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
