// Touch input for phones and tablets.
//
// Two parts:
//   - TouchControls: an on-screen gamepad overlaid on the video, a floating
//     analog stick on the left and A/B/X/Y + Start on the right, that drives
//     a virtual pad (index VIRTUAL_PAD) sent exactly like a real one.
//   - TouchPointer: touches on the video outside the controls are sent as
//     Touch events: start and end (and cancel) on "input" so they are never
//     lost, moves coalesced onto "motion".
//
// Both use pointer events: the controls and the stage set touch-action: none
// so the browser does not scroll or zoom, and a touch is implicitly captured
// by the element it started on, so a thumb sliding off a button keeps it
// pressed until lifted, like a physical button.

import * as proto from './proto.js';
import { neutralPad } from './gamepad.js';
import { toVideo } from './geom.js';

export const VIRTUAL_PAD = 3;
const MOVE_INTERVAL_MS = 8;

// hasTouch reports whether to offer touch controls.
export function hasTouch() {
  return matchMedia('(pointer: coarse)').matches || 'ontouchstart' in window || navigator.maxTouchPoints > 0;
}

const BUTTONS = [
  // [label, standard-mapping bit, css class]
  ['Y', 3, 'pad-y'],
  ['X', 2, 'pad-x'],
  ['B', 1, 'pad-b'],
  ['A', 0, 'pad-a'],
];
const START_BIT = 9;

export class TouchControls {
  // root: the controls container (pointer-events: none; its children take
  // pointer events). gamepads: the Gamepads sender.
  constructor(root, gamepads) {
    this.root = root;
    this.gamepads = gamepads;
    this.state = neutralPad(VIRTUAL_PAD);
    this.build();
  }

  build() {
    const el = (tag, cls, text) => {
      const e = document.createElement(tag);
      e.className = cls;
      if (text) e.textContent = text;
      return e;
    };

    // Left: the stick zone is large and invisible; the visible base sits at
    // its resting place and jumps under the thumb where it lands, so the
    // player need not hit a small target.
    const zone = el('div', 'stick-zone');
    const base = el('div', 'stick-base');
    const knob = el('div', 'stick-knob');
    base.append(knob);
    zone.append(base);
    this.root.append(zone);
    this.stick(zone, base, knob);

    const cluster = el('div', 'pad-cluster');
    for (const [label, bit, cls] of BUTTONS) {
      const b = el('button', `pad-btn ${cls}`, label);
      b.setAttribute('aria-label', `Button ${label}`);
      this.button(b, bit);
      cluster.append(b);
    }
    this.root.append(cluster);

    const start = el('button', 'pad-start', '☰');
    start.setAttribute('aria-label', 'Start');
    this.button(start, START_BIT);
    this.root.append(start);
  }

  button(b, bit) {
    const set = (down) => {
      const mask = 1 << bit;
      const was = (this.state.buttons & mask) !== 0;
      if (was === down) return;
      this.state = { ...this.state, buttons: (down ? this.state.buttons | mask : this.state.buttons & ~mask) >>> 0 };
      b.classList.toggle('down', down);
      if (down && navigator.vibrate) navigator.vibrate(8);
      this.gamepads.setVirtual(this.state);
    };
    b.addEventListener('pointerdown', (e) => { e.preventDefault(); set(true); });
    b.addEventListener('pointerup', () => set(false));
    b.addEventListener('pointercancel', () => set(false));
    b.addEventListener('contextmenu', (e) => e.preventDefault());
  }

  stick(zone, base, knob) {
    let id = null, cx = 0, cy = 0;
    const radius = () => base.getBoundingClientRect().width / 2;
    const setAxes = (x, y) => {
      const r = radius();
      knob.style.transform = `translate(calc(-50% + ${x * r}px), calc(-50% + ${y * r}px))`;
      this.state = { ...this.state, axes: [x, y, 0, 0] };
      this.gamepads.setVirtual(this.state);
    };
    zone.addEventListener('pointerdown', (e) => {
      if (id !== null) return;
      e.preventDefault();
      id = e.pointerId;
      const zr = zone.getBoundingClientRect();
      cx = e.clientX;
      cy = e.clientY;
      base.style.left = `${cx - zr.left}px`;
      base.style.top = `${cy - zr.top}px`;
      base.classList.add('active');
    });
    zone.addEventListener('pointermove', (e) => {
      if (e.pointerId !== id) return;
      const r = radius();
      let x = (e.clientX - cx) / r, y = (e.clientY - cy) / r;
      const len = Math.hypot(x, y);
      if (len > 1) { x /= len; y /= len; }
      setAxes(x, y);
    });
    const end = (e) => {
      if (e.pointerId !== id) return;
      id = null;
      base.style.left = base.style.top = '';
      base.classList.remove('active');
      setAxes(0, 0);
    };
    zone.addEventListener('pointerup', end);
    zone.addEventListener('pointercancel', end);
  }
}

export class TouchPointer {
  constructor(link, stage, video, { isActive }) {
    this.link = link;
    this.video = video;
    this.isActive = isActive;
    this.ids = new Map(); // pointerId → protocol touch id
    this.moved = new Map(); // protocol id → {x, y} not yet sent
    this.lastSend = -1e9;
    this.timer = 0;
    stage.addEventListener('pointerdown', (e) => this.start(e));
    stage.addEventListener('pointermove', (e) => this.move(e));
    stage.addEventListener('pointerup', (e) => this.end(e, proto.TOUCH_END));
    stage.addEventListener('pointercancel', (e) => this.end(e, proto.TOUCH_CANCEL));
  }

  freeId() {
    const used = new Set(this.ids.values());
    for (let i = 0; i < 256; i++) if (!used.has(i)) return i;
    return -1;
  }

  start(e) {
    if (e.pointerType !== 'touch' || !this.isActive()) return;
    e.preventDefault();
    const id = this.freeId();
    if (id < 0) return;
    this.ids.set(e.pointerId, id);
    const p = toVideo(this.video, e.clientX, e.clientY);
    this.link.edge(proto.touch(id, proto.TOUCH_START, p.x, p.y));
  }

  move(e) {
    const id = this.ids.get(e.pointerId);
    if (id === undefined) return;
    this.moved.set(id, toVideo(this.video, e.clientX, e.clientY));
    if (this.timer) return;
    const wait = this.lastSend + MOVE_INTERVAL_MS - performance.now();
    if (wait <= 0) this.flush();
    else this.timer = setTimeout(() => this.flush(), wait);
  }

  // flush sends all pending moves, one Touch event per finger, in one message.
  flush() {
    clearTimeout(this.timer);
    this.timer = 0;
    if (this.moved.size === 0) return;
    const buf = new ArrayBuffer(this.moved.size * proto.SIZE[proto.TOUCH]);
    const dv = new DataView(buf);
    let off = 0;
    for (const [id, p] of this.moved) off = proto.putTouch(dv, off, id, proto.TOUCH_MOVE, p.x, p.y);
    this.moved.clear();
    this.lastSend = performance.now();
    this.link.state(buf);
  }

  end(e, phase) {
    const id = this.ids.get(e.pointerId);
    if (id === undefined) return;
    this.moved.delete(id);
    this.ids.delete(e.pointerId);
    const p = toVideo(this.video, e.clientX, e.clientY);
    this.link.edge(proto.touch(id, phase, p.x, p.y));
  }

  // releaseAll cancels every touch in progress.
  releaseAll() {
    this.moved.clear();
    for (const id of this.ids.values()) this.link.edge(proto.touch(id, proto.TOUCH_CANCEL, 0, 0));
    this.ids.clear();
  }
}
