// Mouse capture over the video: buttons and wheel as edges on "input",
// motion as coalesced MouseMove state on "motion".
//
// A MouseMove carries both the absolute position over the picture (0..65535)
// and running sums of relative movement (accX/accY, CSS pixels). Motion
// events are coalesced: at most one MouseMove every MOVE_INTERVAL_MS, sent as
// soon as that allows rather than on the next animation frame, to keep the
// added latency below a frame. Under pointer lock the browser reports only
// relative motion, so the absolute position becomes a virtual cursor moved
// by it and clamped to the picture.
//
// pointerrawupdate (where available: Chromium, secure contexts) delivers
// motion at the device rate instead of once per frame; pointermove is the
// fallback.

import * as proto from './proto.js';
import { contentRect, toVideo } from './geom.js';

const MOVE_INTERVAL_MS = 4;

// DOM MouseEvent.buttons bit → protocol button number (MouseEvent.button).
const DOM_BIT_TO_BUTTON = [0, 2, 1, 3, 4];
const BUTTON_TO_DOM_BIT = [0, 2, 1, 3, 4]; // the same swap of middle and right

const WHEEL_LINE_PX = 40;
const WHEEL_PAGE_PX = 800;

export class Mouse {
  // stage: the element over the video that receives pointer events.
  // isActive(): whether input goes to the game now.
  // onActivate(e): called on each mouse pointerdown before it is sent; returns
  //   true if the press was consumed (e.g. it engaged pointer lock).
  constructor(link, stage, video, { isActive, onActivate }) {
    this.link = link;
    this.stage = stage;
    this.video = video;
    this.isActive = isActive;
    this.onActivate = onActivate;
    this.seq = 0;
    this.x = 32768;
    this.y = 32768;
    this.accX = 0;
    this.accY = 0;
    this.dirty = false;
    this.lastSend = -1e9;
    this.timer = 0;
    this.domButtons = 0; // DOM bits seen held
    this.sent = 0; // protocol buttons we sent as down (bit = button number)
    this.wheelRest = { x: 0, y: 0 };

    const raw = 'onpointerrawupdate' in window;
    stage.addEventListener(raw ? 'pointerrawupdate' : 'pointermove', (e) => this.move(e));
    if (raw) stage.addEventListener('pointermove', (e) => this.isMouse(e) && this.syncButtons(e));
    stage.addEventListener('pointerdown', (e) => this.down(e));
    stage.addEventListener('pointerup', (e) => this.upOrCancel(e));
    stage.addEventListener('pointercancel', (e) => this.upOrCancel(e));
    // Back/forward buttons navigate history on mouseup unless prevented.
    stage.addEventListener('mouseup', (e) => { if (e.button === 3 || e.button === 4) e.preventDefault(); });
    stage.addEventListener('auxclick', (e) => e.preventDefault());
    stage.addEventListener('contextmenu', (e) => e.preventDefault());
    stage.addEventListener('wheel', (e) => this.wheel(e), { passive: false });
  }

  isMouse(e) {
    return e.pointerType === 'mouse' || e.pointerType === 'pen';
  }

  get locked() {
    return document.pointerLockElement === this.stage;
  }

  move(e) {
    if (!this.isMouse(e) || !this.isActive()) return;
    this.accX = (this.accX + Math.round(e.movementX || 0)) | 0;
    this.accY = (this.accY + Math.round(e.movementY || 0)) | 0;
    if (this.locked) {
      const r = contentRect(this.video);
      this.x = Math.min(65535, Math.max(0, this.x + ((e.movementX || 0) / r.width) * 65535));
      this.y = Math.min(65535, Math.max(0, this.y + ((e.movementY || 0) / r.height) * 65535));
    } else {
      const p = toVideo(this.video, e.clientX, e.clientY);
      this.x = p.x;
      this.y = p.y;
    }
    this.dirty = true;
    this.schedule();
    this.syncButtons(e);
  }

  schedule() {
    if (this.timer) return;
    const wait = this.lastSend + MOVE_INTERVAL_MS - performance.now();
    if (wait <= 0) this.flushMove();
    else this.timer = setTimeout(() => this.flushMove(), wait);
  }

  flushMove() {
    clearTimeout(this.timer);
    this.timer = 0;
    if (!this.dirty) return;
    this.dirty = false;
    this.lastSend = performance.now();
    this.seq = (this.seq + 1) & 0xffff;
    this.link.state(proto.mouseMove(this.seq, this.x, this.y, this.accX, this.accY));
  }

  down(e) {
    if (!this.isMouse(e)) return;
    if (this.onActivate(e)) {
      // The press engaged capture; remember its buttons so their release is
      // not sent either.
      this.domButtons = e.buttons;
      return;
    }
    if (!this.isActive()) return;
    e.preventDefault();
    if (!this.locked) {
      try { this.stage.setPointerCapture(e.pointerId); } catch { /* pointer gone */ }
      const p = toVideo(this.video, e.clientX, e.clientY);
      this.x = p.x;
      this.y = p.y;
      this.dirty = true;
    }
    // The title applies a button at the last position it saw, so the
    // position goes out first.
    this.flushMove();
    this.syncButtons(e);
  }

  upOrCancel(e) {
    if (!this.isMouse(e)) return;
    this.flushMove();
    this.syncButtons(e);
  }

  // syncButtons diffs MouseEvent.buttons against what we saw last and sends
  // an edge per change. Pointer events report a second button pressed while
  // one is held only as a pointermove, so every event goes through here.
  syncButtons(e) {
    let now = e.buttons | 0;
    // Trust the event's own button for presses and releases too: synthetic
    // events (automation, some remote-desktop tools) leave buttons at 0.
    const bit = BUTTON_TO_DOM_BIT[e.button];
    if (bit !== undefined) {
      if (e.type === 'pointerdown') now |= 1 << bit;
      else if (e.type === 'pointerup' || e.type === 'pointercancel') now &= ~(1 << bit);
    }
    const changed = now ^ this.domButtons;
    this.domButtons = now;
    if (!changed) return;
    for (let bit = 0; bit < DOM_BIT_TO_BUTTON.length; bit++) {
      if (!(changed & (1 << bit))) continue;
      const b = DOM_BIT_TO_BUTTON[bit];
      const down = !!(now & (1 << bit));
      if (down) {
        if (!this.isActive()) continue;
        this.sent |= 1 << b;
      } else {
        if (!(this.sent & (1 << b))) continue;
        this.sent &= ~(1 << b);
      }
      this.link.edge(proto.mouseButton(b, down));
    }
  }

  wheel(e) {
    if (!this.isActive()) return;
    e.preventDefault();
    const k = e.deltaMode === 1 ? WHEEL_LINE_PX : e.deltaMode === 2 ? WHEEL_PAGE_PX : 1;
    // Keep fractional pixels (high-resolution touchpads) for the next event.
    const x = e.deltaX * k + this.wheelRest.x;
    const y = e.deltaY * k + this.wheelRest.y;
    const dx = Math.trunc(x), dy = Math.trunc(y);
    this.wheelRest = { x: x - dx, y: y - dy };
    if (dx || dy) this.link.edge(proto.wheel(dx, dy));
  }

  // pointAt puts the pointer at a client point over the video, for touches
  // that act as the mouse (touch.js, the "pointer" layout). dx, dy are the
  // finger's movement since its last report, added to the relative sums
  // (0 when it lands: a finger jumps, it does not travel). The caller checks
  // isActive.
  pointAt(clientX, clientY, dx, dy) {
    const p = toVideo(this.video, clientX, clientY);
    this.x = p.x;
    this.y = p.y;
    this.accX = (this.accX + Math.round(dx)) | 0;
    this.accY = (this.accY + Math.round(dy)) | 0;
    this.dirty = true;
    this.schedule();
  }

  // press sends a button edge on behalf of a touch. The position goes in
  // the same message on "input", just ahead of the button: the two channels
  // are not ordered against each other, and a finger jumps, so a press
  // applied before the move would land where the pointer was, not where
  // the finger is (the receiver drops the later, older-numbered copy from
  // "motion" as stale). A release is sent only for a button sent as held,
  // and releaseAll covers these too.
  press(button, down) {
    const bit = 1 << button;
    if (down ? !this.isActive() || this.sent & bit : !(this.sent & bit)) {
      this.flushMove();
      return;
    }
    this.sent = down ? this.sent | bit : this.sent & ~bit;
    clearTimeout(this.timer);
    this.timer = 0;
    this.dirty = false;
    this.lastSend = performance.now();
    this.seq = (this.seq + 1) & 0xffff;
    const buf = new ArrayBuffer(proto.SIZE[proto.MOUSE_MOVE] + proto.SIZE[proto.MOUSE_BUTTON]);
    const dv = new DataView(buf);
    proto.putMouseButton(dv, proto.putMouseMove(dv, 0, this.seq, this.x, this.y, this.accX, this.accY), button, down);
    this.link.edge(buf);
  }

  // releaseAll sends a release for every button we sent as held.
  releaseAll() {
    for (let b = 0; b < 5; b++) {
      if (this.sent & (1 << b)) this.link.edge(proto.mouseButton(b, false));
    }
    this.sent = 0;
    this.domButtons = 0;
  }
}
