// Presentation reports: once a second the page tells the edge how its
// display met the frames (input/doc.go, type Present), and the edge moves
// its frame schedule so that frames are ready just before the display
// refresh (session/phase.go). Without this, the wait for the refresh is
// set by chance when a session starts and costs up to a whole refresh of
// latency.

import * as proto from './proto.js';

export const REPORT_EVERY_MS = 1000;

export class PresentReporter {
  constructor(link) {
    this.link = link;
    this.reset();
  }

  reset() {
    this.waits = [];
    this.intervals = [];
    this.missed = 0;
    this.lastFrames = -1;
    this.lastExpected = 0;
    this.since = performance.now();
  }

  // onFrame takes requestVideoFrameCallback's metadata of each presented
  // frame: presentationTime is when the frame was ready, expectedDisplayTime
  // when the display will show it.
  onFrame(meta) {
    if (!meta || !(meta.expectedDisplayTime > 0) || !(meta.presentationTime > 0)) return;
    const wait = meta.expectedDisplayTime - meta.presentationTime;
    if (wait >= 0 && wait < 100) this.waits.push(wait);
    if (this.lastExpected > 0) {
      const d = meta.expectedDisplayTime - this.lastExpected;
      if (d > 0 && d < 100) this.intervals.push(d);
    }
    this.lastExpected = meta.expectedDisplayTime;
    // A new stream restarts the count.
    if (meta.presentedFrames < this.lastFrames) this.lastFrames = -1;
    if (this.lastFrames >= 0 && meta.presentedFrames > this.lastFrames + 1) {
      this.missed += meta.presentedFrames - this.lastFrames - 1;
    }
    this.lastFrames = meta.presentedFrames;
    if (performance.now() - this.since >= REPORT_EVERY_MS) this.send();
  }

  send() {
    const n = this.waits.length;
    if (n >= 10 && this.intervals.length >= 10) {
      const w = this.waits.slice().sort((a, b) => a - b);
      const iv = this.intervals.slice().sort((a, b) => a - b);
      // The refresh interval is the smallest common gap between displayed
      // frames: the median of the gaps, when most refreshes show a frame.
      const refresh = iv[iv.length >> 1];
      this.link.state(proto.present(refresh, w[Math.floor(n / 10)], w[n >> 1], n, this.missed));
    }
    this.waits = [];
    this.intervals = [];
    this.missed = 0;
    this.since = performance.now();
  }
}
