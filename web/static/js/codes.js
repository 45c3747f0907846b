// codes.js — the codes of the failures the service reports to the page
// ({"type":"error","code","message"}). They are defined in Go, in
// edge/api/codes.go; web's tests check this list against that table, so
// the two cannot drift apart.

export const CODES = Object.freeze({
  BAD_MESSAGE: 'bad_message',
  TOO_LARGE: 'too_large',
  UNKNOWN_TITLE: 'unknown_title',
  EDGE_FULL: 'edge_full',
  QUEUE_TIMEOUT: 'queue_timeout',
  NO_EDGE: 'no_edge',
  NOT_JOINED: 'not_joined',
  NOT_FOUND: 'not_found',
  DRAINING: 'draining',
  UNAUTHORIZED: 'unauthorized',
  FORBIDDEN: 'forbidden',
  RATE_LIMITED: 'rate_limited',
  INTERNAL: 'internal',
});

// NO_TITLE is the page's own code, never the service's: the address names
// no game.
export const NO_TITLE = 'no_title';

// NO_MEDIA is the page's own code too: joins were answered but the media
// never reached the page (policy.js, unreachable media).
export const NO_MEDIA = 'media_unreachable';

// WORDS say what a code means to the player when its message says nothing.
export const WORDS = Object.freeze({
  [CODES.BAD_MESSAGE]: 'The service did not understand this page. Reloading may help.',
  [CODES.TOO_LARGE]: 'A message from this page was too large for the service.',
  [CODES.NO_EDGE]: 'No edge is available to run this game right now.',
  [CODES.QUEUE_TIMEOUT]: 'All servers stayed busy for too long. Please try again later.',
  [CODES.UNAUTHORIZED]: 'Please sign in to play.',
  [CODES.FORBIDDEN]: 'This account may not play this game here.',
  [CODES.RATE_LIMITED]: 'Too many attempts from this device. Wait a moment and try again.',
  [CODES.INTERNAL]: 'Something went wrong on our side.',
});

export const FALLBACK_WORDS = 'Something went wrong.';

// words is what the player reads for a failure: the service's own message
// when it sent one.
export function words(code, message = '') {
  return message || WORDS[code] || FALLBACK_WORDS;
}
