// InputLink owns the two input data channels of the current connection and
// is the one place input code sends through.
//
//   - edge(): key, button and touch start/end events. They go on "input"
//     (ordered, reliable). Before the channel opens (or while reconnecting)
//     they wait in a small bounded queue and are flushed on open, so a key
//     pressed during connection set-up is not lost.
//   - state(): mouse motion, gamepad state, touch moves. They go on "motion"
//     (unordered, no retransmits) and carry absolute state, so when the
//     channel is not open they are simply dropped: the next one supersedes it.
//
// It also sends a Ping on "input" once a second and measures the echo, the
// round trip through the edge's input path, and hears the edge's beats on
// "motion" (silentMs).
//
// Text on "input" is the edge talking to the page (control.js): "stats"
// (kept as edgeStats) and the control messages (snapshot, move, ended),
// which go to onControl. Only the attached channel is heard: a message
// still arriving on a detached one (an edge the page has left) is dropped.

import * as proto from './proto.js';
import { CONTROL } from './control.js';

const QUEUE_MAX = 128; // events; a human cannot press more keys than this during set-up
const QUEUE_MAX_AGE_MS = 2000; // older edges would replay as surprising late input
const MOTION_MAX_BUFFERED = 16 << 10; // bytes; beyond this motion is late anyway
const PING_EVERY_MS = 1000;
const BEAT_GAP_MAX_MS = 1000; // a longer gap (a page hidden a while) says nothing of the edge

export class InputLink {
  constructor() {
    this.reliable = null;
    this.motion = null;
    this.queue = []; // {at, buf}
    this.pingId = 0;
    this.pingMs = NaN; // latest echoed round trip
    this.pingTimer = 0;
    this.sent = { edges: 0, states: 0, dropped: 0 };
    this.edgeStats = null;
    this.onControl = null; // (message) for text other than stats
    this.lastBeatAt = 0; // performance.now() of the attached edge's latest beat
    this.beatGapMs = 0; // the longest gap between its beats lately (decaying)
  }

  // attach adopts the channels of a new connection.
  attach(reliable, motion) {
    this.detach();
    this.reliable = reliable;
    this.motion = motion;
    this.edgeStats = null; // a new edge reports afresh
    for (const ch of [reliable, motion]) ch.binaryType = 'arraybuffer';
    reliable.addEventListener('open', () => reliable === this.reliable && this.flush());
    reliable.addEventListener('message', (e) => reliable === this.reliable && this.onMessage(e));
    this.lastBeatAt = 0;
    this.beatGapMs = 0;
    motion.addEventListener('message', (e) => {
      if (motion === this.motion && proto.isBeat(e.data)) this.beat(performance.now());
    });
    if (reliable.readyState === 'open') this.flush();
    this.pingTimer = setInterval(() => this.sendPing(), PING_EVERY_MS);
  }

  // detach forgets the channels (the connection is being torn down). Queued
  // edges stay, to be sent on the next connection's channel.
  detach() {
    clearInterval(this.pingTimer);
    this.pingTimer = 0;
    this.reliable = null;
    this.motion = null;
  }

  // beat notes a beat at now. The gap decays by half in about 350 beats
  // (six seconds): a slow spell is remembered for a while, not for ever.
  beat(now) {
    if (this.lastBeatAt > 0) {
      const gap = Math.min(now - this.lastBeatAt, BEAT_GAP_MAX_MS);
      this.beatGapMs = Math.max(gap, this.beatGapMs * 0.998);
    }
    this.lastBeatAt = now;
  }

  // silentMs is how long the attached edge has not beaten; 0 before its
  // first beat (an edge that does not beat is judged by its frames alone).
  silentMs(now) {
    return this.lastBeatAt > 0 ? now - this.lastBeatAt : 0;
  }

  get open() {
    return !!this.reliable && this.reliable.readyState === 'open';
  }

  edge(buf) {
    if (this.open && this.queue.length === 0) {
      this.send(this.reliable, buf);
      this.sent.edges++;
      return;
    }
    if (this.queue.length >= QUEUE_MAX) this.queue.shift();
    this.queue.push({ at: performance.now(), buf });
    if (this.open) this.flush();
  }

  state(buf) {
    const ch = this.motion;
    if (!ch || ch.readyState !== 'open' || ch.bufferedAmount > MOTION_MAX_BUFFERED) {
      this.sent.dropped++;
      return;
    }
    this.send(ch, buf);
    this.sent.states++;
  }

  flush() {
    if (!this.open) return;
    const now = performance.now();
    const q = this.queue;
    this.queue = [];
    for (const { at, buf } of q) {
      if (now - at > QUEUE_MAX_AGE_MS) continue;
      this.send(this.reliable, buf);
      this.sent.edges++;
    }
  }

  send(ch, buf) {
    try {
      ch.send(buf);
    } catch (err) {
      // A channel can close between the readyState check and send; the
      // connection watchdog handles the rest.
      this.sent.dropped++;
    }
  }

  sendPing() {
    if (!this.open) return;
    this.pingId = (this.pingId + 1) >>> 0;
    this.send(this.reliable, proto.ping(this.pingId, performance.now()));
  }

  onMessage(e) {
    // Text: the edge's report of its side of the session (encoder, encode
    // time, pacing; once a second) or a control message (see the top).
    if (typeof e.data === 'string') {
      let m;
      try {
        m = JSON.parse(e.data);
      } catch (err) {
        // Not ours to fix; the overlay just keeps the last good report.
        return;
      }
      if (!m || typeof m.type !== 'string') return;
      if (m.type === CONTROL.STATS) this.edgeStats = m;
      else if (this.onControl) this.onControl(m);
      return;
    }
    const p = proto.parsePing(e.data);
    if (!p) return;
    // The echo carries our own clock reading, so no bookkeeping of sends is
    // needed; stale echoes (from before a reconnect) are still valid
    // measurements of that moment, but skip ones older than a few pings.
    if (this.pingId - p.id > 5) return;
    this.pingMs = performance.now() - p.clientMs;
  }
}
