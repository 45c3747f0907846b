// machine.js — the play page's states and the events that move it between
// them. It is pure (no DOM, timers or network) so every transition can be
// tested alone; play.js feeds it events and acts on the state it returns.
//
//   connecting ─route─► routing ─start, joined─► starting ─play─► playing
//        │                 │                        ▲                │
//        │                 └─queue─► queued ─start, joined           │
//        └──────────────── reconnect (from any of these) ────────────┤
//                                                                    ▼
//   playing ◄─play─ reconnecting(kind): attempt, route, start, joined and
//                   retry keep it (the stage becomes the overlay's detail)
//
//   attempt (a new try) leads to connecting, or back to reconnecting while
//   one is in progress; play is the session's first presented frame.
//
//   queued  every edge offering the game is full and the signaling node
//           keeps the join waiting in line ({"type":"queued"}): the page
//           shows the player's place and waits, without a deadline or a
//           retry of its own; the node goes on with the join when room
//           appears (start, joined), or ends the wait with an error.
//           queue is the event of each new place. A reconnect it
//           interrupted carries on once the join goes on.
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

export const STATES = Object.freeze(['connecting', 'routing', 'starting', 'playing', 'reconnecting', 'queued', 'busy', 'error', 'ended']);
export const KINDS = Object.freeze(['network', 'edge', 'move', 'signal']);
export const EVENTS = Object.freeze(['attempt', 'route', 'queue', 'start', 'joined', 'play', 'reconnect', 'retry', 'busy', 'fail', 'end', 'again']);

const SETUP = ['connecting', 'routing', 'starting'];
const IN_GAME = [...SETUP, 'playing', 'reconnecting'];
// WAITING: on the way to the game, though not in it yet (no session, no
// input).
const WAITING = [...IN_GAME, 'queued'];

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
  attempt: { from: [...WAITING, 'busy'], to: stage('connecting') },
  // The signaling node is choosing an edge.
  route: { from: [...SETUP, 'reconnecting'], to: stage('routing') },
  // The node keeps the join waiting in line (again at each new place).
  queue: { from: [...SETUP, 'reconnecting', 'queued'], to: (s) => amend(s, { state: 'queued' }) },
  // The edge is starting the game.
  start: { from: [...SETUP, 'reconnecting', 'queued'], to: stage('starting') },
  // The node answered "joined"; on is the edge, as shown.
  joined: {
    from: [...SETUP, 'reconnecting', 'queued'],
    to: (s, e) => (s.kind ? amend(s, { state: 'reconnecting', resuming: e.on || s.resuming }) : plain('starting')),
  },
  // The first video frame of the session was presented.
  play: { from: [...SETUP, 'reconnecting'], to: () => plain('playing') },
  // The attempt or the session was lost: tear down and join again.
  reconnect: {
    from: WAITING,
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
  busy: { from: WAITING, to: (s) => amend(s, { state: 'busy' }) },
  fail: { from: WAITING, to: () => plain('error') },
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

// waiting: the page is on its way to the game, in line included: a lost
// signaling socket is to be found again.
export function waiting(s) {
  return WAITING.includes(s.state);
}

// label is the state as window.stratus.state reports it.
export function label(s) {
  return s.state === 'busy' ? 'error' : s.state;
}
