package stream

import "github.com/pion/webrtc/v4"

// State is a peer's connection state, mirroring the browser's
// RTCPeerConnectionState.
type State int

const (
	StateNew State = iota
	StateConnecting
	StateConnected
	// StateDisconnected: nothing heard from the player for
	// Config.DisconnectedTimeout. It may still come back.
	StateDisconnected
	// StateFailed: nothing heard for DisconnectedTimeout + FailedTimeout, or
	// the DTLS handshake failed. Final; the peer should be closed.
	StateFailed
	StateClosed
)

func (s State) String() string {
	switch s {
	case StateNew:
		return "new"
	case StateConnecting:
		return "connecting"
	case StateConnected:
		return "connected"
	case StateDisconnected:
		return "disconnected"
	case StateFailed:
		return "failed"
	case StateClosed:
		return "closed"
	}
	return "unknown"
}

func stateOf(s webrtc.PeerConnectionState) State {
	switch s {
	case webrtc.PeerConnectionStateConnecting:
		return StateConnecting
	case webrtc.PeerConnectionStateConnected:
		return StateConnected
	case webrtc.PeerConnectionStateDisconnected:
		return StateDisconnected
	case webrtc.PeerConnectionStateFailed:
		return StateFailed
	case webrtc.PeerConnectionStateClosed:
		return StateClosed
	}
	return StateNew
}

// sending reports whether video written in state s can reach the player.
// Disconnected counts: ICE-lite only knows that the player went quiet, the
// path may well still work, and a frame sent into a dead UDP path costs
// nothing.
func (s State) sending() bool { return s == StateConnected || s == StateDisconnected }
