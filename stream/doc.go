// Package stream carries one player's game stream over WebRTC: H.264 video
// from the edge to the page, and the player's input back over two data
// channels.
//
// An Engine owns what all players of an edge share: one UDP port (ICE UDP
// mux), one ICE-TCP port for players whose UDP is blocked, and the settings
// that make the edge an ICE-lite server. Each Peer is one player: the page
// sends an offer (one recvonly video transceiver and the data channels
// "input" and "motion", see package input), Peer.Answer returns the edge's
// complete answer, and from then on the session goroutine calls
// Peer.WriteVideo once per encoded frame and Peer.ReadInput once per game
// frame.
//
// Latency choices, each explained where it is made:
//   - every video packet carries the playout-delay extension with min = max
//     = 0, so Chrome renders without a jitter buffer (playout.go);
//   - GCC's send-side estimator runs without a pacer, so a keyframe is not
//     smeared over time, and its target drives the encoder (media.go, bwe.go);
//   - lost packets are repaired by NACK and RTX, and what NACK cannot repair
//     is repaired by a keyframe on PLI/FIR (rtcp.go);
//   - WriteVideo never blocks: a peer that cannot keep up loses frames and
//     then waits for the next keyframe (video.go).
package stream
