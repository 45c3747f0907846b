// capture.js — the player's input devices for the life of the play page:
// keyboard, mouse (with pointer lock), gamepads, the touch screen and its
// on-screen controls, and fullscreen. Everything sends through one
// InputLink (link.js), which each new connection's data channels are
// attached to; isActive() says whether input goes to the game at all.

import { Keyboard } from './keyboard.js';
import { Mouse } from './mouse.js';
import { Gamepads } from './gamepad.js';
import { TouchControls, TouchPointer, hasTouch, knownLayout } from './touch.js';

export class Capture {
  // opts: link, stage, video, pad (the on-screen controls' element),
  // isActive(), onStatsKey(), toast(text), onGesture(first) (every first
  // click or tap; first for the page's very first), onLockChange().
  constructor({ link, stage, video, pad, isActive, onStatsKey, toast, onGesture, onLockChange }) {
    this.stage = stage;
    this.pad = pad;
    this.isActive = isActive;
    this.touch = hasTouch();
    this.lockRefused = false;
    this.touchShown = null; // what the on-screen controls were built from, as JSON
    this.keyboard = new Keyboard(link, { isActive, onStatsKey });
    this.mouse = new Mouse(link, stage, video, { isActive, onActivate: (e) => this.mouseActivate(e) });
    this.gamepads = new Gamepads(link, {
      isActive,
      onConnect: (gp, connected) => toast(connected ? `Gamepad connected: ${gp.id.replace(/\s*\(.*$/, '') || 'controller'}` : 'Gamepad disconnected'),
    });
    this.touchPointer = new TouchPointer(link, stage, video, { isActive, mouse: this.mouse });
    this.controls = this.touch ? new TouchControls(pad, { gamepads: this.gamepads, link, isActive }) : null;
    if (this.touch) document.body.classList.add('touch');

    // The first click or tap anywhere unmutes (browsers only autoplay
    // muted), starts the sound meter (an AudioContext only runs after a
    // user activation) and, on a phone, goes fullscreen in landscape. All
    // three need the event to be a user activation, and a press is one only
    // for a mouse: a finger or pen activates the page when it lifts (HTML's
    // activation-triggering events: pointerdown for a mouse, pointerup
    // otherwise; in Chromium an AudioContext made on a touch's pointerdown
    // stays suspended). It runs in the capture phase, so before the stage's
    // own handlers.
    let activated = false;
    const activate = (e) => {
      const first = !activated;
      activated = true;
      onGesture(first);
      if (first && e.pointerType !== 'mouse') enterFullscreen();
    };
    document.addEventListener('pointerdown', (e) => e.pointerType === 'mouse' && activate(e), true);
    document.addEventListener('pointerup', (e) => e.pointerType !== 'mouse' && activate(e), true);
    document.addEventListener('pointerlockchange', () => {
      if (!this.locked) this.mouse.releaseAll();
      onLockChange();
    });
    window.addEventListener('blur', () => this.releaseAll());
    document.addEventListener('visibilitychange', () => document.hidden && this.releaseAll());
  }

  get locked() {
    return document.pointerLockElement === this.stage;
  }

  releaseAll() {
    this.keyboard.releaseAll();
    this.mouse.releaseAll();
    this.touchPointer.releaseAll();
    if (this.controls) this.controls.releaseAll();
    this.gamepads.releaseAll();
  }

  // showTouch builds the on-screen controls for the title's touch profile
  // (info.touch, from the studio's manifest; info is the catalog entry, or
  // null before it arrives). Until the entry arrives, and for titles
  // without a profile (the built-in ones, or a layout this page does not
  // know), it is the default gamepad, shown only for titles that read a
  // pad. The controls are rebuilt only when what they would show changes: a
  // rebuild releases everything held. It returns the layout shown, or ''
  // when nothing changed.
  showTouch(info) {
    if (!this.controls) return '';
    const profile = info && knownLayout(info.touch) ? info.touch : null;
    const padInput = !info || !Array.isArray(info.inputs) || info.inputs.includes('gamepad');
    const key = JSON.stringify([profile, padInput]);
    if (key === this.touchShown) return '';
    this.touchShown = key;
    this.pad.hidden = !this.controls.show(profile, padInput);
    this.touchPointer.setMode(profile && profile.layout === 'pointer' ? 'mouse' : 'touch');
    return profile ? profile.layout : 'default';
  }

  // mouseActivate runs for every mouse press on the stage: when the pointer
  // is not locked, the press asks for pointer lock and is not sent to the
  // game (it is the "capture the mouse" click). Where the browser refuses
  // the lock, presses are sent as they are from then on, so the mouse still
  // works.
  mouseActivate() {
    if (!this.isActive() || this.locked || !this.stage.requestPointerLock) return false;
    this.lockPointer();
    return !this.lockRefused;
  }

  async lockPointer() {
    try {
      // Raw (unaccelerated) motion is what games expect; not every browser has it.
      await this.stage.requestPointerLock({ unadjustedMovement: true });
      this.lockRefused = false;
    } catch {
      try {
        await this.stage.requestPointerLock();
        this.lockRefused = false;
      } catch {
        this.lockRefused = true;
      }
    }
  }

  // fullscreen toggles fullscreen. In desktop fullscreen, keyboard lock lets
  // games have Esc, Ctrl+W and friends; Chrome then tells the player to hold
  // Esc to leave.
  fullscreen() {
    if (document.fullscreenElement) {
      document.exitFullscreen().catch(() => {});
      return;
    }
    enterFullscreen();
    if (!this.touch && navigator.keyboard && navigator.keyboard.lock) navigator.keyboard.lock().catch(() => {});
  }
}

async function enterFullscreen() {
  try {
    if (!document.fullscreenElement) await document.documentElement.requestFullscreen({ navigationUI: 'hide' });
    if (screen.orientation && screen.orientation.lock) await screen.orientation.lock('landscape');
  } catch { /* not allowed here (desktop orientation, iOS): fine */ }
}
