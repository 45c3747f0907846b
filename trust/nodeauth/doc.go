// Package nodeauth lets an enrolled node call a signaling node as itself,
// with no secret on the wire: each request carries the node's name, a
// timestamp and a fresh nonce, and the node key's ed25519 signature over
// them and the request's method and target (path and query). The
// signaling node believes a request whose node is enrolled and not
// revoked, whose signature holds under that node's enrolled key, whose
// timestamp is within a short window of its own clock, and whose nonce it
// has not seen within that window: a captured request cannot be replayed,
// nor altered to ask something else.
//
// Only requests without a body are signed: the operator's views of its
// nodes are GETs. A request with a body would need its digest signed too.
package nodeauth
