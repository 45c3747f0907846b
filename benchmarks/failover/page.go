package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/chromedp/chromedp"
)

// page is what the harness reads of the play page's window.stratus.
type page struct {
	State           string    `json:"state"`
	Edge            string    `json:"edge"`
	Region          string    `json:"region"`
	FramesPresented float64   `json:"framesPresented"`
	Failovers       int       `json:"failovers"`
	Error           any       `json:"error"`
	History         []history `json:"edgeHistory"`
	LastFailure     *struct {
		Edge   string  `json:"edge"`
		At     float64 `json:"at"`
		Reason string  `json:"reason"`
	} `json:"lastFailure"`
	// TimeOrigin is performance.timeOrigin: when the navigation started,
	// in Unix ms.
	TimeOrigin float64 `json:"timeOrigin"`
}

type history struct {
	Edge         string   `json:"edge"`
	Region       string   `json:"region"`
	JoinedAt     float64  `json:"joinedAt"`
	FirstFrameAt *float64 `json:"firstFrameAt"`
}

const pageJS = `JSON.stringify(window.stratus ? {
	state: stratus.state, edge: stratus.edge, region: stratus.region,
	framesPresented: stratus.framesPresented, failovers: stratus.failovers, error: stratus.error,
	edgeHistory: stratus.edgeHistory, lastFailure: stratus.lastFailure,
	timeOrigin: performance.timeOrigin} : null)`

func readPage(ctx context.Context) (page, error) {
	var p page
	s, err := chromedp.Run(ctx, chromedp.Evaluate[string](pageJS))
	if err != nil {
		return p, err
	}
	if s == "null" {
		return p, errors.New("window.stratus not there yet")
	}
	return p, json.Unmarshal([]byte(s), &p)
}

func (p page) last() history {
	if len(p.History) == 0 {
		return history{}
	}
	return p.History[len(p.History)-1]
}

func (p page) String() string {
	b, _ := json.Marshal(p)
	return string(b)
}

// waitPage polls the page every 20 ms until cond holds.
func waitPage(ctx context.Context, limit time.Duration, why string, cond func(page) bool) (page, error) {
	deadline := time.Now().Add(limit)
	var last page
	var lastErr error
	for {
		p, err := readPage(ctx)
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
