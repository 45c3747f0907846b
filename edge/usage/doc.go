// Package usage is an edge's account of the play it delivered: one record
// per session, signed with the edge's node key so that whoever totals
// them (the network's ledger) can tell a record the edge made from one
// altered on the way.
//
// The edge keeps its records in a journal in its data directory
// (usage.jsonl, one JSON record a line, appended and synced). A running
// session is checkpointed every 10 s with a growing sequence number, and
// its end writes a final record; a kill -9 loses at most the time since
// the last checkpoint. When the edge starts again, every session whose
// last record is not final gets one, marked interrupted, ending at its
// last checkpoint. Readers keep, per session, the record with the highest
// sequence number, so nothing is counted twice, however often a record is
// read or sent.
package usage
