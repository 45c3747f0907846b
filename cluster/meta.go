package cluster

// Role is what a node does in the cluster.
type Role string

const (
	RoleEdge   Role = "edge"
	RoleSignal Role = "signal"
	// RoleChecker verifies edges from outside (package checker); it
	// gossips nothing, but signs its results with its identity.
	RoleChecker Role = "checker"
)

// Health is a node's own view of whether it should get new players.
type Health string

const (
	// HealthOK admits new sessions.
	HealthOK Health = "ok"
	// HealthDraining admits none; its sessions finish or are moved.
	HealthDraining Health = "draining"
	// HealthDegraded admits none until it recovers (a failed GPU, say).
	HealthDegraded Health = "degraded"
)

// Location is a point on the globe, used to guess distance when the page
// has not measured round trips.
type Location struct {
	Lat float64 `json:"lat"`
	Lon float64 `json:"lon"`
}

// GPUSummary is the short form of an edge's GPU inventory.
type GPUSummary struct {
	Count int `json:"n,omitempty"`
	// Model of the first GPU; edges rarely mix models.
	Model string `json:"m,omitempty"`
	// NVENC is the number of GPUs with a usable encoder engine.
	NVENC int `json:"e,omitempty"`
	// FreeEncoderSessions left across all GPUs.
	FreeEncoders int `json:"f,omitempty"`
}

// Meta is what a node tells every other node about itself through gossip.
// It must encode to at most MaxMetaSize bytes (memberlist's limit); Encode
// shortens the title list to a digest when it would not fit.
type Meta struct {
	Role     Role     `json:"r"`
	Region   string   `json:"g"`
	Location Location `json:"l"`
	// API is the base URL of the node's HTTP API: the edge API for an edge,
	// the player-facing address for a signaling node.
	API string `json:"a"`
	// Media is the edge's UDP media address (host:port) as players see it.
	Media string `json:"m,omitempty"`
	// Probe is the URL the player's page fetches to measure its round trip
	// to this edge.
	Probe    string `json:"p,omitempty"`
	Capacity int    `json:"c,omitempty"`
	Free     int    `json:"f,omitempty"`
	// Load is the edge's CPU (or GPU) load, 0..1.
	Load   float64 `json:"o,omitempty"`
	Health Health  `json:"h"`
	// Titles the edge offers; nil with TitlesDigest set when the list was too
	// long to gossip (fetch it from the API).
	Titles       []string   `json:"t,omitempty"`
	TitlesDigest string     `json:"td,omitempty"`
	GPU          GPUSummary `json:"u,omitempty"`
	// Regions a signaling node routes for.
	Regions []string `json:"rs,omitempty"`
	// Catalog is the revision of the studio catalog a signaling node
	// serves (0: it serves none); edges fetch it when it moves ahead of
	// theirs.
	Catalog uint64 `json:"cr,omitempty"`
	// Operator runs the node, as enrolled; the pool fills it in from its
	// Identity, and the node's certificate covers it.
	Operator string `json:"op,omitempty"`
	// Version increases with every change, so receivers can order updates.
	Version uint64 `json:"v"`
}
