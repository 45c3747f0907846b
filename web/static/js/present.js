// Presentation reports: once a second the page tells the edge how its
// display met the frames (input/doc.go, type Present), and the edge moves
// its frame schedule so that frames are ready just before the display
// refresh (session/phase.go). Without this, the wait for the refresh is
// set by chance when a session starts and costs up to a whole refresh of
// latency.
//
// Each report is followed by the session's running receive counts (type
// Receive): freezes, which only the player's side can see, and the FEC
// packets its browser used, for the edge's stats, metrics and log.

import * as proto from './proto.js';

export const REPORT_EVERY_MS = 1000;
// FREEZE_MS: no new frame for longer than this is a freeze
// (input.FreezeGap).
export const FREEZE_MS = 100;

export class PresentReporter {
  // fecUsed() is the FEC packets the browser used so far in this session.
  constructor(link, fecUsed = () => 0) {
    this.link = link;
    this.fecUsed = fecUsed;
    this.reset();
  }

  // reset starts a new session's counts.
  reset() {
    this.freezes = 0;
    this.freezeMs = 0;
    this.longestFreezeMs = 0;
    this.lastShown = 0;
    this.restart();
  }

  // pause forgets the latest frame: a hidden page shows none, and the gap
  // until it shows again is no freeze.
  pause() {
    this.lastShown = 0;
  }

  restart() {
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
    const gap = this.lastShown > 0 ? meta.expectedDisplayTime - this.lastShown : 0;
    if (gap > FREEZE_MS) {
      this.freezes++;
      this.freezeMs += gap;
      this.longestFreezeMs = Math.max(this.longestFreezeMs, gap);
    }
    this.lastShown = meta.expectedDisplayTime;
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
    this.link.state(proto.receive(this.freezes, this.freezeMs, this.longestFreezeMs, this.fecUsed()));
    this.waits = [];
    this.intervals = [];
    this.missed = 0;
    this.since = performance.now();
  }
}
