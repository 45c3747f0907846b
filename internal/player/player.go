// Package player is a player without a browser, for tests: a Go client of
// a signaling node's player protocol (package signaling) with a real Pion
// PeerConnection that offers what the page offers: one recvonly video
// transceiver and the two input data channels, "input" (ordered, reliable)
// and "motion" (unordered, no retransmits). It trickles its ICE candidates
// over the socket once its join is sent, without waiting for the answer as
// the page does, and gathers them on loopback only.
package player

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/gorilla/websocket"
	"github.com/pion/ice/v4"
	"github.com/pion/webrtc/v4"

	"stratus/signaling"
)

// writeWait bounds one write on the socket.
const writeWait = 5 * time.Second

// Player is one player's socket and, once it has made an offer, its
// PeerConnection. A goroutine reads the socket from Dial until Close; the
// other methods may be called from any goroutine, but Join, Connect and
// Offer one at a time.
type Player struct {
	ws    *websocket.Conn
	hello signaling.Message
	msgs  chan signaling.Message
	done  chan struct{} // closed by Close
	read  chan struct{} // closed when the reading goroutine has ended

	wmu sync.Mutex // serialises writes on ws

	mu        sync.Mutex
	peer      *peer // the latest offer's
	joinSent  bool
	pending   []signaling.Candidate // gathered before the join was sent
	closeOnce sync.Once
}

// peer is one offer's PeerConnection.
type peer struct {
	pc        *webrtc.PeerConnection
	video     chan struct{} // closed at the first video packet
	videoOnce sync.Once
}

// Dial opens the player WebSocket of the signaling node at baseURL
// (http://host:port) and reads its greeting. It sends baseURL as its
// Origin, as the page that node serves does.
func Dial(ctx context.Context, baseURL string) (*Player, error) {
	return DialAs(ctx, baseURL, As{Origin: strings.TrimRight(baseURL, "/")})
}

// As is who a player poses as.
type As struct {
	// Origin is the page's origin; "" sends none, as tools do.
	Origin string
	// LocalIP is the address the socket comes from (another loopback
	// address is another client); "" lets the system choose.
	LocalIP string
}

// DialAs is Dial as the given client. A socket the node refuses with an
// HTTP answer fails with a *StatusError.
func DialAs(ctx context.Context, baseURL string, as As) (*Player, error) {
	d := *websocket.DefaultDialer
	if as.LocalIP != "" {
		nd := net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(as.LocalIP)}}
		d.NetDialContext = nd.DialContext
	}
	h := http.Header{}
	if as.Origin != "" {
		h.Set("Origin", as.Origin)
	}
	u := "ws" + strings.TrimPrefix(strings.TrimRight(baseURL, "/"), "http") + "/v1/ws"
	ws, resp, err := d.DialContext(ctx, u, h)
	if resp != nil && resp.Body != nil {
		resp.Body.Close()
	}
	if err != nil {
		if resp != nil {
			return nil, &StatusError{Status: resp.StatusCode, RetryAfter: resp.Header.Get("Retry-After")}
		}
		return nil, fmt.Errorf("player: dialing %s: %w", u, err)
	}
	p := &Player{ws: ws, msgs: make(chan signaling.Message, 64), done: make(chan struct{}), read: make(chan struct{})}
	go p.readLoop()
	m, err := p.Next(ctx)
	if err != nil {
		p.Close()
		return nil, fmt.Errorf("player: no greeting: %w", err)
	}
	if m.Type != signaling.TypeHello {
		p.Close()
		return nil, fmt.Errorf("player: first message %q, want hello", m.Type)
	}
	p.hello = m
	return p, nil
}

// StatusError is a WebSocket the node refused with an HTTP answer.
type StatusError struct {
	Status     int
	RetryAfter string // the Retry-After header, if any
}

func (e *StatusError) Error() string {
	return fmt.Sprintf("player: websocket refused: HTTP %d (retry after %q)", e.Status, e.RetryAfter)
}

func (p *Player) readLoop() {
	defer close(p.read)
	defer close(p.msgs)
	for {
		_, data, err := p.ws.ReadMessage()
		if err != nil {
			return
		}
		var m signaling.Message
		if err := json.Unmarshal(data, &m); err != nil {
			m = signaling.Message{Type: "undecodable", Message: string(data)}
		}
		select {
		case p.msgs <- m:
		case <-p.done:
			return
		}
	}
}

// Hello is the node's greeting.
func (p *Player) Hello() signaling.Message { return p.hello }

// Next returns the next message from the node, or io.EOF once the socket
// is closed and every message read.
func (p *Player) Next(ctx context.Context) (signaling.Message, error) {
	select {
	case m, ok := <-p.msgs:
		if !ok {
			return signaling.Message{}, io.EOF
		}
		return m, nil
	case <-ctx.Done():
		return signaling.Message{}, ctx.Err()
	}
}

// Await returns the next message of one of the given types, skipping
// others.
func (p *Player) Await(ctx context.Context, types ...string) (signaling.Message, error) {
	for {
		m, err := p.Next(ctx)
		if err != nil {
			return m, err
		}
		for _, t := range types {
			if m.Type == t {
				return m, nil
			}
		}
	}
}

// Send sends a message to the node.
func (p *Player) Send(m signaling.Message) error {
	data, err := json.Marshal(m)
	if err != nil {
		return err
	}
	return p.SendRaw(websocket.TextMessage, data)
}

// SendRaw sends one WebSocket message of the given type as it is.
func (p *Player) SendRaw(messageType int, data []byte) error {
	p.wmu.Lock()
	defer p.wmu.Unlock()
	p.ws.SetWriteDeadline(time.Now().Add(writeWait))
	return p.ws.WriteMessage(messageType, data)
}

// Join is what a join says besides the offer.
type Join struct {
	Title   string
	RTT     map[string]float64
	Exclude []string
	Resume  string
}

// SendJoin makes a new offer and sends the join, then the candidates
// gathered so far, and the later ones as they come. It does not wait for
// the answer (see Answer).
func (p *Player) SendJoin(j Join) error {
	sdp, err := p.Offer()
	if err != nil {
		return err
	}
	if err := p.Send(signaling.Message{Type: signaling.TypeJoin, Title: j.Title, SDP: sdp, RTT: j.RTT, Exclude: j.Exclude, Resume: j.Resume}); err != nil {
		return err
	}
	p.mu.Lock()
	p.joinSent = true
	pending := p.pending
	p.pending = nil
	p.mu.Unlock()
	for _, c := range pending {
		if err := p.Send(signaling.Message{Type: signaling.TypeCandidate, Candidate: &c}); err != nil {
			return err
		}
	}
	return nil
}

// Answer waits for the answer to a join: "joined" or "error".
func (p *Player) Answer(ctx context.Context) (signaling.Message, error) {
	return p.Await(ctx, signaling.TypeJoined, signaling.TypeError)
}

// JoinAndWait sends a join and waits for its answer.
func (p *Player) JoinAndWait(ctx context.Context, j Join) (signaling.Message, error) {
	if err := p.SendJoin(j); err != nil {
		return signaling.Message{}, err
	}
	return p.Answer(ctx)
}

// Leave tells the node the player leaves.
func (p *Player) Leave() error { return p.Send(signaling.Message{Type: signaling.TypeLeave}) }

// Close drops the socket and the PeerConnection, and waits for the reading
// goroutine. Safe to call twice.
func (p *Player) Close() error {
	p.closeOnce.Do(func() {
		close(p.done)
		p.ws.Close()
		<-p.read
		p.mu.Lock()
		old := p.peer
		p.peer = nil
		p.mu.Unlock()
		if old != nil {
			old.pc.Close()
		}
	})
	return nil
}

// Offer makes a new PeerConnection, closing the previous one, and returns
// its offer. Its candidates are held until a join is sent, then trickled.
func (p *Player) Offer() (string, error) {
	pc, err := newPeer()
	if err != nil {
		return "", err
	}
	pe := &peer{pc: pc, video: make(chan struct{})}
	p.mu.Lock()
	old := p.peer
	p.peer, p.joinSent, p.pending = pe, false, nil
	p.mu.Unlock()
	if old != nil {
		old.pc.Close()
	}
	pc.OnICECandidate(func(c *webrtc.ICECandidate) {
		if c != nil {
			p.trickle(pe, c.ToJSON())
		}
	})
	// Pion runs this on a goroutine of its own, which ends when the
	// PeerConnection closes and the read fails.
	pc.OnTrack(func(tr *webrtc.TrackRemote, _ *webrtc.RTPReceiver) {
		buf := make([]byte, 1500)
		for {
			if _, _, err := tr.Read(buf); err != nil {
				return
			}
			pe.videoOnce.Do(func() { close(pe.video) })
		}
	})
	if _, err := pc.AddTransceiverFromKind(webrtc.RTPCodecTypeVideo, webrtc.RTPTransceiverInit{Direction: webrtc.RTPTransceiverDirectionRecvonly}); err != nil {
		return "", err
	}
	ordered := true
	if _, err := pc.CreateDataChannel("input", &webrtc.DataChannelInit{Ordered: &ordered}); err != nil {
		return "", err
	}
	unordered, none := false, uint16(0)
	if _, err := pc.CreateDataChannel("motion", &webrtc.DataChannelInit{Ordered: &unordered, MaxRetransmits: &none}); err != nil {
		return "", err
	}
	// The offer goes without candidates: they are trickled (see trickle).
	o, err := pc.CreateOffer(nil)
	if err == nil {
		err = pc.SetLocalDescription(o)
	}
	return o.SDP, err
}

// trickle sends a candidate of pe, or holds it until the join is sent.
func (p *Player) trickle(pe *peer, init webrtc.ICECandidateInit) {
	c := signaling.Candidate{Candidate: init.Candidate, SDPMid: init.SDPMid, SDPMLineIndex: init.SDPMLineIndex}
	p.mu.Lock()
	if p.peer != pe {
		p.mu.Unlock()
		return // an older offer's
	}
	if !p.joinSent {
		p.pending = append(p.pending, c)
		p.mu.Unlock()
		return
	}
	p.mu.Unlock()
	p.Send(signaling.Message{Type: signaling.TypeCandidate, Candidate: &c})
}

// Connect applies the answer of a "joined" message and waits until the
// PeerConnection is connected and the first video packet has arrived.
func (p *Player) Connect(ctx context.Context, joined signaling.Message) error {
	p.mu.Lock()
	pe := p.peer
	p.mu.Unlock()
	if pe == nil {
		return errors.New("player: no offer made")
	}
	pc := pe.pc
	connected := make(chan struct{})
	var once sync.Once
	pc.OnConnectionStateChange(func(s webrtc.PeerConnectionState) {
		if s == webrtc.PeerConnectionStateConnected {
			once.Do(func() { close(connected) })
		}
	})
	if err := pc.SetRemoteDescription(webrtc.SessionDescription{Type: webrtc.SDPTypeAnswer, SDP: joined.SDP}); err != nil {
		return fmt.Errorf("player: answer: %w", err)
	}
	if pc.ConnectionState() == webrtc.PeerConnectionStateConnected {
		once.Do(func() { close(connected) })
	}
	for _, wait := range []struct {
		what string
		ch   <-chan struct{}
	}{{"connection", connected}, {"video", pe.video}} {
		select {
		case <-wait.ch:
		case <-ctx.Done():
			return fmt.Errorf("player: waiting for the %s: %w (connection %s)", wait.what, ctx.Err(), pc.ConnectionState())
		}
	}
	return nil
}

// loopback is where the player gathers candidates: tests talk to this
// machine only.
func loopback(ip net.IP) bool { return ip.IsLoopback() }

func newPeer() (*webrtc.PeerConnection, error) {
	var se webrtc.SettingEngine
	se.SetNetworkTypes([]webrtc.NetworkType{webrtc.NetworkTypeUDP4})
	se.SetIncludeLoopbackCandidate(true)
	se.SetICEMulticastDNSMode(ice.MulticastDNSModeDisabled)
	se.SetIPFilter(loopback)
	m := &webrtc.MediaEngine{}
	if err := m.RegisterDefaultCodecs(); err != nil {
		return nil, err
	}
	return webrtc.NewAPI(webrtc.WithMediaEngine(m), webrtc.WithSettingEngine(se)).NewPeerConnection(webrtc.Configuration{})
}
