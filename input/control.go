package input

import "encoding/json"

// The edge speaks to the page on the same "input" channel, in JSON text
// messages (the page's input travels as binary, so the two never mix). Each
// is a Control with its Type:
//
//	{"type":"snapshot","token":"…"}           the game's latest saved state, as a resume token
//	{"type":"move","reason":"…","token":"…"}  the edge goes out of service: rejoin elsewhere
//	{"type":"ended","reason":"…"}             the game ended for good (exited, idle, time up)
//	{"type":"stats",…EdgeStats}               once a second, for the stats overlay
//
// and, on a standby's channel, "activated" and "refused" (standby.go).
//
// The page's half is web/static/js/control.js, which web's tests check
// against these names.
const (
	ControlSnapshot = "snapshot"
	ControlMove     = "move"
	ControlEnded    = "ended"
	ControlStats    = "stats"
)

// Control is a message from the edge to the page.
type Control struct {
	Type   string `json:"type"`
	Token  string `json:"token,omitempty"`
	Reason string `json:"reason,omitempty"`
	// Resumed is set on "activated": the game continues from the page's
	// resume token rather than afresh.
	Resumed bool `json:"resumed,omitempty"`
	// EdgeStats is set on "stats" messages; its fields sit beside Type.
	*EdgeStats
}

// EdgeStats is the edge's side of a session, for the page's overlay.
type EdgeStats struct {
	Encoder string `json:"encoder"`
	// Renderer names what draws a studio game's picture (a GPU, or Mesa
	// on the CPU); empty for the edge's built-in titles.
	Renderer    string  `json:"renderer,omitempty"`
	FPS         float64 `json:"fps"`
	EncodeMs    float64 `json:"encodeMs"`
	RenderMs    float64 `json:"renderMs"`
	ConvertMs   float64 `json:"convertMs"`
	BitrateKbps float64 `json:"bitrateKbps"`
	TargetKbps  float64 `json:"targetKbps"`
	RTTMs       float64 `json:"rttMs"`
	LossPct     float64 `json:"lossPct"`
	Skipped     int64   `json:"skipped"`
	// NACKs counts the player's NACK messages; FECPackets the FlexFEC
	// repair packets sent, and FECOverheadPct their share now (repair per
	// media packet, sized to the measured loss).
	NACKs          uint64  `json:"nacks"`
	FECPackets     uint64  `json:"fecPackets"`
	FECOverheadPct float64 `json:"fecOverheadPct"`
	// Rung is the quality ladder's step now ("540p60"): the size and
	// rate the edge encodes at for the bitrate the link allows.
	Rung   string `json:"rung,omitempty"`
	Edge   string `json:"edge"`
	Region string `json:"region"`
}

// Text is the message as the channel carries it.
func (c Control) Text() string {
	b, _ := json.Marshal(c) // plain strings and numbers: cannot fail
	return string(b)
}
