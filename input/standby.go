package input

import (
	"encoding/json"
	"errors"
	"fmt"
)

// A standby is a second connection the page holds to another edge, ready
// to take the game over when the serving edge dies (see package edge). No
// game runs on it until the page activates it, so the page speaks on the
// standby's "input" channel in JSON text, which the edge answers with a
// Control:
//
//	page → edge {"type":"state","token":"…"}  the game's latest resume token (also keeps the standby alive)
//	page → edge {"type":"keep"}               keeps the standby alive when no new token came
//	page → edge {"type":"activate","token":"…"} start the game here, from token (or the latest state)
//	edge → page {"type":"activated","resumed":true}  the game runs; video follows with an IDR
//	edge → page {"type":"refused","reason":"…"}      not activated: rejoin as before
//
// On a played session's channel, text from the page is garbage as before.
const (
	StandbyState    = "state"
	StandbyKeep     = "keep"
	StandbyActivate = "activate"

	ControlActivated = "activated"
	ControlRefused   = "refused"
)

// MaxStandbyMessage bounds one standby message: a resume token carries a
// title's saved state, a few KiB for the built-in titles; the stream
// package caps any data channel message at 16 KiB anyway.
const MaxStandbyMessage = 16 << 10

// StandbyMessage is a message from the page on a standby's channel.
type StandbyMessage struct {
	Type  string `json:"type"`
	Token string `json:"token,omitempty"`
}

// ErrStandbyMessage is wrapped by ParseStandby's errors.
var ErrStandbyMessage = errors.New("input: bad standby message")

// ParseStandby decodes and checks one standby message.
func ParseStandby(text string) (StandbyMessage, error) {
	var m StandbyMessage
	if len(text) > MaxStandbyMessage {
		return m, fmt.Errorf("%w: %d bytes exceeds %d", ErrStandbyMessage, len(text), MaxStandbyMessage)
	}
	if err := json.Unmarshal([]byte(text), &m); err != nil {
		return m, fmt.Errorf("%w: %v", ErrStandbyMessage, err)
	}
	switch m.Type {
	case StandbyState:
		if m.Token == "" {
			return m, fmt.Errorf("%w: state without a token", ErrStandbyMessage)
		}
	case StandbyKeep, StandbyActivate:
	default:
		return m, fmt.Errorf("%w: unknown type %q", ErrStandbyMessage, m.Type)
	}
	return m, nil
}
