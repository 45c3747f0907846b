// What the play page's status card says (status.js), and the words for the
// service's failure codes (codes.js).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as status from '../static/js/status.js';
import { CODES, NO_TITLE, WORDS, FALLBACK_WORDS, words } from '../static/js/codes.js';
import { INITIAL, next } from '../static/js/machine.js';

const reconnecting = (kind, on) => {
  let s = next(next(INITIAL, { type: 'play' }), { type: 'reconnect', kind });
  if (on) s = next(s, { type: 'joined', on });
  return s;
};

test('words per code: the message first, then the code\'s words, then a fallback', () => {
  assert.equal(words(CODES.INTERNAL, 'disk on fire'), 'disk on fire');
  assert.equal(words(CODES.INTERNAL), 'Something went wrong on our side.');
  assert.equal(words(CODES.NO_EDGE, ''), 'No edge is available to run this game right now.');
  assert.equal(words(CODES.BAD_MESSAGE), 'The service did not understand this page. Reloading may help.');
  assert.equal(words(CODES.TOO_LARGE), 'A message from this page was too large for the service.');
  assert.equal(words(CODES.DRAINING), FALLBACK_WORDS);
  assert.equal(words('never_heard_of'), 'Something went wrong.');
  for (const code of Object.keys(WORDS)) assert.ok(Object.values(CODES).includes(code), `${code} is a code`);
  assert.ok(!Object.values(CODES).includes(NO_TITLE), 'no_title is the page\'s own');
  assert.ok(Object.isFrozen(CODES) && Object.isFrozen(WORDS));
});

test('the reconnect heading says why, then where the game resumes', () => {
  assert.equal(status.recoverHeading(reconnecting('network')), 'Reconnecting…');
  assert.equal(status.recoverHeading(reconnecting('edge')), 'Your edge stopped responding — moving you to another edge…');
  assert.equal(status.recoverHeading(reconnecting('move')), 'Moving you to another edge…');
  assert.equal(status.recoverHeading(reconnecting('signal')), 'Reconnecting to Stratus…');
  assert.equal(status.recoverHeading(reconnecting('edge', 'e2 (eu)')), 'Resuming on e2 (eu)');
});

test('a stage card: the stage as heading, or as detail while reconnecting', () => {
  assert.deepEqual(status.stageCard(INITIAL, status.CONNECTING), { heading: 'Connecting to Stratus…', detail: '', spinner: true });
  assert.deepEqual(status.stageCard(INITIAL, status.CONNECTING, status.MEASURING),
    { heading: 'Connecting to Stratus…', detail: 'Measuring the way to the nearest edges…', spinner: true });
  assert.deepEqual(status.stageCard(reconnecting('move'), status.ROUTING, 'ignored'),
    { heading: 'Moving you to another edge…', detail: 'Finding the nearest edge…', spinner: true });
  const routing = next(INITIAL, { type: 'route' });
  assert.equal(status.stageHeading(routing, 'x'), 'Finding the nearest edge…');
  assert.equal(status.stageHeading(next(INITIAL, { type: 'start' }), 'Starting Gears…'), 'Starting Gears…');
  assert.equal(status.stageHeading(reconnecting('signal'), 'x'), 'Reconnecting to Stratus…');
  assert.equal(status.stageHeading(next(INITIAL, { type: 'play' }), 'x'), '');
});

test('starting and where name the game and the edge', () => {
  assert.equal(status.startingText('Gears', ''), 'Starting Gears…');
  assert.equal(status.startingText('Gears', 'e1'), 'Starting Gears on e1…');
  assert.equal(status.where('e1', 'eu'), 'e1 (eu)');
  assert.equal(status.where('e1', ''), 'e1');
});

test('busy and retry cards count the wait in seconds', () => {
  assert.deepEqual(status.busyCard(1000), { heading: 'All edges are busy — try again shortly', detail: 'Retrying in 1.0 s…', spinner: true });
  assert.deepEqual(status.retryCard(reconnecting('edge'), 'No edge is available to run this game right now.', 250), {
    heading: 'Your edge stopped responding — moving you to another edge…',
    detail: 'No edge is available to run this game right now. Retrying in 0.3 s…',
    spinner: true,
  });
  assert.deepEqual(status.reconnectCard(reconnecting('signal'), 'Cannot reach Stratus'),
    { heading: 'Reconnecting to Stratus…', detail: 'Cannot reach Stratus', spinner: true });
});

test('final cards offer the way on', () => {
  const again = () => {};
  const unknown = status.errorCard(CODES.UNKNOWN_TITLE, 'whatever', 'pong', again);
  assert.equal(unknown.heading, 'Unknown game: pong');
  assert.deepEqual(unknown.actions, [{ label: 'Back to the catalog', href: '/', primary: true }]);
  const internal = status.errorCard(CODES.INTERNAL, '', 'pong', again);
  assert.equal(internal.heading, 'Something went wrong on our side.');
  assert.equal(internal.detail, 'Error: internal');
  assert.deepEqual(internal.actions, [{ label: 'Try again', primary: true, run: again }, { label: 'All games', href: '/' }]);
  assert.ok(!internal.spinner);
  const ended = status.endedCard('', again);
  assert.equal(ended.detail, 'The game session has ended.');
  assert.equal(status.endedCard('idle for 10 minutes', again).detail, 'idle for 10 minutes');
  assert.deepEqual(ended.actions, [{ label: 'Play again', primary: true, run: again }, { label: 'All games', href: '/' }]);
  assert.equal(status.NO_TITLE_CARD.heading, 'No game chosen');
  assert.equal(status.readyCard('Gears', again).heading, 'Gears is ready');
});

test('the queued card says the game, the place and who is ahead, and offers a way out', () => {
  const c = status.queuedCard('Rocks', 3, 2);
  assert.equal(c.heading, 'All servers for Rocks are busy — you are number 3 in line');
  assert.equal(c.detail, '2 players are ahead of you. The game starts as soon as a server is free.');
  assert.equal(c.spinner, true);
  assert.deepEqual(c.actions, [{ label: 'All games', href: '/' }]);
  assert.equal(status.queuedCard('Rocks', 2, 1).detail, '1 player is ahead of you. The game starts as soon as a server is free.');
  assert.equal(status.queuedCard('Rocks', 1, 0).detail, 'You are next. The game starts as soon as a server is free.');
});

test('a wait in line too long has its own words', () => {
  assert.equal(words(CODES.QUEUE_TIMEOUT), 'All servers stayed busy for too long. Please try again later.');
  const c = status.errorCard(CODES.QUEUE_TIMEOUT, '', 'rocks', () => {});
  assert.equal(c.detail, 'Error: queue_timeout');
});
