// standby.js — the page's warm standby: a second Connection (session.js) to
// the next-best edge, joined with "standby":true once the game plays. The
// standby edge answers and connects it (ICE, DTLS, the data channels, its
// beat on "motion") but runs no game and encodes nothing. The page forwards
// each new resume token on the standby's "input" channel, and keeps it
// alive; when the serving edge dies, one "activate" message makes the
// standby edge start the game from the latest token and send video on the
// connection already up: a resume, not a join (play.js switches to it).
//
// Messages on the standby's "input" channel (JSON text; Go's side is
// input/standby.go): page → edge STANDBY.STATE {token}, STANDBY.KEEP,
// STANDBY.ACTIVATE {token}; edge → page CONTROL.ACTIVATED {resumed} or
// CONTROL.REFUSED {reason} (control.js).

import * as proto from './proto.js';

export const STANDBY = Object.freeze({
  STATE: 'state',
  KEEP: 'keep',
  ACTIVATE: 'activate',
});

// The edge closes a standby it has not heard from in 15 s (edge.Config
// StandbyIdle); a keep every 5 s survives two lost ones.
const KEEP_EVERY_MS = 5000;
// A standby whose edge has not beaten for this long is not trusted with a
// failover: the page rejoins instead. The beat comes every frame time, and
// the serving edge is declared dead after at least 150 ms of silence
// (policy.js), so a standby that died with it (one rack, one network) is
// already past this when the failover starts.
const BEAT_FRESH_MS = 100;

export class Standby {
  // conn is a Connection made with standby: true and started, so that its
  // channels exist; onLost is called when its channel closes while it
  // stands by (the edge closed it: idle, draining, shutting down).
  constructor(conn, onLost = () => {}) {
    this.conn = conn;
    this.activating = false;
    this.token = '';
    this.edge = '';
    this.region = '';
    this.session = '';
    this.lastBeatAt = 0;
    conn.motion.binaryType = 'arraybuffer';
    conn.motion.addEventListener('message', (e) => {
      if (proto.isBeat(e.data)) this.lastBeatAt = performance.now();
    });
    conn.input.addEventListener('open', () => this.sendState());
    conn.input.addEventListener('close', () => {
      if (!this.activating && !conn.closed) onLost();
    });
    this.keepTimer = setInterval(() => this.send({ type: STANDBY.KEEP }), KEEP_EVERY_MS);
  }

  // joined records the signaling node's answer to the standby's join.
  joined(m) {
    this.edge = m.edge || '';
    this.region = m.region || '';
    this.session = m.session || '';
  }

  // forward hands the standby the game's latest resume token.
  forward(token) {
    if (!token || token === this.token) return;
    this.token = token;
    this.sendState();
  }

  sendState() {
    if (this.token) this.send({ type: STANDBY.STATE, token: this.token });
  }

  send(m) {
    const ch = this.conn.input;
    if (!ch || ch.readyState !== 'open') return false;
    try {
      ch.send(JSON.stringify(m));
      return true;
    } catch {
      return false; // closed between the check and the send
    }
  }

  // ready says whether the standby can take the game over now: joined,
  // connected, its channel open and its edge beating.
  ready(now) {
    const c = this.conn;
    return !c.closed && c.joined && !!c.pc && c.pc.connectionState === 'connected' &&
      c.input.readyState === 'open' && this.lastBeatAt > 0 && now - this.lastBeatAt < BEAT_FRESH_MS;
  }

  // activate asks the standby edge to start the game from token (the
  // freshest the page holds); false when the message could not go.
  activate(token) {
    this.activating = true;
    clearInterval(this.keepTimer);
    this.keepTimer = 0;
    const m = { type: STANDBY.ACTIVATE };
    if (token || this.token) m.token = token || this.token;
    return this.send(m);
  }

  // close ends the standby's connection (not its Connection's socket).
  close() {
    clearInterval(this.keepTimer);
    this.keepTimer = 0;
    this.conn.close(false);
  }
}
