// Package ledger is the network's account of the play its edges delivered:
// the usage records edges sign (package edge/usage), collected by the
// signaling node into a database. SQLite in the node's data directory by
// default, so that make run and make cluster need no setup.
//
// Records are kept as signed, in full, beside the columns queries filter
// on: whoever reads the ledger can check every record against its edge's
// key. A session's record replaces the one held only when its sequence
// number is higher, so edges may send a record any number of times, and
// after any restart, without a session counting twice.
//
// The same database keeps the studio catalog (catalog.go, used by package
// signaling/studio), so that signaling nodes sharing one PostgreSQL share
// one catalog as they share one ledger, and the checkers' signed reports
// and the refusal verdicts those nodes share with each other (shared.go).
package ledger
