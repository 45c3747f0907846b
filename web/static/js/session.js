// Connection is one attempt to play: the RTCPeerConnection negotiated over
// the page's signaling socket (signal.js). The page makes a new Connection
// for every (re)join and throws the old one away whole, so nothing from a
// dead attempt (a late candidate, a state change) can leak into the next.
// The signaling socket is the page's: it outlives a Connection, and a rejoin
// after an edge failure reuses it when it is still open and quiet (see
// siglink.js).
//
// Negotiation (the page offers; the edge is ICE-lite and answers with its
// candidates inside the SDP):
//
//   1. build the PeerConnection: a recvonly video and a recvonly audio
//      transceiver and the two input data channels ("input" ordered+reliable,
//      "motion" unordered, no retransmits), then create the offer;
//   2. once the offer is ready, the socket is open and the page has said
//      what to join with (join(): rtt, exclude, resume), send
//      {"type":"join","title","sdp",…};
//   3. on {"type":"joined"} take the ICE servers it carries (the region's
//      TURN relays with a credential for this session), only then set the
//      offer as the local description, so that gathering starts with them
//      (servers given after gathering began would wait for an ICE
//      restart), apply the answer and send our ICE candidates, which were
//      held back until then (the server only accepts candidates for a
//      joined session).
//
// The page routes the socket's messages here (onMessage) while this
// Connection is current; the socket's own events stay with the page.

import { CODES } from './codes.js';
import { playerToken } from './signin.js';

// signInToken is the player's sign-in token, if the site gave one.
function signInToken() {
  if (typeof window === 'undefined') return '';
  let storage = null;
  try {
    storage = window.sessionStorage;
  } catch (_) {
    // Blocked storage (some privacy settings) throws on access.
  }
  const clear = () => history.replaceState(null, '', location.pathname + location.search);
  return playerToken(window.location, storage, clear);
}

export class Connection {
  // handlers: {message(msg), pcState(state), track(event)}
  // iceTransport 'relay' uses the TURN relays alone, 'relay-tcp' those
  // reached over TCP or TLS alone (diagnostics, tests). standby joins as
  // the page's warm standby (standby.js): its join and candidates are
  // marked so, and closing it neither leaves nor dirties the socket; the
  // page clears it once the standby has become the session.
  constructor({ title, iceTransport = 'all', standby = false }, handlers) {
    this.title = title;
    this.standby = standby;
    this.iceTransport = iceTransport;
    this.h = handlers;
    this.sig = null;
    this.closed = false;
    this.joined = false;
    this.relays = 0; // TURN servers the join answer offered
    this.mediaUp = false; // the PeerConnection was connected at least once
    this.joinSent = false;
    this.joinAnswered = false; // "joined" or "error" came back
    this.info = null; // {rtt, exclude, resume} for the join
    this.offer = null;
    this.pendingCandidates = []; // ours, until joined
    this.remoteCandidates = []; // the edge's, until the answer is applied
    this.stream = new MediaStream();
  }

  // start builds the peer; sig is the page's socket, open or opening.
  start(sig) {
    this.sig = sig;
    this.buildPeer().catch((err) => {
      if (this.closed) return;
      console.error('stratus: building the offer failed', err);
      this.h.message({ type: 'error', code: CODES.INTERNAL, message: `This browser could not start WebRTC: ${err.message || err}` });
    });
  }

  // join gives what to join with; the message goes as soon as it can.
  join(info) {
    this.info = info;
    this.maybeJoin();
  }

  // signalOpen tells the Connection its socket has opened.
  signalOpen() {
    this.maybeJoin();
  }

  async buildPeer() {
    const policy = this.iceTransport === 'all' ? 'all' : 'relay';
    const pc = new RTCPeerConnection({ bundlePolicy: 'max-bundle', rtcpMuxPolicy: 'require', iceTransportPolicy: policy });
    this.pc = pc;
    const video = pc.addTransceiver('video', { direction: 'recvonly' });
    // Audio comes in a later edge version; offering it now means the page
    // plays sound as soon as an edge sends it.
    const audio = pc.addTransceiver('audio', { direction: 'recvonly' });
    for (const t of [video, audio]) lowLatency(t.receiver);
    this.input = pc.createDataChannel('input', { ordered: true });
    this.motion = pc.createDataChannel('motion', { ordered: false, maxRetransmits: 0 });

    pc.addEventListener('track', (e) => {
      if (this.closed) return;
      this.stream.addTrack(e.track);
      this.h.track(e);
    });
    pc.addEventListener('icecandidate', (e) => {
      if (this.closed || !e.candidate || !e.candidate.candidate) return;
      const c = { candidate: e.candidate.candidate, sdpMid: e.candidate.sdpMid, sdpMLineIndex: e.candidate.sdpMLineIndex };
      if (this.joined) this.sendCandidate(c);
      else this.pendingCandidates.push(c);
    });
    pc.addEventListener('connectionstatechange', () => {
      if (this.closed) return;
      if (pc.connectionState === 'connected') this.mediaUp = true;
      this.h.pcState(pc.connectionState);
    });

    // The offer becomes the local description at "joined" (step 3).
    const offer = await pc.createOffer();
    if (this.closed) return;
    this.offerDesc = offer;
    this.offer = offer.sdp;
    this.maybeJoin();
  }

  maybeJoin() {
    if (this.closed || this.joinSent || !this.offer || !this.info || !this.sig || !this.sig.open) return;
    const msg = { type: 'join', title: this.title, sdp: this.offer };
    const { rtt, exclude, resume } = this.info;
    if (rtt && Object.keys(rtt).length) msg.rtt = rtt;
    if (exclude && exclude.length) msg.exclude = exclude;
    if (this.standby) {
      // The node knows the player from the session's join.
      msg.standby = true;
    } else {
      if (resume) msg.resume = resume;
      const token = signInToken();
      if (token) msg.token = token;
    }
    this.joinSent = this.sig.send(msg);
    if (this.joinSent) this.joinSentAt = performance.now();
  }

  async onMessage(msg) {
    if (this.closed) return;
    switch (msg.type) {
      case 'joined':
        if (!this.joinSent || this.joined) return; // not ours
        this.joined = true;
        this.joinAnswered = true;
        // Tell the page first (edge name for the status line), then apply.
        this.h.message(msg);
        try {
          let servers = msg.iceServers || [];
          if (this.iceTransport === 'relay-tcp') servers = servers.map((s) => ({ ...s, urls: [].concat(s.urls).filter(overTCP) }));
          this.relays = servers.length;
          if (servers.length) this.pc.setConfiguration({ ...this.pc.getConfiguration(), iceServers: servers });
          await this.pc.setLocalDescription(this.offerDesc);
          if (this.closed) return;
          await this.pc.setRemoteDescription({ type: 'answer', sdp: msg.sdp });
        } catch (err) {
          if (this.closed) return;
          console.error('stratus: bad answer', err);
          this.h.message({ type: 'error', code: CODES.INTERNAL, message: `The edge's answer was not usable: ${err.message || err}` });
          return;
        }
        if (this.closed) return;
        for (const c of this.pendingCandidates) this.sendCandidate(c);
        this.pendingCandidates = [];
        for (const c of this.remoteCandidates) this.addRemote(c);
        this.remoteCandidates = [];
        return;
      case 'candidate':
        if (!msg.candidate) return;
        if (this.pc && this.pc.remoteDescription) this.addRemote(msg.candidate);
        else this.remoteCandidates.push(msg.candidate);
        return;
      case 'error':
        if (this.joinSent) this.joinAnswered = true;
        this.h.message(msg);
        return;
      default:
        this.h.message(msg);
    }
  }

  sendCandidate(c) {
    const m = { type: 'candidate', candidate: c };
    if (this.standby) m.standby = true;
    this.sig.send(m);
  }

  addRemote(c) {
    this.pc.addIceCandidate(c).catch((err) => console.warn('stratus: remote candidate', err));
  }

  // close ends the attempt. With leave, the server is told first so the
  // edge frees the session at once instead of on timeout; a rejoin on the
  // same socket does not need it (a join replaces the session). A join
  // still unanswered marks the socket dirty: its answer would arrive on it
  // and be taken for the next join's, so the page must not reuse it.
  close(leave = true) {
    if (this.closed) return;
    this.closed = true;
    if (this.sig && !this.standby) {
      if (this.joinSent && !this.joinAnswered) this.sig.dirty = true;
      // A join refused with an error left no session to leave.
      const refused = this.joinAnswered && !this.joined;
      if (leave && this.joinSent && !refused) this.sig.send({ type: 'leave' });
    }
    if (this.pc) {
      try {
        this.pc.close();
      } catch { /* already closed */ }
    }
    for (const t of this.stream.getTracks()) t.stop();
  }
}

// overTCP says whether a TURN URL is reached over TCP or TLS.
function overTCP(url) {
  return url.startsWith('turns:') || url.endsWith('?transport=tcp');
}

// lowLatency asks the receiver to play frames as soon as they are decoded.
// A game stream would rather show a late frame now than a smooth one later.
function lowLatency(receiver) {
  try {
    if ('jitterBufferTarget' in receiver) receiver.jitterBufferTarget = 0;
    if ('playoutDelayHint' in receiver) receiver.playoutDelayHint = 0;
  } catch { /* hints only */ }
}
