// Package studio is the studios' side of the title catalog: game studios
// upload their title manifests (package title/manifest) here, publish new
// versions and retire titles, each with its own API key.
//
// The catalog lives in a Store, kept in the signaling node's ledger database
// (package ledger): SQLite in the data directory for a node on its own, or
// one PostgreSQL that several nodes share, which then share one catalog.
// Each change is checked and made in one transaction, so nodes never lose
// each other's titles; each node serves reads from a copy in memory that
// follows the database's catalog revision (followEvery), so that its edges
// and its gossip see the other nodes' changes within about a second (a
// studio's own reads catch up with the database first). A
// catalog file that earlier releases kept per node (titles.json) is
// imported at the first start and kept as a backup. Service puts the
// Store behind the HTTP API served
// under /v1/studio/ (see handler.go), authenticates studios with Keys, and
// offers Catalog, the public list of live titles for the player catalog.
//
// Studios are not trusted by default: the built-in titles' ids and runtime
// builtin are never theirs, each studio is held to Limits (titles, versions,
// and MaxBody per manifest), and an address that fails authentication too
// often is refused for a while (AuthLimits).
//
// Client and the wire types (Title, APIError) are what the stratus title
// command uses.
package studio
