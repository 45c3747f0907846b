package route

import (
	"time"

	"stratus/cluster"
)

// Edge is a candidate as this signaling node sees it: gossip's view plus
// this node's own joins in flight.
type Edge struct {
	Name string
	Meta cluster.Meta
	// Reserved is how many slots this signaling node has in flight on the
	// edge: joins sent but not yet reflected in gossip's Free.
	Reserved int
	// QoSShortfall is how far below full marks the network's checkers
	// found the edge, 0 to 1 (one minus its score, package checker/qos);
	// 0 for an edge not checked yet, which is not held against it.
	QoSShortfall float64
	// QoSWhy names the shortfall in a Reason; empty: "checks short".
	QoSWhy string
}

// Request is what is known about the player.
type Request struct {
	Title string
	// AnyTitle ranks the edges as if each offered the title, and Title is
	// not read: the page's greeting lists edges to measure before it names
	// the title it will play.
	AnyTitle bool
	// Region is the player's region hint (from the page, or this signaling
	// node's own region); may be empty. Eligible edges in it win outright.
	Region string
	// Location is the player's location hint, if any.
	Location *cluster.Location
	// RTT holds the page's measurements, keyed by edge name or by
	// "region:<name>" for a region.
	RTT map[string]time.Duration
	// Exclude lists edges the player just failed on, not to be retried now.
	Exclude []string
	// Reserved, when it names an edge, replaces that edge's Edge.Reserved:
	// a node that keeps its fleet in an Index passes its joins in flight
	// here, so that gossip's updates and its own reservations never race
	// for one field.
	Reserved map[string]int
	// TopK caps Decision.Candidates (0: all). The join path needs only
	// the first few (Index.Decide then evaluates few edges), the explain
	// view all.
	TopK int
}

// RegionRTTPrefix marks a Request.RTT key that names a region.
const RegionRTTPrefix = "region:"

// Where Candidate.RTT came from, best evidence first.
const (
	SourceMeasured       = "measured"
	SourceRegionMeasured = "region-measured"
	SourceLocation       = "location"
	SourceRegionHint     = "region-hint"
	SourceUnknown        = "unknown"
)

// Candidate is one edge with its score and the reason for its place.
type Candidate struct {
	Edge   string `json:"edge"`
	Region string `json:"region"`
	// Score is the estimated cost in milliseconds of RTT; lower is better.
	Score float64 `json:"score"`
	// RTT is the round trip used: measured or estimated (see RTTSource).
	// Edges that cannot host the title at all (not an edge, or the title
	// is not offered) are not scored: RTT and Score 0, RTTSource "".
	RTT       time.Duration `json:"rtt_ns"`
	RTTSource string        `json:"rtt_source"`
	Load      float64       `json:"load"`
	// Free is the slots left after this node's reservations.
	Free     int  `json:"free"`
	Eligible bool `json:"eligible"`
	// Reason is why the edge is ineligible, or the breakdown of its score.
	Reason string `json:"reason"`
}

// Decision is the outcome of Router.Decide.
type Decision struct {
	Title string `json:"title"`
	// Winner is the chosen edge, "" when none.
	Winner string `json:"winner"`
	// Region is the winner's region.
	Region string `json:"region"`
	// Candidates are every edge considered (capped by Request.TopK):
	// eligible ones first in the order they would be tried (region tier,
	// then score, then name); then the edges busy now (full, draining,
	// degraded, excluded) in the same order; then those that cannot host
	// the title at all, by name.
	Candidates []Candidate `json:"candidates"`
	// Why is a sentence for the player: why the winner won or why nobody
	// could take them.
	Why string `json:"why"`
	// Code is "" on success, else api.CodeUnknownTitle, api.CodeEdgeFull
	// or api.CodeNoEdge (package edge/api).
	Code string `json:"code"`
}
