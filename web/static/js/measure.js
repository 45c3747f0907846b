// Latency measurement against the test pattern (see pattern.js), driven by
// the page's requestVideoFrameCallback loop. Used by automated tests and
// benchmarks through window.stratus.
//
//   glass-to-glass: for each presented frame, the wall-clock time at which it
//     is expected on screen, minus the render time the title stamped into it.
//     rVFC timestamps are on the performance clock; performance.timeOrigin
//     converts them to Unix ms. Edge and browser must share a clock (same
//     machine, or NTP-synced) for this to mean anything.
//   input-to-display: sendKeyProbe() sends a KeyDown+KeyUp of F24 and notes
//     the time; the first presented frame whose input counter differs from
//     the one on screen at send time ends the measurement.

import { readPattern, sinceRender, wrapDelta } from './pattern.js';

const PROBE_TIMEOUT_MS = 5000;
const PLAUSIBLE_MS = 60000; // a decoded value further off is not a pattern

// displayWall converts a frame's rVFC timing to Unix ms.
function displayWall(now, meta) {
  const t = meta && (meta.expectedDisplayTime || meta.presentationTime);
  return performance.timeOrigin + (t || now);
}

export class Measurer {
  constructor(video, { fps, probe }) {
    this.video = video;
    this.fps = fps; // () → title frame rate, or 0 when unknown
    this.probeKey = probe; // () → sends the key pair
    this.active = false;
    this.pending = []; // {sentWall, baseline, resolve, timer}
    this.lastInputs = null;
    this.reset();
  }

  reset() {
    this.g2g = [];
    this.inputToDisplay = [];
    this.renders = [];
    this.presented = 0;
    this.invalid = 0;
  }

  // wants reports whether the frame loop should decode frames now.
  get wants() {
    return this.active || this.pending.length > 0;
  }

  start() {
    this.reset();
    this.active = true;
  }

  stop() {
    this.active = false;
    const interval = this.interval();
    let skipped = 0, gaps = 0, repeated = 0;
    for (let i = 1; i < this.renders.length; i++) {
      const d = wrapDelta(this.renders[i - 1], this.renders[i]);
      if (d === 0) repeated++;
      if (interval > 0 && d > 1.5 * interval) {
        gaps++;
        skipped += Math.max(1, Math.round(d / interval) - 1);
      }
    }
    return {
      g2g: this.g2g.slice(),
      inputToDisplay: this.inputToDisplay.slice(),
      presented: this.presented,
      skipped, // frames missing between presented ones
      gaps, // places where frames were missing
      repeated, // frames presented twice (same render time)
      invalid: this.invalid, // frames whose pattern did not decode plausibly
      intervalMs: interval,
    };
  }

  // interval is the title's frame interval: from its declared fps, else the
  // median spacing of the render times seen.
  interval() {
    const fps = this.fps();
    if (fps > 0) return 1000 / fps;
    const d = [];
    for (let i = 1; i < this.renders.length; i++) {
      const x = wrapDelta(this.renders[i - 1], this.renders[i]);
      if (x > 0) d.push(x);
    }
    d.sort((a, b) => a - b);
    return d.length ? d[d.length >> 1] : 0;
  }

  // probe sends one key probe and resolves with its input-to-display latency
  // in ms, or null if no frame showed it within PROBE_TIMEOUT_MS.
  probe() {
    let baseline = this.lastInputs;
    if (baseline === null) {
      const p = readPattern(this.video);
      baseline = p ? p.inputs : null;
    }
    return new Promise((resolve) => {
      const entry = { sentWall: performance.timeOrigin + performance.now(), baseline, resolve };
      entry.timer = setTimeout(() => {
        this.pending = this.pending.filter((x) => x !== entry);
        resolve(null);
      }, PROBE_TIMEOUT_MS);
      this.pending.push(entry);
      this.probeKey();
    });
  }

  // onFrame is called from requestVideoFrameCallback for each presented frame.
  onFrame(now, meta) {
    if (!this.wants) {
      this.lastInputs = null;
      return;
    }
    const p = readPattern(this.video);
    if (!p) return;
    const wall = displayWall(now, meta);
    const g2g = sinceRender(wall, p.renderMs);
    const plausible = Math.abs(g2g) < PLAUSIBLE_MS;
    if (this.active) {
      this.presented++;
      if (plausible) {
        this.g2g.push(g2g);
        this.renders.push(p.renderMs);
      } else {
        this.invalid++;
      }
    }
    if (plausible) this.lastInputs = p.inputs;
    for (const entry of this.pending.slice()) {
      if (entry.baseline === null) {
        entry.baseline = p.inputs; // no frame at send time: this is the first
        continue;
      }
      if (p.inputs === entry.baseline) continue;
      clearTimeout(entry.timer);
      this.pending = this.pending.filter((x) => x !== entry);
      const ms = wall - entry.sentWall;
      if (this.active) this.inputToDisplay.push(ms);
      entry.resolve(ms);
    }
  }
}
