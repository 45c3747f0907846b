// Package qos is what checkers tell the network about its edges: the
// report of one check (Report), signed by the checker's node key on its
// way to the signaling nodes (Signed), and the score a signaling node
// makes of an edge's recent reports to route players by (Book).
package qos
