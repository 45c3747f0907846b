// Gamepads, real (Gamepad API) and virtual (the touch controls), sent as
// Gamepad state messages on "motion".
//
// A Gamepad message is the full state of one pad with a sequence number, so
// the edge can drop stale ones. It is sent whenever the state changes. Since
// "motion" may lose messages, the current state is also re-sent every
// REFRESH_MS while the pad is not at rest and for SETTLE_MS after the last
// change: the first heals a lost press, the second a lost release (which
// would otherwise leave a button held on the edge). A refresh carries the
// same state as before; titles count a change, not a message.
//
// Real pads are polled on every animation frame (the Gamepad API has no
// events for state); a timer keeps polling and refreshing when frames stop
// (hidden tab) and drives the refresh of virtual pads.

import * as proto from './proto.js';

const REFRESH_MS = 100;
const SETTLE_MS = 500;
const DEADZONE = 0.05; // stick noise below this reads as centred

export function neutralPad(index) {
  return { index, buttons: 0, axes: [0, 0, 0, 0], lt: 0, rt: 0 };
}

function readPad(gp) {
  let buttons = 0;
  const n = Math.min(gp.buttons.length, proto.PAD_BUTTONS);
  for (let i = 0; i < n; i++) if (gp.buttons[i].pressed) buttons |= 1 << i;
  const axes = [0, 0, 0, 0];
  for (let i = 0; i < Math.min(gp.axes.length, proto.PAD_AXES); i++) {
    const v = gp.axes[i];
    axes[i] = Math.abs(v) < DEADZONE ? 0 : v;
  }
  const value = (i) => (gp.buttons[i] ? gp.buttons[i].value : 0);
  return { index: gp.index, buttons: buttons >>> 0, axes, lt: value(6), rt: value(7) };
}

// wireKey identifies a state as it will look on the wire, so float jitter
// that rounds to the same integers is not a change.
function wireKey(p) {
  const q = (v) => Math.round(v * 32767);
  const t = (v) => Math.round(v * 255);
  return `${p.buttons}|${p.axes.map(q).join(',')}|${t(p.lt)}|${t(p.rt)}`;
}

function atRest(p) {
  return p.buttons === 0 && p.lt === 0 && p.rt === 0 && p.axes.every((a) => a === 0);
}

export class Gamepads {
  // isActive(): whether input goes to the game now.
  // onConnect(gamepad, connected): a real pad was plugged in or removed.
  constructor(link, { isActive, onConnect }) {
    this.link = link;
    this.isActive = isActive;
    this.onConnect = onConnect || (() => {});
    this.seq = 0;
    this.pads = new Map(); // pad index → {state, key, changedAt, sentAt, virtual}
    this.lastPoll = 0;
    this.supported = typeof navigator.getGamepads === 'function';
    if (this.supported) {
      window.addEventListener('gamepadconnected', (e) => this.onConnect(e.gamepad, true));
      window.addEventListener('gamepaddisconnected', (e) => this.onConnect(e.gamepad, false));
    }
    const frame = () => {
      this.poll();
      requestAnimationFrame(frame);
    };
    requestAnimationFrame(frame);
    setInterval(() => {
      if (performance.now() - this.lastPoll > REFRESH_MS / 2) this.poll();
      this.refresh();
    }, REFRESH_MS / 2);
  }

  poll() {
    this.lastPoll = performance.now();
    if (!this.supported) return;
    let list;
    try {
      list = navigator.getGamepads();
    } catch {
      return; // blocked by permissions policy
    }
    const seen = new Set();
    for (const gp of list) {
      if (!gp || !gp.connected) continue;
      seen.add(gp.index);
      this.update(readPad(gp), false);
    }
    for (const [index, p] of this.pads) {
      // A pad that went away is released, not left in its last state.
      if (!p.virtual && !seen.has(index)) this.update(neutralPad(index), false);
    }
  }

  // setVirtual feeds the state of an on-screen pad.
  setVirtual(state) {
    this.update(state, true);
  }

  update(state, virtual) {
    const key = wireKey(state);
    const now = performance.now();
    let p = this.pads.get(state.index);
    if (!p) {
      p = { state: neutralPad(state.index), key: wireKey(neutralPad(state.index)), changedAt: -1e9, sentAt: -1e9, virtual };
      this.pads.set(state.index, p);
    }
    if (key === p.key) return;
    p.state = state;
    p.key = key;
    p.changedAt = now;
    this.send(p, now);
  }

  refresh() {
    const now = performance.now();
    for (const p of this.pads.values()) {
      const live = !atRest(p.state) || now - p.changedAt < SETTLE_MS;
      if (live && now - p.sentAt >= REFRESH_MS) this.send(p, now);
    }
  }

  send(p, now) {
    p.sentAt = now;
    if (!this.isActive()) return;
    this.seq = (this.seq + 1) & 0xffff;
    this.link.state(proto.gamepad(this.seq, p.state));
  }

  // releaseAll sets every pad to rest (focus lost, teardown).
  releaseAll() {
    for (const [index, p] of this.pads) this.update(neutralPad(index), p.virtual);
  }
}
