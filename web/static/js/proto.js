// Binary input protocol: the JavaScript half of package input (input/doc.go).
//
// Every event starts with a one-byte type and has a fixed length; integers
// are little-endian. A data-channel message may hold several events back to
// back, so the encoders write into a caller-supplied DataView at an offset
// and return the offset after the event; the one-event helpers wrap that.

export const KEY_DOWN = 0x01; // [type][code u16][mods u8]                           4 bytes
export const KEY_UP = 0x02; //   [type][code u16][mods u8]                           4 bytes
export const MOUSE_BUTTON = 0x03; // [type][button u8][down u8]                      3 bytes
export const MOUSE_MOVE = 0x04; // [type][seq u16][x u16][y u16][accX i32][accY i32] 15 bytes
export const WHEEL = 0x05; //    [type][dx i16][dy i16]                              5 bytes
export const GAMEPAD = 0x06; //  [type][seq u16][pad u8][buttons u32][axes 4×i16][lt u8][rt u8] 18 bytes
export const TOUCH = 0x07; //    [type][id u8][phase u8][x u16][y u16]               7 bytes
export const PING = 0x08; //     [type][id u32][clientMs f64]                       13 bytes
export const PRESENT = 0x09; //  [type][refresh u16 µs][waitP10 u16][waitP50 u16][frames u16][missed u16] 11 bytes
// 0x0A Clock (the edge's time) is asked by checkers, never by the page.
export const RECEIVE = 0x0B; //  [type][freezes u16][freezeMs u32][longestMs u32][fecUsed u32] 15 bytes
export const BEAT = 0x0C; //     [type][seq u16], the edge's heartbeat to the page 3 bytes

export const SIZE = {
  [KEY_DOWN]: 4, [KEY_UP]: 4, [MOUSE_BUTTON]: 3, [MOUSE_MOVE]: 15,
  [WHEEL]: 5, [GAMEPAD]: 18, [TOUCH]: 7, [PING]: 13, [PRESENT]: 11,
  [RECEIVE]: 15, [BEAT]: 3,
};

// Modifier bits of key events.
export const MOD_SHIFT = 1, MOD_CTRL = 2, MOD_ALT = 4, MOD_META = 8;

// Touch phases.
export const TOUCH_START = 0, TOUCH_MOVE = 1, TOUCH_END = 2, TOUCH_CANCEL = 3;

// Standard-mapping gamepad: 17 buttons (A … Home), 4 axes.
export const PAD_BUTTONS = 17;
export const PAD_AXES = 4;

const LE = true;

// clampInt keeps a number inside an integer range; the wire types are
// fixed-width and the browser hands us doubles.
function clampInt(v, lo, hi) {
  v = Math.round(v);
  return v < lo ? lo : v > hi ? hi : v;
}

export function modsOf(e) {
  return (e.shiftKey ? MOD_SHIFT : 0) | (e.ctrlKey ? MOD_CTRL : 0) |
    (e.altKey ? MOD_ALT : 0) | (e.metaKey ? MOD_META : 0);
}

export function putKey(dv, off, down, code, mods) {
  dv.setUint8(off, down ? KEY_DOWN : KEY_UP);
  dv.setUint16(off + 1, code & 0xffff, LE);
  dv.setUint8(off + 3, mods & 0xff);
  return off + 4;
}

export function putMouseButton(dv, off, button, down) {
  dv.setUint8(off, MOUSE_BUTTON);
  dv.setUint8(off + 1, button & 0xff);
  dv.setUint8(off + 2, down ? 1 : 0);
  return off + 3;
}

// accX/accY are running sums; they wrap as int32 like the Go side's uint32
// conversion, which keeps the receiver's differences right across the wrap.
export function putMouseMove(dv, off, seq, x, y, accX, accY) {
  dv.setUint8(off, MOUSE_MOVE);
  dv.setUint16(off + 1, seq & 0xffff, LE);
  dv.setUint16(off + 3, clampInt(x, 0, 65535), LE);
  dv.setUint16(off + 5, clampInt(y, 0, 65535), LE);
  dv.setInt32(off + 7, accX | 0, LE);
  dv.setInt32(off + 11, accY | 0, LE);
  return off + 15;
}

export function putWheel(dv, off, dx, dy) {
  dv.setUint8(off, WHEEL);
  dv.setInt16(off + 1, clampInt(dx, -32768, 32767), LE);
  dv.setInt16(off + 3, clampInt(dy, -32768, 32767), LE);
  return off + 5;
}

// pad is {index, buttons (bit set), axes [4] in -1..1, lt, rt in 0..1}.
export function putGamepad(dv, off, seq, pad) {
  dv.setUint8(off, GAMEPAD);
  dv.setUint16(off + 1, seq & 0xffff, LE);
  dv.setUint8(off + 3, pad.index & 0xff);
  dv.setUint32(off + 4, pad.buttons >>> 0, LE);
  for (let i = 0; i < PAD_AXES; i++) {
    dv.setInt16(off + 8 + 2 * i, clampInt((pad.axes[i] || 0) * 32767, -32767, 32767), LE);
  }
  dv.setUint8(off + 16, clampInt(pad.lt * 255, 0, 255));
  dv.setUint8(off + 17, clampInt(pad.rt * 255, 0, 255));
  return off + 18;
}

export function putTouch(dv, off, id, phase, x, y) {
  dv.setUint8(off, TOUCH);
  dv.setUint8(off + 1, id & 0xff);
  dv.setUint8(off + 2, phase & 0xff);
  dv.setUint16(off + 3, clampInt(x, 0, 65535), LE);
  dv.setUint16(off + 5, clampInt(y, 0, 65535), LE);
  return off + 7;
}

export function putPing(dv, off, id, clientMs) {
  dv.setUint8(off, PING);
  dv.setUint32(off + 1, id >>> 0, LE);
  dv.setFloat64(off + 5, clientMs, LE);
  return off + 13;
}

// putPresent writes a presentation report; waits are in ms, sent in units
// of 10 µs.
export function putPresent(dv, off, refreshMs, waitP10Ms, waitP50Ms, frames, missed) {
  dv.setUint8(off, PRESENT);
  dv.setUint16(off + 1, clampInt(refreshMs * 1000, 0, 65535), LE);
  dv.setUint16(off + 3, clampInt(waitP10Ms * 100, 0, 65535), LE);
  dv.setUint16(off + 5, clampInt(waitP50Ms * 100, 0, 65535), LE);
  dv.setUint16(off + 7, clampInt(frames, 0, 65535), LE);
  dv.setUint16(off + 9, clampInt(missed, 0, 65535), LE);
  return off + 11;
}

// putReceive writes the page's running receive counts (input/doc.go):
// freezes, their total and longest milliseconds, FEC packets used.
export function putReceive(dv, off, freezes, freezeMs, longestMs, fecUsed) {
  dv.setUint8(off, RECEIVE);
  dv.setUint16(off + 1, clampInt(freezes, 0, 65535), LE);
  dv.setUint32(off + 3, clampInt(freezeMs, 0, 0xffffffff), LE);
  dv.setUint32(off + 7, clampInt(longestMs, 0, 0xffffffff), LE);
  dv.setUint32(off + 11, clampInt(fecUsed, 0, 0xffffffff), LE);
  return off + 15;
}

// one allocates a message for a single event and fills it with put.
function one(kind, put) {
  const buf = new ArrayBuffer(SIZE[kind]);
  put(new DataView(buf));
  return buf;
}

export const key = (down, code, mods) => one(KEY_DOWN, (dv) => putKey(dv, 0, down, code, mods));
export const mouseButton = (button, down) => one(MOUSE_BUTTON, (dv) => putMouseButton(dv, 0, button, down));
export const mouseMove = (seq, x, y, accX, accY) => one(MOUSE_MOVE, (dv) => putMouseMove(dv, 0, seq, x, y, accX, accY));
export const wheel = (dx, dy) => one(WHEEL, (dv) => putWheel(dv, 0, dx, dy));
export const gamepad = (seq, pad) => one(GAMEPAD, (dv) => putGamepad(dv, 0, seq, pad));
export const touch = (id, phase, x, y) => one(TOUCH, (dv) => putTouch(dv, 0, id, phase, x, y));
export const ping = (id, clientMs) => one(PING, (dv) => putPing(dv, 0, id, clientMs));
export const present = (refreshMs, p10, p50, frames, missed) =>
  one(PRESENT, (dv) => putPresent(dv, 0, refreshMs, p10, p50, frames, missed));
export const receive = (freezes, freezeMs, longestMs, fecUsed) =>
  one(RECEIVE, (dv) => putReceive(dv, 0, freezes, freezeMs, longestMs, fecUsed));

// isBeat tells the edge's heartbeat from other messages.
export function isBeat(data) {
  return data instanceof ArrayBuffer && data.byteLength === SIZE[BEAT] && new DataView(data).getUint8(0) === BEAT;
}

// parsePing reads an echoed Ping; it returns null for anything else.
export function parsePing(data) {
  if (!(data instanceof ArrayBuffer) || data.byteLength !== SIZE[PING]) return null;
  const dv = new DataView(data);
  if (dv.getUint8(0) !== PING) return null;
  return { id: dv.getUint32(1, LE), clientMs: dv.getFloat64(5, LE) };
}
