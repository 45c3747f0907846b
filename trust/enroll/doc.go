// Package enroll is how nodes join a Stratus network run by many
// independent operators: every node has its own ed25519 key, and the
// network certifies it for the node's name, role and operator. Gossip
// carries each node's metadata signed with its key and the certificate
// (package cluster), so a node that only holds the cluster key, or a
// certified node posing as another, is not believed.
//
// The Registry lives with the signaling node(s), in a directory that holds
// the network key and the list of operators, their nodes and their
// enrollment tokens. The network's operator adds an edge operator (stratus
// operator add NAME), which gives a one-time enrollment token; the edge
// operator starts an edge with it once, and the edge then keeps its key and
// certificate in its data directory. Revoking an operator takes all its
// nodes out of routing at once.
//
// The token's secret never leaves the edge: the edge proves it holds it
// with an HMAC over its name, role and key, and the registry's answer
// carries an HMAC with the same secret. A node that poses as the registry
// therefore learns nothing it could enroll with, and cannot hand the edge
// a network key of its own.
package enroll
