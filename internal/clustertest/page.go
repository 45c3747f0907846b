package clustertest

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
)

// Page is what the tests and the benchmark read of the play page's
// window.stratus, which web/static/js/hooks.js documents and play.js keeps
// up to date.
type Page struct {
	State           string   `json:"state"`
	Edge            string   `json:"edge"`
	Region          string   `json:"region"`
	Session         string   `json:"session"`
	Node            string   `json:"node"`
	Signal          string   `json:"signal"`
	Signals         []string `json:"signals"`
	FramesPresented float64  `json:"framesPresented"`
	Failovers       int      `json:"failovers"`
	Moves           int      `json:"moves"`
	// Standby is the warm standby the page holds, once joined; nil
	// without one. StandbyActivations counts the failovers it took over.
	Standby *struct {
		Edge    string `json:"edge"`
		Session string `json:"session"`
	} `json:"standby"`
	StandbyActivations int            `json:"standbyActivations"`
	Reconnects         int            `json:"reconnects"`
	Reason             string         `json:"reason"`
	Error              *PageError     `json:"error"`
	RTTs               map[string]any `json:"rtts"`
	EdgeHistory        []HistoryEntry `json:"edgeHistory"`
	LastFailure        *struct {
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
	JoinSentAt   *float64 `json:"joinSentAt"`
	JoinedAt     float64  `json:"joinedAt"`
	FirstFrameAt *float64 `json:"firstFrameAt"`
}

// pageJS copies Page's fields out of window.stratus as JSON, in one
// evaluation so that they are all of one moment.
const pageJS = `JSON.stringify(window.stratus ? {
	state: stratus.state, edge: stratus.edge, region: stratus.region, session: stratus.session,
	node: stratus.node, signal: stratus.signal, signals: stratus.signals,
	framesPresented: stratus.framesPresented, failovers: stratus.failovers, moves: stratus.moves,
	standby: stratus.standby, standbyActivations: stratus.standbyActivations,
	reconnects: stratus.reconnects, reason: stratus.reason, error: stratus.error, rtts: stratus.rtts,
	edgeHistory: stratus.edgeHistory, lastFailure: stratus.lastFailure,
	timeOrigin: performance.timeOrigin} : {missing: {href: location.href, ready: document.readyState,
	errors: window.__stratusErrors || [],
	failed: performance.getEntriesByType('resource').filter((r) => r.responseStatus >= 400).map((r) => r.name + ' ' + r.responseStatus)}})`

// errorsJS keeps the page's uncaught errors from its first moment, so that
// a page whose scripts never set up window.stratus can say why.
const errorsJS = `window.__stratusErrors = [];
addEventListener('error', (e) => __stratusErrors.push(String(e.message || e.type) + ' at ' + (e.filename || (e.target && e.target.src) || '?')), true);
addEventListener('unhandledrejection', (e) => __stratusErrors.push('rejection: ' + String(e.reason)));`

// WatchErrors makes every page loaded later in ctx (a chromedp tab) record
// its uncaught errors, which ReadPage reports while window.stratus is
// missing.
func WatchErrors(ctx context.Context) error {
	_, err := chromedp.Call(ctx, page.AddScriptToEvaluateOnNewDocument, page.AddScriptToEvaluateOnNewDocumentParams{Source: errorsJS})
	return err
}

// ReadPage reads the state of the page open in ctx (a chromedp context).
// It fails until the page has set up window.stratus.
func ReadPage(ctx context.Context) (Page, error) {
	var ps Page
	s, err := chromedp.Run(ctx, chromedp.Evaluate[string](pageJS))
	if err != nil {
		return ps, err
	}
	var missing struct {
		Missing *struct {
			Href, Ready    string
			Errors, Failed []string
		}
	}
	if err := json.Unmarshal([]byte(s), &missing); err != nil {
		return ps, err
	}
	if m := missing.Missing; m != nil {
		return ps, fmt.Errorf("window.stratus is not there yet (page %s, %s; errors %q; failed loads %q)", m.Href, m.Ready, m.Errors, m.Failed)
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
