// The studio's touch profile (title/manifest: input.touch) mapped onto the
// input protocol: key names to virtual-key codes, gamepad button names to
// their bits, and an on-screen stick to direction keys.
//
// Nothing here touches the DOM, so Node tests it against the Go side
// (web/web_test.go: TestTouchMapJS).

// keyCode returns the virtual-key code for a key name as input.KeyName
// (input/event.go) prints it — "A"…"Z", "0"…"9", "F1"…"F12", "Space",
// "Enter", "Left" … — or 0 for a name it does not know. The manifest is
// checked against the same names when the studio adds the title, so 0 only
// means a page older than the edge's catalog.
export function keyCode(name) {
  if (typeof name !== 'string') return 0;
  if (/^[A-Z0-9]$/.test(name)) return name.charCodeAt(0);
  const f = /^F([1-9]|1[0-2])$/.exec(name);
  if (f) return 111 + Number(f[1]);
  return Object.hasOwn(NAMED_KEYS, name) ? NAMED_KEYS[name] : 0; // not "toString"'s function
}

const NAMED_KEYS = {
  Backspace: 8, Tab: 9, Enter: 13, Shift: 16, Ctrl: 17, Alt: 18,
  Escape: 27, Space: 32, Left: 37, Up: 38, Right: 39, Down: 40,
};

// Standard-mapping gamepad buttons by name, as the manifest spells them
// (title/manifest/input.go padNames), to their bit in Gamepad.buttons.
export const PAD_BITS = {
  A: 0, B: 1, X: 2, Y: 3, LB: 4, RB: 5, LT: 6, RT: 7, Select: 8, Start: 9,
  LS: 10, RS: 11, Up: 12, Down: 13, Left: 14, Right: 15, Home: 16,
};

// padBit returns the bit of a gamepad button name, or -1.
export function padBit(name) {
  return Object.hasOwn(PAD_BITS, name) ? PAD_BITS[name] : -1;
}

// The keys a stick sends per direction.
export const STICK_KEYS = {
  arrows: { left: 37, right: 39, up: 38, down: 40 },
  wasd: { left: 65, right: 68, up: 87, down: 83 }, // A D W S
};

// A direction is pressed once the stick leans past STICK_PRESS of its
// radius that way and released only when it falls back under
// STICK_RELEASE: a thumb resting near the threshold would otherwise press
// and release the key many times a second. The two axes are judged apart,
// so a diagonal holds two keys (at 45° each axis reads 0.71).
export const STICK_PRESS = 0.5;
export const STICK_RELEASE = 0.3;

// stickDirections returns the set of directions held for a stick at (x, y)
// (each -1..1, y down), given those held before.
export function stickDirections(x, y, held) {
  const out = new Set();
  const judge = (v, dir) => {
    if (v >= (held.has(dir) ? STICK_RELEASE : STICK_PRESS)) out.add(dir);
  };
  judge(-x, 'left');
  judge(x, 'right');
  judge(-y, 'up');
  judge(y, 'down');
  return out;
}
