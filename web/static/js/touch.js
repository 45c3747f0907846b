// Touch input for phones and tablets.
//
// Two parts:
//   - TouchControls: the on-screen controls overlaid on the video, built
//     from the title's touch profile (the studio's manifest, input.touch;
//     see show() below). Without a profile it is the default gamepad: a
//     floating analog stick on the left and A/B/X/Y + Start on the right,
//     driving a virtual pad (index VIRTUAL_PAD) sent exactly like a real
//     one.
//   - TouchPointer: touches on the video outside the controls. They are sent
//     as Touch events (start and end (and cancel) on "input" so they are
//     never lost, moves coalesced onto "motion"), or, for the "pointer"
//     layout, as the mouse.
//
// Both use pointer events: the controls and the stage set touch-action: none
// so the browser does not scroll or zoom, and a touch is implicitly captured
// by the element it started on, so a thumb sliding off a button keeps it
// pressed until lifted, like a physical button.

import * as proto from './proto.js';
import { neutralPad } from './gamepad.js';
import { toVideo } from './geom.js';
import { keyCode, padBit, STICK_KEYS, stickDirections } from './touchmap.js';

export const VIRTUAL_PAD = 3;
const MOVE_INTERVAL_MS = 8;

// The manifest allows at most this many buttons (title/manifest/input.go);
// more would not fit along the edge of a phone held sideways.
export const MAX_BUTTONS = 8;
const BUTTONS_PER_COLUMN = 4;

// hasTouch reports whether to offer touch controls.
export function hasTouch() {
  return matchMedia('(pointer: coarse)').matches || 'ontouchstart' in window || navigator.maxTouchPoints > 0;
}

// knownLayout tells a profile this page can build from one of a newer
// edge, which is treated as no profile at all.
export function knownLayout(profile) {
  return !!profile && ['none', 'pointer', 'gamepad'].includes(profile.layout);
}

const BUTTONS = [
  // [label, standard-mapping bit, css class]
  ['Y', 3, 'pad-y'],
  ['X', 2, 'pad-x'],
  ['B', 1, 'pad-b'],
  ['A', 0, 'pad-a'],
];
const START_BIT = 9;

const el = (tag, cls, text) => {
  const e = document.createElement(tag);
  e.className = cls;
  if (text) e.textContent = text;
  return e;
};

export class TouchControls {
  // root: the controls container (pointer-events: none; its children take
  // pointer events). gamepads: the Gamepads sender, for the virtual pad.
  // link: the InputLink, for keys. isActive(): whether input goes to the
  // game now.
  constructor(root, { gamepads, link, isActive }) {
    this.root = root;
    this.gamepads = gamepads;
    this.link = link;
    this.isActive = isActive;
    this.state = neutralPad(VIRTUAL_PAD);
    this.keys = new Map(); // virtual-key code → presses holding it (buttons and stick may share a key)
    this.releasers = []; // per control: lets go of whatever it holds
    this.visible = false;
  }

  // show builds the controls for a touch profile ({layout, stick, buttons},
  // as in the manifest) and returns whether any are on screen:
  //   - null (built-in titles, no profile): the default gamepad, shown only
  //     when padInput (the title reads a gamepad).
  //   - "none" and "pointer": none; touches on the video go to the title
  //     (TouchPointer) as touches or as the mouse.
  //   - "gamepad": a stick unless stick is "none", and one button per entry
  //     of buttons, down the right edge.
  show(profile, padInput = true) {
    this.releaseAll();
    this.releasers = [];
    this.root.replaceChildren();
    if (!profile) {
      if (padInput) this.buildDefault();
    } else if (profile.layout === 'gamepad') {
      this.buildProfile(profile);
    }
    this.visible = this.root.childElementCount > 0;
    return this.visible;
  }

  buildDefault() {
    this.stick(false, (x, y) => this.setAxes(x, y));

    const cluster = el('div', 'pad-cluster');
    for (const [label, bit, cls] of BUTTONS) {
      const b = el('button', `pad-btn ${cls}`, label);
      b.setAttribute('aria-label', `Button ${label}`);
      this.button(b, (down) => this.setPadBit(bit, down));
      cluster.append(b);
    }
    this.root.append(cluster);

    const start = el('button', 'pad-start', '☰');
    start.setAttribute('aria-label', 'Start');
    this.button(start, (down) => this.setPadBit(START_BIT, down));
    this.root.append(start);
  }

  buildProfile({ stick, buttons }) {
    if (stick === 'gamepad') {
      this.stick(false, (x, y) => this.setAxes(x, y));
    } else if (STICK_KEYS[stick]) {
      const keys = STICK_KEYS[stick];
      let held = new Set();
      this.stick(stick, (x, y) => {
        const now = stickDirections(x, y, held);
        for (const d of held) if (!now.has(d)) this.holdKey(keys[d], false);
        for (const d of now) if (!held.has(d)) this.holdKey(keys[d], true);
        held = now;
      });
    }

    const list = Array.isArray(buttons) ? buttons : [];
    if (list.length > MAX_BUTTONS) console.warn(`stratus: touch profile has ${list.length} buttons; showing the first ${MAX_BUTTONS}`);
    const shown = list.slice(0, MAX_BUTTONS);
    if (!shown.length) return;
    // Columns of up to BUTTONS_PER_COLUMN, filled from the bottom right: the
    // first button, the title's main action, sits under the right thumb.
    const rows = Math.min(shown.length, BUTTONS_PER_COLUMN);
    const cols = Math.ceil(shown.length / rows);
    const column = el('div', 'touch-buttons');
    column.setAttribute('role', 'group');
    column.setAttribute('aria-label', 'Game buttons');
    shown.forEach((spec, i) => {
      const label = String(spec.label || spec.key || spec.pad || '?');
      const b = el('button', 'touch-btn', label);
      b.type = 'button';
      b.setAttribute('aria-label', label);
      b.style.gridRow = String(rows - (i % rows));
      b.style.gridColumn = String(cols - Math.floor(i / rows));
      const send = this.action(spec);
      if (send) {
        this.button(b, send);
      } else {
        // The edge's catalog names a key or button this page does not
        // know (a newer manifest vocabulary): show the button, but say so
        // rather than let presses vanish.
        b.disabled = true;
        b.setAttribute('aria-disabled', 'true');
        console.warn(`stratus: touch button ${JSON.stringify(label)}: unknown key ${JSON.stringify(spec.key)} / pad ${JSON.stringify(spec.pad)}`);
      }
      column.append(b);
    });
    this.root.append(column);
  }

  // action returns what pressing a profile button does (down: bool), or
  // null when the page cannot map it.
  action(spec) {
    if (spec.key) {
      const vk = keyCode(spec.key);
      return vk ? (down) => this.holdKey(vk, down) : null;
    }
    if (spec.pad) {
      const bit = padBit(spec.pad);
      return bit >= 0 ? (down) => this.setPadBit(bit, down) : null;
    }
    return null;
  }

  // holdKey counts presses of a virtual key: the first sends KeyDown, the
  // last release KeyUp, both on "input" (reliable, queued while the channel
  // is not open) like the keyboard's. A press while input does not go to
  // the game is not sent, and so neither is its release.
  holdKey(vk, down) {
    const n = this.keys.get(vk) || 0;
    if (down) {
      if (n === 0) {
        if (!this.isActive()) return;
        this.link.edge(proto.key(true, vk, 0));
      }
      this.keys.set(vk, n + 1);
    } else {
      if (n === 0) return;
      if (n > 1) {
        this.keys.set(vk, n - 1);
        return;
      }
      this.keys.delete(vk);
      this.link.edge(proto.key(false, vk, 0));
    }
  }

  setPadBit(bit, down) {
    const mask = 1 << bit;
    const was = (this.state.buttons & mask) !== 0;
    if (was === down) return;
    this.state = { ...this.state, buttons: (down ? this.state.buttons | mask : this.state.buttons & ~mask) >>> 0 };
    this.gamepads.setVirtual(this.state);
  }

  setAxes(x, y) {
    this.state = { ...this.state, axes: [x, y, 0, 0] };
    this.gamepads.setVirtual(this.state);
  }

  // button makes b press while any finger is on it; onChange(down) runs on
  // the first finger down and the last one up.
  button(b, onChange) {
    const fingers = new Set();
    const set = (down) => {
      b.classList.toggle('down', down);
      if (down && navigator.vibrate) navigator.vibrate(8);
      onChange(down);
    };
    b.addEventListener('pointerdown', (e) => {
      e.preventDefault();
      const first = fingers.size === 0;
      fingers.add(e.pointerId);
      if (first) set(true);
    });
    const up = (e) => {
      if (!fingers.delete(e.pointerId) || fingers.size) return;
      set(false);
    };
    b.addEventListener('pointerup', up);
    b.addEventListener('pointercancel', up);
    b.addEventListener('contextmenu', (e) => e.preventDefault());
    this.releasers.push(() => {
      if (!fingers.size) return;
      fingers.clear();
      set(false);
    });
  }

  // stick adds the floating stick; onAxes(x, y) gets its position, each
  // -1..1 (y down), on every move and (0, 0) when the thumb lifts. keys
  // names the keys it sends ("arrows", "wasd"), for its label; false for
  // the gamepad's left stick.
  stick(keys, onAxes) {
    // The zone is large and invisible; the visible base sits at its resting
    // place and jumps under the thumb where it lands, so the player need
    // not hit a small target.
    const zone = el('div', 'stick-zone');
    const base = el('div', 'stick-base');
    const knob = el('div', 'stick-knob');
    base.append(knob);
    zone.append(base);
    if (keys) {
      zone.setAttribute('role', 'group');
      zone.setAttribute('aria-label', keys === 'wasd' ? 'Stick: W A S D keys' : 'Stick: arrow keys');
    }
    this.root.append(zone);

    let id = null, cx = 0, cy = 0;
    const radius = () => base.getBoundingClientRect().width / 2;
    const setAxes = (x, y) => {
      const r = radius();
      knob.style.transform = `translate(calc(-50% + ${x * r}px), calc(-50% + ${y * r}px))`;
      onAxes(x, y);
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
    const release = () => {
      id = null;
      base.style.left = base.style.top = '';
      base.classList.remove('active');
      setAxes(0, 0);
    };
    const end = (e) => {
      if (e.pointerId === id) release();
    };
    zone.addEventListener('pointerup', end);
    zone.addEventListener('pointercancel', end);
    this.releasers.push(() => id !== null && release());
  }

  // releaseAll lets go of every control (focus lost, page hidden, a new
  // profile): held keys get their KeyUp, the virtual pad goes to rest.
  releaseAll() {
    for (const r of this.releasers) r();
    for (const vk of this.keys.keys()) this.link.edge(proto.key(false, vk, 0));
    this.keys.clear();
    if (this.state.buttons || this.state.axes.some((a) => a !== 0)) {
      this.state = neutralPad(VIRTUAL_PAD);
      this.gamepads.setVirtual(this.state);
    }
  }
}

// TouchPointer sends touches on the video, in one of two modes:
//   - "touch" (default): each finger as a Touch event.
//   - "mouse" (the "pointer" layout): the first finger is the mouse — the
//     pointer follows it (absolute position over the picture, as mouse.js
//     sends for a moving mouse, and its movement as relative motion) and
//     the left button is held from touch start to touch end, so a tap is a
//     click and a drag a drag. A second finger while the first is down
//     holds the right button (a two-finger tap is a right click) without
//     moving the pointer. Further fingers are ignored.
export class TouchPointer {
  // mouse: the Mouse, through which "mouse" mode sends.
  constructor(link, stage, video, { isActive, mouse }) {
    this.link = link;
    this.video = video;
    this.isActive = isActive;
    this.mouse = mouse;
    this.mode = 'touch';
    this.ids = new Map(); // pointerId → protocol touch id
    this.moved = new Map(); // protocol id → {x, y} not yet sent
    this.lastSend = -1e9;
    this.timer = 0;
    this.fingers = new Map(); // "mouse" mode: pointerId → {button, x, y}
    stage.addEventListener('pointerdown', (e) => this.start(e));
    stage.addEventListener('pointermove', (e) => this.move(e));
    stage.addEventListener('pointerup', (e) => this.end(e, proto.TOUCH_END));
    stage.addEventListener('pointercancel', (e) => this.end(e, proto.TOUCH_CANCEL));
  }

  // setMode switches between "touch" and "mouse"; fingers down are
  // released first so nothing stays held in the old mode.
  setMode(mode) {
    if (mode === this.mode) return;
    this.releaseAll();
    this.mode = mode;
  }

  freeId() {
    const used = new Set(this.ids.values());
    for (let i = 0; i < 256; i++) if (!used.has(i)) return i;
    return -1;
  }

  start(e) {
    if (e.pointerType !== 'touch' || !this.isActive()) return;
    e.preventDefault();
    if (this.mode === 'mouse') {
      this.mouseStart(e);
      return;
    }
    const id = this.freeId();
    if (id < 0) return;
    this.ids.set(e.pointerId, id);
    const p = toVideo(this.video, e.clientX, e.clientY);
    this.link.edge(proto.touch(id, proto.TOUCH_START, p.x, p.y));
  }

  move(e) {
    if (this.mode === 'mouse') {
      this.mouseMove(e);
      return;
    }
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
    if (this.mode === 'mouse') {
      this.mouseEnd(e);
      return;
    }
    const id = this.ids.get(e.pointerId);
    if (id === undefined) return;
    this.moved.delete(id);
    this.ids.delete(e.pointerId);
    const p = toVideo(this.video, e.clientX, e.clientY);
    this.link.edge(proto.touch(id, phase, p.x, p.y));
  }

  mouseStart(e) {
    const buttons = new Set([...this.fingers.values()].map((f) => f.button));
    let button;
    if (!buttons.has(0) && this.fingers.size === 0) button = 0;
    else if (buttons.has(0) && !buttons.has(2)) button = 2;
    else return;
    this.fingers.set(e.pointerId, { button, x: e.clientX, y: e.clientY });
    // The title applies a button at the last position it saw: the left
    // button's finger moves the pointer first (press() sends it ahead).
    if (button === 0) this.mouse.pointAt(e.clientX, e.clientY, 0, 0);
    this.mouse.press(button, true);
  }

  mouseMove(e) {
    const f = this.fingers.get(e.pointerId);
    if (!f || f.button !== 0) return;
    this.mouse.pointAt(e.clientX, e.clientY, e.clientX - f.x, e.clientY - f.y);
    f.x = e.clientX;
    f.y = e.clientY;
  }

  // mouseEnd releases the finger's button, for a lift and a cancel alike:
  // a button must not stay held on the edge.
  mouseEnd(e) {
    const f = this.fingers.get(e.pointerId);
    if (!f) return;
    this.fingers.delete(e.pointerId);
    if (f.button === 0) this.mouse.pointAt(e.clientX, e.clientY, e.clientX - f.x, e.clientY - f.y);
    this.mouse.press(f.button, false);
  }

  // releaseAll cancels every touch in progress.
  releaseAll() {
    this.moved.clear();
    for (const id of this.ids.values()) this.link.edge(proto.touch(id, proto.TOUCH_CANCEL, 0, 0));
    this.ids.clear();
    for (const f of this.fingers.values()) this.mouse.press(f.button, false);
    this.fingers.clear();
  }
}
