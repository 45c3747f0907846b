// machine.js — the play page's states and the events that move it between
// them. It is pure (no DOM, timers or network) so every transition can be
// tested alone; play.js feeds it events and acts on the state it returns.
//
//   connecting ─route─► routing ─start, joined─► starting ─play─► playing
//        │                                                           │
//        └──────────────── reconnect (from any of these) ────────────┤
//                                                                    ▼
//   playing ◄─play─ reconnecting(kind): attempt, route, start, joined and
//                   retry keep it (the stage becomes the overlay's detail)
//
//   attempt (a new try) leads to connecting, or back to reconnecting while
//   one is in progress; play is the session's first presented frame.
//
//   busy    all edges are busy (edge_full): the page waits and tries again
//           (attempt). Shown as window.stratus.state "error", with the code,
//           though it ends by itself. A reconnect it interrupted carries on
//           after it.
//   error   the service refused for good, or the page names no game. Final
//           until the player asks again.
//   ended   the game ended (the edge said so). Final until the player asks
//           again.
//
// "again" (the player's "Try again" / "Play again", or the page restored
// from the back/forward cache) starts afresh from any state.
//
// A reconnect has a kind, which words the overlay and decides what the
// player is told once video is back:
//
//   network  an attempt failed or timed out before the page was on an edge
//   edge     the edge the page was on stopped (no frame, PeerConnection lost)
//   move     the edge asked the page to move (it is going out of service)
//   signal   the signaling socket was lost while setting up
//
// A state is a frozen object {state, kind, failover, resuming}: kind, the
// reconnect in progress ('' when none); failover, an edge failed and is to
// be counted as recovered once video plays; resuming, the edge (as shown to
// the player) a rejoin was given, once "joined".

export const STATES = Object.freeze(['connecting', 'routing', 'starting', 'playing', 'reconnecting', 'busy', 'error', 'ended']);
export const KINDS = Object.freeze(['network', 'edge', 'move', 'signal']);
export const EVENTS = Object.freeze(['attempt', 'route', 'start', 'joined', 'play', 'reconnect', 'retry', 'busy', 'fail', 'end', 'again']);

const SETUP = ['connecting', 'routing', 'starting'];
const IN_GAME = [...SETUP, 'playing', 'reconnecting'];

function plain(state) {
  return Object.freeze({ state, kind: '', failover: false, resuming: '' });
}

function amend(s, fields) {
  return Object.freeze({ ...s, ...fields });
}

export const INITIAL = plain('connecting');

// A set-up stage: during a reconnect the state stays "reconnecting" (the
// overlay says why, the stage is its detail line).
const stage = (name) => (s) => (s.kind ? amend(s, { state: 'reconnecting' }) : plain(name));

// TABLE: per event, the states it may come in and the state it leads to.
const TABLE = {
  // A new attempt starts (a socket, a greeting, probes, an offer).
  attempt: { from: [...IN_GAME, 'busy'], to: stage('connecting') },
  // The signaling node is choosing an edge.
  route: { from: [...SETUP, 'reconnecting'], to: stage('routing') },
  // The edge is starting the game.
  start: { from: [...SETUP, 'reconnecting'], to: stage('starting') },
  // The node answered "joined"; on is the edge, as shown.
  joined: {
    from: [...SETUP, 'reconnecting'],
    to: (s, e) => (s.kind ? amend(s, { state: 'reconnecting', resuming: e.on || s.resuming }) : plain('starting')),
  },
  // The first video frame of the session was presented.
  play: { from: [...SETUP, 'reconnecting'], to: () => plain('playing') },
  // The attempt or the session was lost: tear down and join again.
  reconnect: {
    from: IN_GAME,
    valid: (e) => KINDS.includes(e.kind),
    to: (s, e) => Object.freeze({
      state: 'reconnecting',
      kind: e.kind,
      failover: s.failover || e.kind === 'edge',
      resuming: '',
    }),
  },
  // A join was refused while the cluster is in flux: try again, as before.
  retry: { from: ['reconnecting'], to: (s) => s },
  // edge_full: wait, then an attempt.
  busy: { from: IN_GAME, to: (s) => amend(s, { state: 'busy' }) },
  fail: { from: IN_GAME, to: () => plain('error') },
  end: { from: IN_GAME, to: () => plain('ended') },
  again: { from: STATES, to: () => plain('connecting') },
};

// next is the state after the event ({type, …}), or null when the event is
// not allowed in state s.
export function next(s, e) {
  const t = TABLE[e && e.type];
  if (!t || !t.from.includes(s.state) || (t.valid && !t.valid(e))) return null;
  return t.to(s, e);
}

// can says whether an event of this type may come in state s.
export function can(s, type) {
  const t = TABLE[type];
  return !!t && t.from.includes(s.state);
}

// inGame: the page is on its way to the game or in it, and takes input.
export function inGame(s) {
  return IN_GAME.includes(s.state);
}

// label is the state as window.stratus.state reports it.
export function label(s) {
  return s.state === 'busy' ? 'error' : s.state;
}
