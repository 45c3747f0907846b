// Package studio is the studios' side of the title catalog: game studios
// upload their title manifests (package title/manifest) here, publish new
// versions and retire titles, each with its own API key.
//
// The catalog lives in a Store, one JSON file in a data directory, rewritten
// whole and atomically on every change: catalogs are small (hundreds of
// titles at most), so a full rewrite costs little and leaves nothing to
// repair after a crash. Service puts the Store behind the HTTP API served
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
