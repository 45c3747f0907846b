// Package trust holds the credentials of Stratus's trust boundary: who may
// act as the network's operator, and, as the boundary grows, which nodes
// belong to the network and which players hold a ticket.
//
// The operator token is the first of them: 32 random bytes, written as hex
// on one line of a file only its owner may read. The signaling node's
// operator endpoints (the sessions, the edges, routing, metrics) require it
// as a Bearer token, and the stratus commands that act as the operator send
// it.
package trust
