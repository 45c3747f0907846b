package main

import (
	"context"
	"fmt"
	"time"

	"stratus/internal/clustertest"
)

// waitPage polls the page every 20 ms until cond holds.
func waitPage(ctx context.Context, limit time.Duration, why string, cond func(clustertest.Page) bool) (clustertest.Page, error) {
	deadline := time.Now().Add(limit)
	var last clustertest.Page
	var lastErr error
	for {
		p, err := clustertest.ReadPage(ctx)
		if err == nil {
			last = p
			if cond(p) {
				return p, nil
			}
		}
		lastErr = err
		if time.Now().After(deadline) {
			return last, fmt.Errorf("waited %v for %s; page: %s (last error %v)", limit, why, last, lastErr)
		}
		if err := sleep(ctx, 20*time.Millisecond); err != nil {
			return last, err
		}
	}
}

// ms turns a difference of Unix-ms wall times into a duration.
func ms(later, earlier float64) time.Duration {
	return time.Duration((later - earlier) * float64(time.Millisecond))
}

func unixMs(t time.Time) float64 { return float64(t.UnixNano()) / 1e6 }
