// Package catalog carries the studio title catalog from the signaling node
// that keeps it to every edge. An edge long-polls GET Path with the revision
// it has; the answer comes as soon as the catalog changes, so a title a
// studio publishes reaches the edges in about one round trip, without
// gossip carrying whole manifests.
//
// The catalog holds what studios may consider private (environment
// variables, command lines), so in a cluster with a key the request carries
// a token derived from that key (cluster.DeriveToken with
// cluster.PurposeCatalog): only members of the cluster read it.
package catalog

import (
	"time"

	"stratus/title/manifest"
)

// Path is where a signaling node serves the catalog.
const Path = "/v1/catalog"

// Query parameters of Path.
const (
	// ParamAfter is the revision the caller has; the answer waits for a
	// newer one.
	ParamAfter = "after"
	// ParamWait is how long the answer may wait (a Go duration), at most
	// MaxWait.
	ParamWait = "wait"
)

// MaxWait bounds a long poll: under the idle timeouts of common proxies,
// and short enough that a stopping server is not held up long.
const MaxWait = 30 * time.Second

// MaxBody bounds a catalog on the wire. A manifest is a few KiB, so this
// is thousands of titles; a larger body is refused rather than read.
const MaxBody = 16 << 20

// Snapshot is the catalog at one revision: every title not retired.
type Snapshot struct {
	// Revision grows with every change; 0 is the empty catalog that never
	// changed.
	Revision uint64              `json:"revision"`
	Titles   []manifest.Manifest `json:"titles"`
}
