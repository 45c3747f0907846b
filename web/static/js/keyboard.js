// Keyboard capture. Keys are sent as KeyDown/KeyUp with the Windows
// virtual-key code the browser reports as KeyboardEvent.keyCode.
//
// Choices:
//   - Auto-repeat keydowns are not sent: a title sees key state, and repeats
//     would only inflate its input count and the channel's traffic.
//   - The stats toggle key (STATS_KEY) is handled here and never sent.
//   - Default browser actions are suppressed for game keys (arrows scroll,
//     space pages, Tab moves focus, Alt opens menus, F1/F3/F7 …) but a few
//     browser escapes stay usable: F5, F11, F12 and Ctrl/⌘+R, Ctrl+Shift+I/J,
//     and anything with ⌘/Meta (OS shortcuts).
//   - When the page loses focus or is hidden, every held key gets a KeyUp, so
//     no key stays stuck down on the edge.
//   - Left and right Shift (Ctrl, Alt) share one virtual-key code; the KeyUp
//     for that code is sent only when the last of them is released.

import * as proto from './proto.js';

export const STATS_KEY = 'F9'; // KeyboardEvent.code of the stats overlay toggle
export const STATS_KEY_LABEL = 'F9';

const PASSTHROUGH_CODES = new Set(['F5', 'F11', 'F12']);

function browserKeeps(e) {
  if (PASSTHROUGH_CODES.has(e.code) || e.metaKey) return true;
  if (e.ctrlKey && e.code === 'KeyR') return true;
  if (e.ctrlKey && e.shiftKey && (e.code === 'KeyI' || e.code === 'KeyJ')) return true;
  return false;
}

export class Keyboard {
  // link: InputLink. isActive(): whether input goes to the game now.
  // onStatsKey(): toggles the stats overlay.
  constructor(link, { isActive, onStatsKey }) {
    this.link = link;
    this.isActive = isActive;
    this.onStatsKey = onStatsKey;
    this.held = new Map(); // KeyboardEvent.code → virtual-key code
    document.addEventListener('keydown', (e) => this.down(e), true);
    document.addEventListener('keyup', (e) => this.up(e), true);
  }

  heldCode(vk) {
    for (const v of this.held.values()) if (v === vk) return true;
    return false;
  }

  down(e) {
    if (e.code === STATS_KEY) {
      e.preventDefault();
      if (!e.repeat) this.onStatsKey();
      return;
    }
    if (!this.isActive() || e.isComposing) return;
    const vk = e.keyCode;
    if (!vk || vk === 229) return; // 229: IME processing, not a key
    if (!browserKeeps(e)) e.preventDefault();
    if (e.repeat || this.held.get(e.code) === vk) return;
    const already = this.heldCode(vk);
    this.held.set(e.code, vk);
    if (!already) this.link.edge(proto.key(true, vk, proto.modsOf(e)));
  }

  up(e) {
    if (e.code === STATS_KEY) {
      e.preventDefault();
      return;
    }
    const vk = this.held.get(e.code);
    if (vk === undefined) return; // pressed before we were capturing, or released by releaseAll
    if (!browserKeeps(e)) e.preventDefault();
    this.held.delete(e.code);
    if (!this.heldCode(vk)) this.link.edge(proto.key(false, vk, proto.modsOf(e)));
  }

  // releaseAll sends KeyUp for every held key (blur, hidden, teardown).
  releaseAll() {
    const codes = new Set(this.held.values());
    this.held.clear();
    for (const vk of codes) this.link.edge(proto.key(false, vk, 0));
  }

  // probe sends a KeyDown+KeyUp pair for a key no game uses (F24), for the
  // input-to-display measurement. Both go in one message so they arrive in
  // the same frame interval.
  probe(vk = 135) {
    const buf = new ArrayBuffer(8);
    const dv = new DataView(buf);
    proto.putKey(dv, proto.putKey(dv, 0, true, vk, 0), false, vk, 0);
    this.link.edge(buf);
  }
}
