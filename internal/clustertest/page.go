package clustertest

import (
	"context"
	"encoding/json"
	"errors"

	"github.com/chromedp/chromedp"
)

// Page is what the tests and the benchmark read of the play page's
// window.stratus, which web/static/js/hooks.js documents and play.js keeps
// up to date.
type Page struct {
	State           string         `json:"state"`
	Edge            string         `json:"edge"`
	Region          string         `json:"region"`
	Session         string         `json:"session"`
	Node            string         `json:"node"`
	Signal          string         `json:"signal"`
	Signals         []string       `json:"signals"`
	FramesPresented float64        `json:"framesPresented"`
	Failovers       int            `json:"failovers"`
	Moves           int            `json:"moves"`
	Reconnects      int            `json:"reconnects"`
	Reason          string         `json:"reason"`
	Error           *PageError     `json:"error"`
	RTTs            map[string]any `json:"rtts"`
	EdgeHistory     []HistoryEntry `json:"edgeHistory"`
	LastFailure     *struct {
		Edge   string  `json:"edge"`
		At     float64 `json:"at"`
		Reason string  `json:"reason"`
	} `json:"lastFailure"`
	// TimeOrigin is performance.timeOrigin: when the navigation started,
	// in Unix ms, on the same clock as the other times.
	TimeOrigin float64 `json:"timeOrigin"`
}

// PageError is the error the page shows.
type PageError struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

// HistoryEntry is one edge the page has played on, its times in Unix ms.
type HistoryEntry struct {
	Edge         string   `json:"edge"`
	Region       string   `json:"region"`
	Session      string   `json:"session"`
	JoinedAt     float64  `json:"joinedAt"`
	FirstFrameAt *float64 `json:"firstFrameAt"`
}

// pageJS copies Page's fields out of window.stratus as JSON, in one
// evaluation so that they are all of one moment.
const pageJS = `JSON.stringify(window.stratus ? {
	state: stratus.state, edge: stratus.edge, region: stratus.region, session: stratus.session,
	node: stratus.node, signal: stratus.signal, signals: stratus.signals,
	framesPresented: stratus.framesPresented, failovers: stratus.failovers, moves: stratus.moves,
	reconnects: stratus.reconnects, reason: stratus.reason, error: stratus.error, rtts: stratus.rtts,
	edgeHistory: stratus.edgeHistory, lastFailure: stratus.lastFailure,
	timeOrigin: performance.timeOrigin} : null)`

// ReadPage reads the state of the page open in ctx (a chromedp context).
// It fails until the page has set up window.stratus.
func ReadPage(ctx context.Context) (Page, error) {
	var ps Page
	s, err := chromedp.Run(ctx, chromedp.Evaluate[string](pageJS))
	if err != nil {
		return ps, err
	}
	if s == "null" || s == "" {
		return ps, errors.New("window.stratus is not there yet")
	}
	err = json.Unmarshal([]byte(s), &ps)
	return ps, err
}

// Last is the newest edgeHistory entry (the zero entry when there is none).
func (ps Page) Last() HistoryEntry {
	if len(ps.EdgeHistory) == 0 {
		return HistoryEntry{}
	}
	return ps.EdgeHistory[len(ps.EdgeHistory)-1]
}

// String is the part of the state worth printing when a wait times out.
func (ps Page) String() string {
	b, _ := json.Marshal(struct {
		State, Edge, Region, Node, Signal string
		Frames                            float64
		Failovers, Moves, Reconnects      int
		Reason                            string
		Error                             *PageError
		History                           []HistoryEntry
	}{ps.State, ps.Edge, ps.Region, ps.Node, ps.Signal, ps.FramesPresented, ps.Failovers, ps.Moves, ps.Reconnects, ps.Reason, ps.Error, ps.EdgeHistory})
	return string(b)
}
