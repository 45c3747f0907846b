package signaling

import (
	"encoding/json"
	"errors"
	"fmt"

	"stratus/edge/api"
)

// The player protocol: JSON text messages over one WebSocket at /v1/ws.
// Every message is an object with a "type". On connect the node greets:
//
//	{"type":"hello","node":"<name>","signals":["http://…",…],
//	 "probes":[{"edge":"<name>","region":"<region>","url":"http://…/v1/probe"},…]}
//
// signals lists every signaling node the page may fall back to when this one
// goes away; probes lists a few edges (at most MaxProbes) whose round trip
// the page should measure before it joins. The page sends:
//
//	{"type":"titles"}
//	{"type":"join","title":"rocks","sdp":"<offer>",
//	 "rtt":{"<edge>":12.5,…},"exclude":["<edge>",…],"resume":"<token>",
//	 "token":"<JWT>"}
//	{"type":"candidate","candidate":{"candidate":"…","sdpMid":"0","sdpMLineIndex":0}}
//	{"type":"leave"}
//	{"type":"join","standby":true,"title":"rocks","sdp":"<offer>","rtt":{…},"exclude":[…]}
//	{"type":"candidate","standby":true,"candidate":{…}}
//	{"type":"activate","session":"<standby's id>"}
//	{"type":"leave","standby":true}
//
// and receives:
//
//	{"type":"titles","titles":[{"id":…,"name":…,"description":…,"inputs":[…],"width":…,"height":…,"fps":…}]}
//	{"type":"status","stage":"routing"|"starting","message":"…"}
//	{"type":"queued","title":"rocks","position":3,"ahead":2}
//	{"type":"joined","session":"<id>","edge":"<node name>","region":"<region>","sdp":"<answer>",
//	 "iceServers":[{"urls":["turn:…?transport=udp",…],"username":"<expiry>:<session>","credential":"…"}]}
//	{"type":"candidate","candidate":{…}}
//	{"type":"error","code":"<code>","message":"<for the player>"}
//	{"type":"joined","standby":true,"session":"<id>","edge":…,"region":…,"sdp":"<answer>","iceServers":[…]}
//	{"type":"activated","session":"<id>","edge":…,"region":…}
//
// A join marked standby, sent while playing, asks for a warm standby on
// the next-best edge (standby.go): routed as a join with the serving edge
// excluded, on the edge's /v1/standbys. Its candidates are marked standby
// too. When the serving edge dies the page activates the standby on the
// standby's own data channel (package input) and then tells this node
// with activate, which makes the standby the connection's session (the
// old one is ended on its edge). A leave marked standby ends the standby
// only (the page lost it, or its edge closed it). Errors about a standby carry
// "standby":true, so the page does not take them for its game's.
//
// with the codes of package edge/api (codes.go).
//
// queued says every edge offering the title is full, and the join waits
// in line for room (queue.go) instead of being refused: position is the
// player's place, 1 at the head, and ahead the players before them. It is
// sent again each time the place changes. When room appears the join goes
// on as any other: status "starting", then joined. A line already as long
// as allowed (Config.Queue) refuses the join with edge_full, as a node
// without a queue does; a wait longer than allowed ends with the error
// queue_timeout. A leave, another join or the socket closing gives the
// place up at once, and everyone behind moves up. A queued player holds
// one of their session slots (Limits.SessionsPerPlayer), as one playing
// does, so that nobody holds several places.
//
// The node applies titles, join, candidate and leave in the order they were
// sent, one at a time, while it goes on reading: a candidate sent before
// the join is answered reaches the session that join starts, and a leave
// sent during a join ends that session as soon as it exists. Malformed
// messages are answered at once, even while a join is in flight. While a
// join waits in line, titles is answered, candidates are kept for the
// session it will start, and a leave or a new join ends the wait.
//
// The page creates the offer: one recvonly video transceiver and the two
// input data channels described in package input.
//
// rtt holds the page's measured round trips in milliseconds by edge name;
// exclude names edges the page just lost (dead, or asked it to move), which
// must not be chosen again now; resume is the latest resume token the edge
// sent the page on its input channel ({"type":"snapshot","token":"…"}), so
// the game continues where it was. An edge going out of service sends
// {"type":"move","reason":"…","token":"…"} on the same channel (token, when
// present, is the freshest resume token): the page rejoins, excluding that
// edge.
//
// iceServers, on a node that knows TURN servers for the edge's region
// (Config.TURN), are those relays with a credential for this session,
// valid for a few minutes. The page gathers its candidates only after
// "joined", with them: the offer it sent carries no candidates, and ICE
// servers given to an RTCPeerConnection after gathering began would be
// used only at an ICE restart. A page told to (diagnostics, tests) uses
// the relays alone.
//
// token is the player's sign-in, a JWT from the identity provider, on a
// node that requires one (Config.PlayerAuth; others ignore it). It rides
// in the join rather than on the socket's upgrade request because browsers
// cannot set headers on a WebSocket, and a URL would put it in access
// logs. Each join is checked on its own, a rejoin's too, so the page sends
// a fresh token with each; one that expires while the game runs does not
// end it. A join without a valid token is answered
// {"type":"error","code":"unauthorized"}.

// Message types.
const (
	TypeTitles    = "titles"
	TypeJoin      = "join"
	TypeCandidate = "candidate"
	TypeLeave     = "leave"
	TypeStatus    = "status"
	TypeJoined    = "joined"
	TypeError     = "error"
	TypeHello     = "hello"
	TypeQueued    = "queued"
	TypeActivate  = "activate"
	TypeActivated = "activated"
)

// MaxProbes bounds the edges a page is asked to measure: enough to tell
// near from far in a few regions, few enough to finish in well under a
// second.
const MaxProbes = 8

// Probe is an edge the page should measure.
type Probe struct {
	Edge   string `json:"edge"`
	Region string `json:"region"`
	URL    string `json:"url"`
}

// MaxMessageBytes bounds one client message. An SDP offer with two data
// channels and one video transceiver is around 3 KiB; 64 KiB leaves room for
// many candidates while keeping a hostile client from costing memory.
const MaxMessageBytes = 64 << 10

// Candidate is an ICE candidate as the browser's RTCIceCandidateInit.
type Candidate struct {
	Candidate     string  `json:"candidate"`
	SDPMid        *string `json:"sdpMid,omitempty"`
	SDPMLineIndex *uint16 `json:"sdpMLineIndex,omitempty"`
}

// Message is the union of all messages in both directions.
type Message struct {
	Type string `json:"type"`

	Title   string             `json:"title,omitempty"`
	SDP     string             `json:"sdp,omitempty"`
	Resume  string             `json:"resume,omitempty"`
	RTT     map[string]float64 `json:"rtt,omitempty"`
	Exclude []string           `json:"exclude,omitempty"`
	// Standby marks a join, its candidates, its answer and its errors as
	// the standby's (standby.go).
	Standby bool `json:"standby,omitempty"`
	// Token is never logged: it is as good as the player's sign-in.
	Token string `json:"token,omitempty"`

	Node    string   `json:"node,omitempty"`
	Signals []string `json:"signals,omitempty"`
	Probes  []Probe  `json:"probes,omitempty"`

	Candidate *Candidate `json:"candidate,omitempty"`

	Titles  any    `json:"titles,omitempty"`
	Stage   string `json:"stage,omitempty"`
	Session string `json:"session,omitempty"`
	Edge    string `json:"edge,omitempty"`
	Region  string `json:"region,omitempty"`
	Reason  string `json:"reason,omitempty"`
	Code    string `json:"code,omitempty"`
	Message string `json:"message,omitempty"`

	// Position and Ahead are a queued player's place (TypeQueued). Ahead
	// is sent even when 0: the head of the line has nobody before it.
	Position int  `json:"position,omitempty"`
	Ahead    *int `json:"ahead,omitempty"`

	// ICEServers are the relays a joined page may use (iceservers.go).
	ICEServers []ICEServer `json:"iceServers,omitempty"`
}

// ProtocolError is a problem with a client message, reported back to the
// client with its code.
type ProtocolError struct {
	Code string
	Msg  string
}

func (e *ProtocolError) Error() string { return e.Code + ": " + e.Msg }

func badMessage(format string, args ...any) error {
	return &ProtocolError{Code: api.CodeBadMessage, Msg: fmt.Sprintf(format, args...)}
}

// ParseClient decodes and checks one message from a player.
func ParseClient(data []byte) (Message, error) {
	var m Message
	if len(data) > MaxMessageBytes {
		return m, &ProtocolError{Code: api.CodeTooLarge, Msg: fmt.Sprintf("message of %d bytes exceeds %d", len(data), MaxMessageBytes)}
	}
	if err := json.Unmarshal(data, &m); err != nil {
		var se *json.SyntaxError
		if errors.As(err, &se) {
			return m, badMessage("invalid JSON at byte %d", se.Offset)
		}
		return m, badMessage("invalid message: %v", err)
	}
	switch m.Type {
	case TypeTitles, TypeLeave:
	case TypeJoin:
		if m.Title == "" {
			return m, badMessage("join: missing title")
		}
		if m.SDP == "" {
			return m, badMessage("join: missing sdp offer")
		}
		if len(m.RTT) > 64 || len(m.Exclude) > 64 {
			return m, badMessage("join: at most 64 rtt entries and 64 excluded edges")
		}
		for k, v := range m.RTT {
			if v < 0 || v > 60_000 || k == "" {
				return m, badMessage("join: rtt %q = %v ms out of range", k, v)
			}
		}
	case TypeActivate:
		if m.Session == "" {
			return m, badMessage("activate: missing session")
		}
	case TypeCandidate:
		if m.Candidate == nil {
			return m, badMessage("candidate: missing candidate")
		}
	case "":
		return m, badMessage("missing type")
	default:
		return m, badMessage("unknown type %q", m.Type)
	}
	return m, nil
}
