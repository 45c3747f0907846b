// Package turn is a region's TURN server (RFC 8656, on pion/turn): it
// relays a player's media to an edge when the player's network lets no
// direct path through, typically a network that blocks UDP, so that the
// page reaches the relay over TCP or TLS instead.
//
// Credentials follow the TURN REST scheme: the username is
// "<expiry, Unix seconds>:<session id>" and the password is
// base64(HMAC-SHA1(secret, username)). Signaling issues them with each join
// answer (cred.go); the server needs nothing but the same secret to check
// them, so no state is shared between the two. A credential admits new
// allocations until it expires; an allocation made in time may be
// refreshed after that, for as long as the game runs, since only its own
// client (its 5-tuple) can refresh it.
//
// The server relays only to the peers it is told (Config.Peers, the
// region's edges): a TURN server that relays anywhere is an open proxy
// into the network it stands in.
package turn
