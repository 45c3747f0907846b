// When the play page tries again and which edges it avoids (policy.js).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BACKOFF_MS, STABLE_MS, EXCLUDE_MS, EXCLUDE_MAX, STALL_MS, UNREACHABLE_MAX, BEAT_DEAD_MS, FLOWING_MS, CONGESTED_MAX_MS, backoffMs, stallMs, deadMs, silence, Recovery } from '../static/js/policy.js';

test('the backoff grows and then repeats its last step', () => {
  assert.deepEqual([0, 1, 2, 3, 4, 5, 6, 50].map(backoffMs), [250, 500, 1000, 2000, 4000, 5000, 5000, 5000]);
  const r = new Recovery();
  assert.deepEqual(BACKOFF_MS.map(() => r.delay()), [...BACKOFF_MS]);
  assert.equal(r.delay(), 5000);
  r.reset();
  assert.equal(r.delay(), 250);
});

test('playing long enough forgets the failures', () => {
  const r = new Recovery();
  r.delay();
  r.delay();
  r.playing(1000);
  r.steady(1000 + STABLE_MS);
  assert.equal(r.failures, 2, 'not yet: exactly STABLE_MS');
  r.steady(1001 + STABLE_MS);
  assert.equal(r.failures, 0);
  assert.equal(r.delay(), 250);
});

test('a stall is 400 ms, or three frame times for a slow title', () => {
  assert.equal(STALL_MS, 400);
  assert.equal(stallMs(60), 400);
  assert.equal(stallMs(0), 400, 'no frame rate known: as for 60 fps');
  assert.equal(stallMs(undefined), 400);
  assert.equal(stallMs(5), 600);
});

test('failed edges are excluded for a while, latest first, at most EXCLUDE_MAX', () => {
  const r = new Recovery();
  r.edgeFailed('a', 1000);
  r.edgeFailed('b', 2000);
  assert.deepEqual(r.exclude(3000), ['b', 'a']);
  r.edgeFailed('a', 2500); // failed again: now the latest
  assert.deepEqual(r.exclude(3000), ['a', 'b']);
  assert.deepEqual(r.exclude(2000 + EXCLUDE_MS + 1), ['a']);
  assert.deepEqual(r.exclude(2500 + EXCLUDE_MS + 1), []);
  assert.equal(r.failed.size, 0, 'expired edges are forgotten');
  for (let i = 0; i < EXCLUDE_MAX + 4; i++) r.edgeFailed(`e${i}`, 10000 + i);
  const list = r.exclude(20000);
  assert.equal(list.length, EXCLUDE_MAX);
  assert.equal(list[0], `e${EXCLUDE_MAX + 3}`);
});

test('a refusal with exclusions relaxes them until the next join', () => {
  const r = new Recovery();
  r.edgeFailed('a', 1000);
  r.relax();
  assert.deepEqual(r.exclude(2000), []);
  assert.deepEqual(r.exclude(2000), [], 'every attempt until joined');
  r.joined();
  assert.deepEqual(r.exclude(2000), ['a'], 'the edge is still remembered');
});

test('joins in a row whose media never connected end in giving up', () => {
  const r = new Recovery();
  assert.equal(UNREACHABLE_MAX, 2);
  assert.equal(r.mediaFailed(), false);
  r.mediaUp();
  assert.equal(r.mediaFailed(), false, 'a media path in between starts the count again');
  assert.equal(r.mediaFailed(), true);
  r.reset();
  assert.equal(r.mediaFailed(), false, '"Try again" starts afresh');
});

test('an edge is dead after a few missed beats, later when its beats run late', () => {
  assert.equal(deadMs(0), BEAT_DEAD_MS);
  assert.equal(deadMs(17), BEAT_DEAD_MS); // beats on time
  assert.equal(deadMs(100), 300); // a loaded edge's beats: three of its gaps
  assert.equal(deadMs(1000), STALL_MS); // never later than the frames' rule
});

test('a silence while video packets still arrive is congestion, up to CONGESTED_MAX_MS', () => {
  const cases = [
    // A killed edge: nothing for longer than the dead rule waited.
    { gapMs: 250, stalled: false, packetAgeMs: 250, want: 'dead' },
    { gapMs: 450, stalled: true, packetAgeMs: 450, want: 'stalled' },
    { gapMs: 250, stalled: false, packetAgeMs: Infinity, want: 'dead', why: 'no video packet ever' },
    // A full or lossy link: packets arrive, frames do not.
    { gapMs: 250, stalled: false, packetAgeMs: 3, want: 'congested' },
    { gapMs: 450, stalled: true, packetAgeMs: FLOWING_MS, want: 'congested' },
    { gapMs: 450, stalled: true, packetAgeMs: FLOWING_MS + 1, want: 'stalled' },
    { gapMs: CONGESTED_MAX_MS, stalled: true, packetAgeMs: 0, want: 'congested' },
    { gapMs: CONGESTED_MAX_MS + 1, stalled: true, packetAgeMs: 0, want: 'stalled', why: 'waited long enough' },
  ];
  for (const c of cases) {
    assert.equal(silence(c), c.want, JSON.stringify(c));
  }
});
