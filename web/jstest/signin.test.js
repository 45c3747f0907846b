// The player's sign-in token (signin.js).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { TOKEN_KEY, playerToken } from '../static/js/signin.js';

function store() {
  const m = new Map();
  return { getItem: (k) => (m.has(k) ? m.get(k) : null), setItem: (k, v) => m.set(k, v) };
}

test('a token in the fragment is kept for the tab and taken off the address bar', () => {
  const s = store();
  let cleared = false;
  assert.equal(playerToken({ hash: '#token=eyJ.a%2Bb.c' }, s, () => { cleared = true; }), 'eyJ.a+b.c');
  assert.ok(cleared);
  assert.equal(s.getItem(TOKEN_KEY), 'eyJ.a+b.c');
  // A reload, or a rejoin: the fragment is gone, the token is not.
  assert.equal(playerToken({ hash: '' }, s, null), 'eyJ.a+b.c');
});

test('no token, no storage, an oversized one: none', () => {
  assert.equal(playerToken({ hash: '' }, store(), null), '');
  assert.equal(playerToken({ hash: '#token=abc' }, null, null), 'abc');
  assert.equal(playerToken({ hash: '' }, null, null), '');
  assert.equal(playerToken({ hash: '#token=' + 'x'.repeat(9000) }, store(), null), '');
  assert.equal(playerToken({ hash: '#other=1&token=t2' }, store(), null), 't2');
});
