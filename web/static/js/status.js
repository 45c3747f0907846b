// status.js — what the play page's status card says in each state, as
// cards for view.js's overlay: {heading, detail, spinner, actions}. Pure,
// so the words can be tested; actions carry the callbacks play.js gives.

import { CODES, words } from './codes.js';

export const CONNECTING = 'Connecting to Stratus…';
export const ROUTING = 'Finding the nearest edge…';
export const MEASURING = 'Measuring the way to the nearest edges…';

// The heading while reconnecting, by the reconnect's kind (machine.js).
export const HEADING = Object.freeze({
  network: 'Reconnecting…',
  edge: 'Your edge stopped responding — moving you to another edge…',
  move: 'Moving you to another edge…',
  signal: 'Reconnecting to Stratus…',
});

const BACK = { label: 'All games', href: '/' };

// where names an edge for the player: its name and region.
export function where(edge, region) {
  return `${edge}${region ? ` (${region})` : ''}`;
}

export function startingText(name, edge) {
  return `Starting ${name}${edge ? ` on ${edge}` : ''}…`;
}

// recoverHeading says why the page is reconnecting, or where it resumes.
export function recoverHeading(s) {
  if (s.resuming) return `Resuming on ${s.resuming}`;
  return HEADING[s.kind] || HEADING.network;
}

// stageCard shows a set-up stage. While reconnecting the heading says why
// and the stage becomes the detail line.
export function stageCard(s, heading, detail = '') {
  if (s.state === 'reconnecting') return { heading: recoverHeading(s), detail: heading, spinner: true };
  return { heading, detail, spinner: true };
}

// stageHeading is the heading of the stage the page is in (starting: its
// words), for a status message that names no stage.
export function stageHeading(s, starting) {
  return {
    connecting: CONNECTING,
    routing: ROUTING,
    starting,
    reconnecting: recoverHeading(s),
  }[s.state] || '';
}

const seconds = (ms) => `${(ms / 1000).toFixed(1)} s`;

export function reconnectCard(s, reason) {
  return { heading: recoverHeading(s), detail: reason, spinner: true };
}

// retryCard: a join refused while reconnecting, tried again after delay ms.
export function retryCard(s, reason, delay) {
  return { heading: recoverHeading(s), detail: `${reason} Retrying in ${seconds(delay)}…`, spinner: true };
}

// queuedCard: every server for the game is full and the player waits in
// line at position (1: next), with ahead players before them.
export function queuedCard(name, position, ahead) {
  const before = ahead === 0 ? 'You are next.' : `${ahead} ${ahead === 1 ? 'player is' : 'players are'} ahead of you.`;
  return {
    heading: `All servers for ${name} are busy — you are number ${position} in line`,
    detail: `${before} The game starts as soon as a server is free.`,
    spinner: true,
    actions: [BACK],
  };
}

export function busyCard(delay) {
  return { heading: 'All edges are busy — try again shortly', detail: `Retrying in ${seconds(delay)}…`, spinner: true };
}

// errorCard: the service refused for good; again is "Try again".
export function errorCard(code, message, title, again) {
  if (code === CODES.UNKNOWN_TITLE) {
    return { heading: `Unknown game: ${title}`, detail: 'It may have been removed from the catalog.', actions: [{ ...BACK, label: 'Back to the catalog', primary: true }] };
  }
  return {
    heading: words(code, message),
    detail: `Error: ${code}`,
    actions: [{ label: 'Try again', primary: true, run: again }, BACK],
  };
}

export function endedCard(reason, again) {
  return {
    heading: 'Session ended',
    detail: reason || 'The game session has ended.',
    actions: [{ label: 'Play again', primary: true, run: again }, BACK],
  };
}

export const NO_TITLE_CARD = Object.freeze({
  heading: 'No game chosen',
  detail: 'Pick one from the catalog.',
  actions: [{ label: 'Back to the catalog', href: '/', primary: true }],
});

// readyCard: autoplay was refused; the player starts the video.
export function readyCard(name, play) {
  return { heading: `${name} is ready`, actions: [{ label: 'Play', primary: true, run: play }] };
}
