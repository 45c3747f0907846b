// The page's warm standby (standby.js): what it sends on the standby's
// channel, and when it is trusted with a failover.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Standby, STANDBY } from '../static/js/standby.js';
import { BEAT } from '../static/js/proto.js';

// fakeConn is a started standby Connection with channels that record what
// is sent on them.
function fakeConn() {
  const listeners = (ch) => {
    ch.on = {};
    ch.addEventListener = (type, f) => { ch.on[type] = f; };
    return ch;
  };
  const input = listeners({ readyState: 'connecting', sent: [], send(m) { this.sent.push(JSON.parse(m)); } });
  const motion = listeners({ readyState: 'open' });
  return { closed: false, joined: true, pc: { connectionState: 'connected' }, input, motion, close() { this.closed = true; } };
}

const beat = () => new Uint8Array([BEAT, 0, 1]).buffer;

test('tokens go to the standby once its channel opens, each once', (t) => {
  t.mock.timers.enable({ apis: ['setInterval'] });
  const c = fakeConn();
  const sb = new Standby(c);
  sb.forward('t1');
  assert.deepEqual(c.input.sent, [], 'nothing before the channel opens');
  c.input.readyState = 'open';
  c.input.on.open();
  sb.forward('t1');
  sb.forward('t2');
  assert.deepEqual(c.input.sent, [{ type: STANDBY.STATE, token: 't1' }, { type: STANDBY.STATE, token: 't2' }]);
  t.mock.timers.tick(5000);
  assert.deepEqual(c.input.sent.at(-1), { type: STANDBY.KEEP }, 'kept alive');
  assert.ok(sb.activate(''));
  assert.deepEqual(c.input.sent.at(-1), { type: STANDBY.ACTIVATE, token: 't2' }, 'activated with the latest token');
  sb.close();
  assert.ok(c.closed);
});

test('a standby is ready only connected, open and beating', (t) => {
  t.mock.timers.enable({ apis: ['setInterval'] });
  const c = fakeConn();
  c.input.readyState = 'open';
  const sb = new Standby(c);
  const now = performance.now();
  assert.equal(sb.ready(now), false, 'no beat yet');
  c.motion.on.message({ data: beat() });
  assert.equal(sb.ready(performance.now()), true);
  assert.equal(sb.ready(performance.now() + 5000), false, 'a silent edge');
  c.pc.connectionState = 'disconnected';
  assert.equal(sb.ready(performance.now()), false, 'not connected');
  sb.close();
});
