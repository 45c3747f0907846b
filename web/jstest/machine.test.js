// The play page's state machine: every state's legal events, the states they
// lead to, and what a reconnect carries.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { INITIAL, STATES, EVENTS, KINDS, next, can, inGame, waiting, label } from '../static/js/machine.js';

const run = (...events) => events.reduce((s, e) => {
  const n = next(s, typeof e === 'string' ? { type: e } : e);
  assert.ok(n, `${JSON.stringify(e)} refused in ${s.state}`);
  return n;
}, INITIAL);

const edge = { type: 'reconnect', kind: 'edge' };

test('the first attempt goes through the set-up stages to playing', () => {
  assert.equal(INITIAL.state, 'connecting');
  let s = INITIAL;
  for (const [e, want] of [['attempt', 'connecting'], ['route', 'routing'], ['start', 'starting'], ['joined', 'starting'], ['play', 'playing']]) {
    s = next(s, { type: e });
    assert.equal(s.state, want, e);
    assert.equal(s.kind, '');
  }
});

test('every state allows exactly the events of the table', () => {
  const allowed = {
    connecting: ['attempt', 'route', 'queue', 'start', 'joined', 'play', 'reconnect', 'busy', 'fail', 'end', 'again'],
    routing: ['attempt', 'route', 'queue', 'start', 'joined', 'play', 'reconnect', 'busy', 'fail', 'end', 'again'],
    starting: ['attempt', 'route', 'queue', 'start', 'joined', 'play', 'reconnect', 'busy', 'fail', 'end', 'again'],
    playing: ['attempt', 'reconnect', 'busy', 'fail', 'end', 'again'],
    reconnecting: ['attempt', 'route', 'queue', 'start', 'joined', 'play', 'reconnect', 'retry', 'busy', 'fail', 'end', 'again'],
    queued: ['attempt', 'queue', 'start', 'joined', 'reconnect', 'busy', 'fail', 'again'],
    busy: ['attempt', 'again'],
    error: ['again'],
    ended: ['again'],
  };
  assert.deepEqual(Object.keys(allowed).sort(), [...STATES].sort());
  for (const state of STATES) {
    const s = Object.freeze({ ...INITIAL, state });
    for (const type of EVENTS) {
      const want = allowed[state].includes(type);
      assert.equal(can(s, type), want, `${type} in ${state}`);
      assert.equal(next(s, { type, kind: 'network' }) !== null, want, `next ${type} in ${state}`);
    }
  }
});

test('unknown events and reconnect kinds are refused', () => {
  assert.equal(next(INITIAL, { type: 'teleport' }), null);
  assert.equal(next(INITIAL, null), null);
  assert.equal(next(INITIAL, { type: 'reconnect' }), null);
  assert.equal(next(INITIAL, { type: 'reconnect', kind: 'bogus' }), null);
  assert.equal(can(INITIAL, 'teleport'), false);
});

test('a reconnect is a state with its kind, kept through the set-up stages', () => {
  for (const kind of KINDS) {
    let s = run('play', { type: 'reconnect', kind });
    assert.equal(s.state, 'reconnecting');
    assert.equal(s.kind, kind);
    for (const e of ['attempt', 'route', 'start', 'joined', 'retry']) {
      s = next(s, { type: e });
      assert.equal(s.state, 'reconnecting', `${e} during a ${kind} reconnect`);
      assert.equal(s.kind, kind);
    }
    s = next(s, { type: 'play' });
    assert.deepEqual({ ...s }, { state: 'playing', kind: '', failover: false, resuming: '' });
  }
});

test('an edge failure is remembered until video plays, across later reconnects', () => {
  let s = run('play', edge);
  assert.equal(s.failover, true);
  s = run('play', edge, 'attempt', { type: 'reconnect', kind: 'signal' });
  assert.equal(s.kind, 'signal');
  assert.equal(s.failover, true, 'a later reconnect keeps the failure to count');
  assert.equal(run('play', { type: 'reconnect', kind: 'move' }).failover, false);
  assert.equal(run('play', edge, 'play').failover, false);
  assert.equal(run('play', edge, 'fail').failover, false);
  assert.equal(run('play', edge, 'end').failover, false);
  assert.equal(run('play', edge, 'again').failover, false);
});

test('joined during a reconnect names the edge it resumes on, until the next reconnect', () => {
  let s = run('play', edge, 'attempt', { type: 'joined', on: 'e2 (eu)' });
  assert.equal(s.resuming, 'e2 (eu)');
  s = next(s, { type: 'retry' });
  assert.equal(s.resuming, 'e2 (eu)', 'a refused rejoin still says where it was going');
  s = next(s, { type: 'attempt' });
  assert.equal(s.resuming, 'e2 (eu)');
  s = next(s, { type: 'joined' });
  assert.equal(s.resuming, 'e2 (eu)', 'joined without an edge keeps the last one');
  s = next(s, { type: 'reconnect', kind: 'network' });
  assert.equal(s.resuming, '');
  assert.equal(run({ type: 'joined', on: 'e1' }).resuming, '', 'a first join resumes nothing');
});

test('busy waits and tries again, carrying a reconnect on', () => {
  let s = run('busy');
  assert.equal(s.state, 'busy');
  assert.equal(label(s), 'error');
  assert.equal(inGame(s), false);
  assert.equal(next(s, { type: 'attempt' }).state, 'connecting');
  s = run('play', edge, 'attempt', { type: 'joined', on: 'e2' }, 'busy');
  assert.equal(s.state, 'busy');
  s = next(s, { type: 'attempt' });
  assert.deepEqual({ ...s }, { state: 'reconnecting', kind: 'edge', failover: true, resuming: 'e2' });
});

test('error and ended are final until the player asks again', () => {
  for (const end of ['fail', 'end']) {
    const s = run('play', end);
    assert.equal(inGame(s), false);
    for (const type of EVENTS) if (type !== 'again') assert.equal(next(s, { type, kind: 'edge' }), null, `${type} after ${end}`);
    assert.deepEqual(next(s, { type: 'again' }), INITIAL);
  }
  assert.equal(label(run('fail')), 'error');
  assert.equal(label(run('end')), 'ended');
});

test('states are frozen values', () => {
  const s = run('play', edge);
  assert.ok(Object.isFrozen(s));
  assert.ok(Object.isFrozen(INITIAL));
  assert.equal(INITIAL.state, 'connecting', 'transitions leave the old state alone');
});

test('inGame is true from connecting through reconnecting', () => {
  for (const state of STATES) {
    assert.equal(inGame({ ...INITIAL, state }), ['connecting', 'routing', 'starting', 'playing', 'reconnecting'].includes(state), state);
  }
});

test('a full region: queued waits in line, then the join goes on to playing', () => {
  let s = run('route', 'queue');
  assert.equal(s.state, 'queued');
  assert.equal(label(s), 'queued');
  assert.equal(inGame(s), false, 'no input while in line');
  assert.equal(waiting(s), true, 'a lost socket is found again');
  s = next(s, { type: 'queue' });
  assert.equal(s.state, 'queued', 'a new place keeps it in line');
  assert.equal(next(s, { type: 'retry' }), null, 'no retry of its own while in line');
  assert.equal(next(s, { type: 'route' }), null);
  assert.equal(next(s, { type: 'play' }), null, 'video only after joined');
  for (const e of ['start', 'joined', 'play']) s = next(s, { type: e });
  assert.deepEqual({ ...s }, { state: 'playing', kind: '', failover: false, resuming: '' });
  assert.equal(run('queue', 'joined').state, 'starting', 'joined straight from the line');
});

test('a wait in line ends for good with an error, or starts over after a lost socket', () => {
  assert.equal(run('queue', 'fail').state, 'error');
  const s = run('queue', { type: 'reconnect', kind: 'signal' });
  assert.equal(s.state, 'reconnecting');
  assert.equal(s.kind, 'signal');
  assert.equal(next(s, { type: 'queue' }).state, 'queued', 'queued again on the next node');
});

test('a rejoin that waits in line carries its reconnect on', () => {
  let s = run('play', edge, 'attempt', 'queue');
  assert.equal(s.state, 'queued');
  assert.equal(s.kind, 'edge');
  s = next(s, { type: 'start' });
  assert.equal(s.state, 'reconnecting', 'out of the line, still recovering');
  s = next(next(s, { type: 'joined', on: 'e2' }), { type: 'play' });
  assert.deepEqual({ ...s }, { state: 'playing', kind: '', failover: false, resuming: '' });
});

test('waiting is inGame and queued', () => {
  for (const state of STATES) {
    assert.equal(waiting({ ...INITIAL, state }), inGame({ ...INITIAL, state }) || state === 'queued', state);
  }
});
