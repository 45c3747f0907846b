// Presentation and receive reports (present.js): what the page tells the
// edge about its display and its freezes.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PresentReporter, FREEZE_MS } from '../static/js/present.js';
import { RECEIVE, PRESENT } from '../static/js/proto.js';

// reporter records what it would send on the "motion" channel.
function reporter(fecUsed) {
  const sent = [];
  const r = new PresentReporter({ state: (buf) => sent.push(new DataView(buf)) }, fecUsed);
  return { r, sent };
}

// frames presents n frames every stepMs from at, and returns the time after.
function frames(r, at, n, stepMs) {
  for (let i = 0; i < n; i++) {
    at += stepMs;
    r.onFrame({ expectedDisplayTime: at, presentationTime: at - 2, presentedFrames: Math.round(at / stepMs) });
  }
  return at;
}

test('gaps of over 100 ms between frames are freezes; shorter ones are not', () => {
  const { r } = reporter();
  let at = frames(r, 1000, 30, 16.7);
  at = frames(r, at, 1, FREEZE_MS - 1); // a slow frame, not a freeze
  at = frames(r, at, 1, 250);
  at = frames(r, at, 10, 16.7);
  frames(r, at, 1, 120);
  assert.equal(r.freezes, 2);
  assert.equal(Math.round(r.freezeMs), 370);
  assert.equal(r.longestFreezeMs, 250);
});

test('a hidden page is no freeze, and a new session starts the counts over', () => {
  const { r } = reporter();
  let at = frames(r, 1000, 10, 16.7);
  at = frames(r, at, 1, 200);
  r.pause();
  frames(r, at + 5000, 10, 16.7);
  assert.equal(r.freezes, 1);
  r.reset();
  assert.deepEqual([r.freezes, r.freezeMs, r.longestFreezeMs], [0, 0, 0]);
});

test('each report is followed by the running receive counts', () => {
  const { r, sent } = reporter(() => 42);
  let at = frames(r, 1000, 30, 16.7);
  at = frames(r, at, 1, 300);
  frames(r, at, 30, 16.7);
  r.send();
  const kinds = sent.map((dv) => dv.getUint8(0));
  assert.deepEqual(kinds.slice(-2), [PRESENT, RECEIVE]);
  const rec = sent.at(-1);
  assert.equal(rec.byteLength, 15);
  assert.deepEqual([rec.getUint16(1, true), rec.getUint32(3, true), rec.getUint32(7, true), rec.getUint32(11, true)], [1, 300, 300, 42]);
});
