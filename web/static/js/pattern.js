// Reads the test pattern that test titles draw in the top-left corner of
// every frame, for automated latency measurement:
//
//   two rows of 32 cells, each cell 16×16 video pixels, x 0–511;
//   row 0 (y 0–15): Unix time in ms at render, mod 2^32;
//   row 1 (y 16–31): the title's input event counter;
//   white = 1, black = 0, most significant bit leftmost.
//
// Only the 512×32 corner is copied from the video, and each cell is sampled
// at its centre on the green channel (the H.264 luma carries green best, and
// the centre is farthest from compression ringing at cell edges).

const CELL = 16;
const BITS = 32;
const W = CELL * BITS; // 512
const H = CELL * 2; // 32

let ctx = null;

function context() {
  if (ctx) return ctx;
  const canvas = typeof OffscreenCanvas === 'function'
    ? new OffscreenCanvas(W, H)
    : Object.assign(document.createElement('canvas'), { width: W, height: H });
  ctx = canvas.getContext('2d', { willReadFrequently: true, alpha: false });
  return ctx;
}

// readPattern decodes the frame the video shows now. It returns
// {renderMs, inputs} as unsigned 32-bit numbers, or null if there is no
// frame (or it is too small to hold the pattern).
export function readPattern(video) {
  if (!video || video.videoWidth < W || video.videoHeight < H || video.readyState < 2) return null;
  const c = context();
  c.drawImage(video, 0, 0, W, H, 0, 0, W, H);
  const px = c.getImageData(0, 0, W, H).data;
  const row = (r) => {
    let v = 0;
    const y = r * CELL + CELL / 2;
    for (let i = 0; i < BITS; i++) {
      const x = i * CELL + CELL / 2;
      const g = px[(y * W + x) * 4 + 1];
      v = (v * 2) + (g >= 128 ? 1 : 0); // multiply, not <<, to stay unsigned
    }
    return v;
  };
  return { renderMs: row(0), inputs: row(1) };
}

const TWO32 = 2 ** 32;

// sinceRender returns wallMs − renderMs where renderMs is wall time mod 2^32,
// taking the nearest interpretation (signed, ±2^31 ms ≈ ±24 days).
export function sinceRender(wallMs, renderMs) {
  let d = (wallMs % TWO32) - renderMs;
  if (d > TWO32 / 2) d -= TWO32;
  else if (d < -TWO32 / 2) d += TWO32;
  return d;
}

// wrapDelta is b − a for two mod-2^32 values, signed.
export function wrapDelta(a, b) {
  return sinceRender(b, a);
}
