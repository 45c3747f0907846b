// The page's reading of the node's "queued" message (queue.js).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { QUEUED, place } from '../static/js/queue.js';

test('a queued message gives the place in line', () => {
  assert.equal(QUEUED, 'queued');
  assert.deepEqual(place({ type: 'queued', title: 'rocks', position: 3, ahead: 2 }), { position: 3, ahead: 2 });
  assert.deepEqual(place({ type: 'queued', position: 1, ahead: 0 }), { position: 1, ahead: 0 });
});

test('ahead falls back to the players before the place', () => {
  assert.deepEqual(place({ type: 'queued', position: 4 }), { position: 4, ahead: 3 });
  assert.deepEqual(place({ type: 'queued', position: 2, ahead: 7 }), { position: 2, ahead: 1 }, 'more ahead than the place allows');
  assert.deepEqual(place({ type: 'queued', position: 2, ahead: -1 }), { position: 2, ahead: 1 });
});

test('a message without a place, or of another type, gives none', () => {
  for (const m of [null, {}, { type: 'queued' }, { type: 'queued', position: 0 }, { type: 'queued', position: 1.5 },
    { type: 'queued', position: '2' }, { type: 'status', position: 2 }]) {
    assert.equal(place(m), null, JSON.stringify(m));
  }
});
