/*
 * play.js — the play page (/play?title=<id>): starts the title at once,
 * shows its video, sends the player's input, and keeps the session alive
 * across network trouble, a dying edge and a lost signaling node.
 *
 * State machine (window.stratus.state):
 *
 *   connecting ─► routing ─► starting ─(first video frame)─► playing
 *    socket,      status     status "starting",                │
 *    greeting,    "routing"  then "joined"                     │
 *    probes, offer                                             │
 *                                                              │ edge failure: no frame
 *   reconnecting ◄─────────────────────────────────────────────┘ for 400 ms, PC
 *    tear the attempt down, then a new Connection through the      disconnected/failed;
 *    same stages; the state stays "reconnecting" until video       "move" from the edge;
 *    plays again.                                                  a stage timed out
 *
 *   error   edge_full: "All edges are busy", retried with the backoff.
 *           unknown_title, bad_message, too_large, no_edge, internal: the
 *           message, with "Try again" and a way back to the catalog. Final
 *           (except while reconnecting, where internal and no_edge are
 *           retried: the cluster is in flux).
 *   ended   the server ended the session: its reason and "Play again". Final.
 *
 * Joining. The signaling socket greets with {"type":"hello"}: the other
 * signaling nodes and a few edges to measure. The page waits HELLO_WAIT_MS
 * (signal.js) for it, as older nodes send none, measures the edges
 * (probe.js: at most PROBE_BUDGET_MS; results stay fresh PROBE_FRESH_MS)
 * and joins with rtt, exclude (edges failed on in the last EXCLUDE_MS) and
 * resume (the latest snapshot token the edge sent on the input channel).
 *
 * Edge failure (the page is on an edge and its video stops for STALL_MS, or
 * the PeerConnection goes disconnected/failed): the edge is excluded and,
 * if the game was playing, the rejoin starts at once: on the same signaling
 * socket when it is open and has no unanswered join (a fresh socket
 * otherwise), with the latest probe results (refreshed in the background)
 * and the resume token. Attempts after that back off (250 ms, 500 ms, 1 s,
 * 2 s, 4 s, 5 s …; reset after 10 s of play). A "move" from a draining edge
 * rejoins the same way. When a join is refused while edges are excluded,
 * the next attempt drops the exclusions: they are a preference, not a rule.
 *
 * Signaling loss. The socket goes to the page's own origin first; the
 * greeting's node list is the fallback. When a socket fails or closes the
 * next node is tried at once (round-robin, the failed one last), with the
 * backoff only after a full round. A socket lost while the game plays does
 * not stop the game (media flows from the edge directly): the page finds
 * another node in the background, toasting "Reconnecting to Stratus…".
 * Lost during set-up, the attempt starts over on the next node.
 *
 * Input capture (keyboard.js, mouse.js, gamepad.js, touch.js) lives for the
 * page; it sends through one InputLink (link.js) that each new Connection's
 * data channels are attached to.
 *
 * window.stratus, for automated tests and benchmarks (headless Chromium):
 *   state, title, name, edge, region, session, error ({code, message} | null),
 *   reason, reconnects, framesPresented, pcState, hasAudio, video, pc,
 *   stats (stats.js: width, height, fps, bitrateKbps, rttMs, lossPct,
 *     decodeMs, jitterBufferMs, framesDecoded, pingMs, … all numbers),
 *   input ({edges, states, dropped}: messages sent on the channels),
 *   edgeStats (the edge's latest "stats" report, or null),
 *   node (the signaling node's name from its greeting; '' before one),
 *   signal (the current signaling WebSocket URL), signals (every known
 *     one, in the order they are tried),
 *   rtts ({edge: ms} of the latest probe run; the join also carries
 *     "region:<name>" entries with each region's best),
 *   failovers (edge failures recovered: video played again after one),
 *   moves ("move" requests followed),
 *   lastFailure ({edge, region, session, at: Date.now() ms when detected,
 *     reason} | null),
 *   edgeHistory ([{edge, region, session, joinedAt: Date.now() ms of
 *     "joined", firstFrameAt: wall ms of the session's first presented
 *     frame (performance.timeOrigin + rVFC presentationTime) | null}]),
 *   resumeToken (true when the page holds a resume token for the title),
 *   touchLayout (the on-screen controls on a touch screen: "default" (the
 *     built-in gamepad, hidden for titles that read no pad; until the
 *     title's entry says otherwise, and for titles without a profile), "none",
 *     "pointer" or "gamepad" from the title's touch profile; '' without a
 *     touch screen),
 *   audioMeter (the sound meter's AudioContext state: "off" until the
 *     first click or tap, then "running", or "suspended" where the browser
 *     holds it back),
 *   audioLevel (dBFS, RMS, of the latest 50 ms window of the
 *     remote audio track; -100 for silence), audioPeak (the loudest window
 *     of the last second), audioEnergy (Σ RMS² × seconds since the meter
 *     started, like inbound-rtp totalAudioEnergy, which Chromium leaves at
 *     0 while the video is muted), audioSeconds (audio time measured);
 *     see audio.js,
 *   readPattern()   → {renderMs, inputs} of the frame on screen, or null;
 *   startMeasure()  → starts recording latency per presented frame;
 *   stopMeasure()   → {g2g: [ms], inputToDisplay: [ms], presented, skipped,
 *                      gaps, repeated, invalid, intervalMs};
 *   sendKeyProbe()  → Promise of the probe's input-to-display ms (or null).
 * See pattern.js and measure.js for what is measured and how.
 */

import { Connection } from './session.js';
import { Signal, SignalPool } from './signal.js';
import { Prober, validProbes } from './probe.js';
import { InputLink } from './link.js';
import { Keyboard, STATS_KEY_LABEL } from './keyboard.js';
import { Mouse } from './mouse.js';
import { Gamepads } from './gamepad.js';
import { TouchControls, TouchPointer, hasTouch, knownLayout } from './touch.js';
import { StatsSampler, emptyStats, STATS_EVERY_MS } from './stats.js';
import { PresentReporter } from './present.js';
import { readPattern } from './pattern.js';
import { Measurer } from './measure.js';
import { SoundMeter, FLOOR_DB } from './audio.js';

const BACKOFF_MS = [250, 500, 1000, 2000, 4000, 5000];
const STALL_MS = 400; // no presented frame for this long while playing: the edge failed
const STALL_CHECK_MS = 50; // how often the stall watchdog looks
const STABLE_MS = 10000; // playing this long resets the backoff
const JOIN_TIMEOUT_MS = 15000; // start of an attempt → "joined"
const FIRST_FRAME_TIMEOUT_MS = 10000; // "joined" → first presented frame
const EXCLUDE_MS = 60000; // an edge the player failed on is not asked for again this long
const EXCLUDE_MAX = 16; // edges in one join's exclude (the protocol allows 64)
const HISTORY_MAX = 100; // entries kept in window.stratus.edgeHistory

// The overlay's heading while reconnecting, by cause.
const HEADING = {
  network: 'Reconnecting…',
  edge: 'Your edge stopped responding — moving you to another edge…',
  move: 'Moving you to another edge…',
  signal: 'Reconnecting to Stratus…',
};

const $ = (id) => document.getElementById(id);
const video = $('video');
const stage = $('stage');
const titleId = new URLSearchParams(location.search).get('title') || '';
const touch = hasTouch();

// window.stratus: live state and test hooks.
const S = {
  state: 'connecting', // connecting | routing | starting | playing | reconnecting | error | ended
  title: titleId,
  name: titleId,
  edge: '',
  region: '',
  session: '',
  error: null, // {code, message}
  reason: '', // why the last reconnect or end happened
  reconnects: 0,
  node: '', // the signaling node, from its greeting
  rtts: {}, // edge → ms, the latest probe results
  failovers: 0, // edge failures recovered
  moves: 0, // "move" requests followed
  lastFailure: null, // {edge, region, session, at, reason}
  edgeHistory: [], // {edge, region, session, joinedAt, firstFrameAt}
  framesPresented: 0,
  pcState: 'new',
  touchLayout: '', // the on-screen controls: '' (no touch screen), default, none, pointer or gamepad
  hasAudio: false, // sound is arriving
  video,
  pc: null,
  stats: emptyStats(),
  input: null, // counts of sent / dropped input messages
  statsKey: STATS_KEY_LABEL,
  readPattern: () => readPattern(video),
  startMeasure: () => measurer.start(),
  stopMeasure: () => measurer.stop(),
  sendKeyProbe: () => measurer.probe(),
};
window.stratus = S;

let titleInfo = null; // catalog entry, once the titles message arrives
let conn = null;
let reconnecting = false;
let failures = 0; // consecutive, for the backoff
let retryTimer = 0;
let stageTimer = 0; // deadline of the current stage
let lastFrameAt = 0;
let lastPresentedFrames = 0;
let playingSince = 0;
let activated = false;
let leaving = false;

// Signaling, probes, failover.
const pool = new SignalPool(); // the page's origin, then the greeting's nodes
let sig = null; // the page's signaling socket (open or opening), or null
let sigTimer = 0; // a scheduled reopen of the socket
let sigLostWhilePlaying = false;
let probes = []; // the latest greeting's edges to measure
const prober = new Prober({
  onResult: (r) => {
    S.rtts = r;
    if (!$('stats').hidden) renderStats();
  },
});
const tokens = {}; // title → latest resume token
const failedEdges = new Map(); // edge → Date.now() when the page failed on it (or was moved off it)
let relaxExclude = false; // the last join was refused with exclusions: send none
let recoverHeading = HEADING.network;
let recoverKind = '';
let pendingFailover = false; // an edge failed; count it once video plays again

const meter = new SoundMeter(); // started by the first click or tap

Object.defineProperties(S, {
  resumeToken: { get: () => !!tokens[titleId], enumerable: true },
  audioMeter: { get: () => meter.state, enumerable: true },
  audioLevel: { get: () => meter.level, enumerable: true },
  audioPeak: { get: () => meter.peak, enumerable: true },
  audioEnergy: { get: () => meter.loud.energy, enumerable: true },
  audioSeconds: { get: () => meter.loud.seconds, enumerable: true },
  signal: { get: () => (sig ? sig.url : pool.url), enumerable: true },
  signals: { get: () => pool.urls.slice(), enumerable: true },
});

// ---- input -------------------------------------------------------------

const inGame = () => ['connecting', 'routing', 'starting', 'playing', 'reconnecting'].includes(S.state);

const link = new InputLink();
const presenter = new PresentReporter(link);
// The edge's latest report of its side (see link.js), for tests and tools.
Object.defineProperty(S, 'edgeStats', { get: () => link.edgeStats || null, enumerable: true });
S.input = link.sent;
const keyboard = new Keyboard(link, { isActive: inGame, onStatsKey: toggleStats });
const mouse = new Mouse(link, stage, video, { isActive: inGame, onActivate: mouseActivate });
const gamepads = new Gamepads(link, { isActive: inGame, onConnect: padToast });
const touchPointer = new TouchPointer(link, stage, video, { isActive: inGame, mouse });
const measurer = new Measurer(video, { fps: () => (titleInfo && titleInfo.fps) || 0, probe: () => keyboard.probe() });
const controls = touch ? new TouchControls($('pad'), { gamepads, link, isActive: inGame }) : null;

// applyTouchProfile builds the on-screen controls for the title's touch
// profile (titleInfo.touch, from the studio's manifest). Until the title's
// entry arrives, and for titles without a profile (the built-in ones, or a
// layout this page does not know), it is the default gamepad, shown only
// for titles that read a pad. The controls are rebuilt only when what they
// would show changes: a rebuild releases everything held.
let touchShown = null; // what the controls were built from, as JSON
function applyTouchProfile() {
  if (!controls) return;
  const profile = titleInfo && knownLayout(titleInfo.touch) ? titleInfo.touch : null;
  const padInput = !titleInfo || !Array.isArray(titleInfo.inputs) || titleInfo.inputs.includes('gamepad');
  const key = JSON.stringify([profile, padInput]);
  if (key === touchShown) return;
  touchShown = key;
  $('pad').hidden = !controls.show(profile, padInput);
  touchPointer.setMode(profile && profile.layout === 'pointer' ? 'mouse' : 'touch');
  S.touchLayout = profile ? profile.layout : 'default';
}

if (touch) {
  document.body.classList.add('touch');
  applyTouchProfile();
}

function releaseAll() {
  keyboard.releaseAll();
  mouse.releaseAll();
  touchPointer.releaseAll();
  if (controls) controls.releaseAll();
  gamepads.releaseAll();
}

// The first click or tap anywhere unmutes (browsers only autoplay muted),
// starts the sound meter (an AudioContext only runs after a user
// activation) and, on a phone, goes fullscreen in landscape. All three need
// the event to be a user activation, and a press is one only for a mouse:
// a finger or pen activates the page when it lifts (HTML's activation-
// triggering events: pointerdown for a mouse, pointerup otherwise; in
// Chromium an AudioContext made on a touch's pointerdown stays suspended).
// It runs in the capture phase, so before the stage's own handlers.
function activate(e) {
  if (activated) {
    meter.start(); // resumes the meter if the browser suspended it since
    return;
  }
  activated = true;
  video.muted = false;
  video.play().catch(() => {});
  meter.start();
  updateHints();
  if (e.pointerType !== 'mouse') enterFullscreen();
}
document.addEventListener('pointerdown', (e) => e.pointerType === 'mouse' && activate(e), true);
document.addEventListener('pointerup', (e) => e.pointerType !== 'mouse' && activate(e), true);

// mouseActivate runs for every mouse press on the stage: when the pointer is
// not locked, the press asks for pointer lock and is not sent to the game
// (it is the "capture the mouse" click). Where the browser refuses the lock,
// presses are sent as they are from then on, so the mouse still works.
let lockRefused = false;

function mouseActivate(e) {
  if (!inGame() || document.pointerLockElement === stage || !stage.requestPointerLock) return false;
  lockPointer();
  return !lockRefused;
}

async function lockPointer() {
  try {
    // Raw (unaccelerated) motion is what games expect; not every browser has it.
    await stage.requestPointerLock({ unadjustedMovement: true });
    lockRefused = false;
  } catch {
    try {
      await stage.requestPointerLock();
      lockRefused = false;
    } catch {
      lockRefused = true;
    }
  }
}

document.addEventListener('pointerlockchange', () => {
  if (document.pointerLockElement !== stage) mouse.releaseAll();
  updateHints();
});

async function enterFullscreen() {
  try {
    if (!document.fullscreenElement) await document.documentElement.requestFullscreen({ navigationUI: 'hide' });
    if (screen.orientation && screen.orientation.lock) await screen.orientation.lock('landscape');
  } catch { /* not allowed here (desktop orientation, iOS): fine */ }
}

$('btn-fullscreen').addEventListener('click', () => {
  if (document.fullscreenElement) {
    document.exitFullscreen().catch(() => {});
    return;
  }
  enterFullscreen();
  // In desktop fullscreen, keyboard lock lets games have Esc, Ctrl+W and
  // friends; Chrome then tells the player to hold Esc to leave.
  if (!touch && navigator.keyboard && navigator.keyboard.lock) navigator.keyboard.lock().catch(() => {});
});
$('btn-stats').addEventListener('click', toggleStats);

window.addEventListener('blur', releaseAll);
document.addEventListener('visibilitychange', () => {
  if (document.hidden) releaseAll();
  else lastFrameAt = performance.now(); // frames pause while hidden; no stall on return
});

// ---- signaling ------------------------------------------------------------

// openSignal opens a socket to the pool's current node.
function openSignal() {
  clearTimeout(sigTimer);
  sigTimer = 0;
  for (let tries = 0; ; tries++) {
    try {
      const s = new Signal({
        onOpen: () => onSignalOpen(s),
        onMessage: (m) => onSignalMessage(s, m),
        onClose: () => onSignalClose(s),
      }, pool.url);
      s.titlesPending = false;
      sig = s;
      return s;
    } catch (err) {
      // The constructor throws for a URL the browser will not use at all
      // (a blocked port); move on as if it had failed to open.
      console.warn('stratus: cannot open', pool.url, err);
      pool.fail();
      if (tries >= pool.size) throw err;
    }
  }
}

function closeSignal() {
  clearTimeout(sigTimer);
  sigTimer = 0;
  if (!sig) return;
  const s = sig;
  sig = null;
  s.close();
}

// signalForJoin is the socket a new attempt joins on: the current one when
// it is usable (open or opening, and no join on it unanswered), else a new
// one to the current node.
function signalForJoin() {
  clearTimeout(sigTimer);
  sigTimer = 0;
  if (sig && sig.dirty) closeSignal();
  return sig || openSignal();
}

function onSignalOpen(s) {
  if (s !== sig) return;
  pool.ok();
  // The catalog entry (name, fps, inputs, touch); its answer comes before the
  // join's, the node answering in order.
  if (!titleInfo) s.titlesPending = s.send({ type: 'titles' });
  if (sigLostWhilePlaying) {
    sigLostWhilePlaying = false;
    toast('Reconnected to Stratus');
  }
  if (conn && conn.sig === s) conn.signalOpen();
}

function onSignalMessage(s, m) {
  if (s !== sig) return;
  switch (m.type) {
    case 'hello':
      onHello(m);
      return;
    case 'titles':
      s.titlesPending = false;
      onTitles(m);
      return;
    case 'error':
      if (s.titlesPending) {
        // The titles request failed; the page plays without the entry.
        s.titlesPending = false;
        console.warn('stratus: titles:', m.code, m.message);
        return;
      }
      break;
  }
  if (conn && conn.sig === s) conn.onMessage(m);
}

function onHello(m) {
  S.node = typeof m.node === 'string' ? m.node : '';
  pool.learn(m.signals);
  const list = validProbes(m.probes);
  if (list.length) probes = list;
  // Start measuring now; a join waiting for the greeting joins this run.
  if (probes.length && !prober.fresh()) prober.measure(probes);
}

function onSignalClose(s) {
  if (s !== sig) return;
  sig = null;
  const rounds = pool.fail(); // now at the next node
  if (leaving || !inGame()) return; // nothing needs signaling now
  if (conn && conn.sig === s) {
    if (conn.joined && S.state === 'playing') {
      // The video and input flow between the page and the edge, not
      // through signaling: keep playing, find another node meanwhile.
      sigLostWhilePlaying = true;
      toast('Reconnecting to Stratus…');
      scheduleSignal(rounds);
      return;
    }
    reconnect(s.opened ? 'Lost the connection to Stratus' : 'Cannot reach Stratus', { kind: 'signal', immediate: rounds === 0 });
    return;
  }
  if (!retryTimer) scheduleSignal(rounds);
}

// scheduleSignal reopens the socket in the background: at once while the
// list has untried nodes, with the backoff after each full round.
function scheduleSignal(rounds) {
  clearTimeout(sigTimer);
  const delay = rounds ? BACKOFF_MS[Math.min(rounds - 1, BACKOFF_MS.length - 1)] : 0;
  sigTimer = setTimeout(() => {
    sigTimer = 0;
    if (!sig && !leaving && inGame() && !retryTimer) openSignal();
  }, delay);
}

// ---- connection ----------------------------------------------------------

function connect() {
  clearTimeout(retryTimer);
  retryTimer = 0;
  if (conn) conn.close(false);
  conn = null;
  const s = signalForJoin();
  const c = new Connection({ title: titleId }, {
    message: (m) => c === conn && onMessage(m),
    pcState: (st) => c === conn && onPcState(st),
    track: (e) => c === conn && onTrack(e),
  });
  conn = c;
  S.edge = S.region = S.session = '';
  phase('connecting', 'Connecting to Stratus…');
  c.start(s);
  S.pc = c.pc || null;
  if (c.input) link.attach(c.input, c.motion);
  sampler.reset();
  deadline(JOIN_TIMEOUT_MS, 'The service did not answer in time');
  prepareJoin(c, s);
}

// prepareJoin waits for the node's greeting (or HELLO_WAIT_MS without one)
// and for round-trip results, then hands the Connection what to join with.
// A first join measures (at most PROBE_BUDGET_MS) unless results are
// fresh; a rejoin never waits when it has any results: it sends them and
// refreshes them in the background.
async function prepareJoin(c, s) {
  await s.waitHello();
  if (c !== conn) return;
  if (prober.fresh() || (reconnecting && prober.measured())) {
    if (reconnecting && probes.length) prober.refresh(probes);
  } else if (probes.length) {
    if (!reconnecting) phase('connecting', 'Connecting to Stratus…', 'Measuring the way to the nearest edges…');
    await prober.measure(probes);
    if (c !== conn) return;
  }
  c.join({ rtt: prober.forJoin(), exclude: excludeList(), resume: tokens[titleId] || '' });
}

// excludeList is the edges failed on recently, latest first.
function excludeList() {
  const now = Date.now();
  for (const [edge, at] of failedEdges) if (now - at > EXCLUDE_MS) failedEdges.delete(edge);
  if (relaxExclude) return [];
  return [...failedEdges.entries()].sort((a, b) => b[1] - a[1]).slice(0, EXCLUDE_MAX).map(([edge]) => edge);
}

// deadline bounds the current stage; edge says a miss is the edge's fault.
function deadline(ms, reason, edge = false) {
  clearTimeout(stageTimer);
  stageTimer = setTimeout(() => (edge ? edgeFailure(reason) : reconnect(reason)), ms);
}

function teardown(leave) {
  clearTimeout(stageTimer);
  clearTimeout(retryTimer);
  stageTimer = retryTimer = 0;
  releaseAll();
  if (conn) conn.close(leave);
  conn = null;
  link.detach();
  S.pc = null;
}

function onTitles(m) {
  titleInfo = (Array.isArray(m.titles) && m.titles.find((t) => t.id === titleId)) || null;
  if (titleInfo) {
    S.name = titleInfo.name || titleId;
    document.title = `${S.name} — Stratus`;
    if (S.state === 'starting' && !reconnecting) phase('starting', startingText());
  }
  applyTouchProfile();
}

function where() {
  return `${S.edge}${S.region ? ` (${S.region})` : ''}`;
}

function onMessage(m) {
  switch (m.type) {
    case 'status':
      if (S.state === 'playing') return; // stages describe start-up only
      if (m.stage === 'routing') phase('routing', 'Finding the nearest edge…', m.message);
      else if (m.stage === 'starting') phase('starting', startingText(), m.message);
      else if (m.message) overlay({ heading: reconnecting ? recoverHeading : headingFor(S.state), detail: m.message, spinner: true });
      return;
    case 'joined': {
      S.edge = m.edge || '';
      S.region = m.region || '';
      S.session = m.session || '';
      relaxExclude = false;
      const h = { edge: S.edge, region: S.region, session: S.session, joinedAt: Date.now(), firstFrameAt: null };
      conn.history = h;
      S.edgeHistory.push(h);
      if (S.edgeHistory.length > HISTORY_MAX) S.edgeHistory.splice(0, S.edgeHistory.length - HISTORY_MAX);
      if (reconnecting && S.edge) {
        recoverHeading = `Resuming on ${where()}`;
        phase('starting', `Starting ${S.name}…`);
      } else {
        phase('starting', startingText());
      }
      deadline(FIRST_FRAME_TIMEOUT_MS, 'No video arrived from the edge', true);
      // The first titles answer can lack the title: one a studio added
      // moments ago that the edges had not loaded yet. The edge now running
      // it has it, so ask once more; the entry carries the name and the
      // touch profile the on-screen controls follow.
      if (!titleInfo && sig && !sig.titlesPending) sig.titlesPending = sig.send({ type: 'titles' });
      return;
    }
    case 'error':
      onError(m.code || 'internal', m.message || '');
      return;
    case 'ended':
      teardown(false);
      closeSignal();
      delete tokens[titleId]; // "Play again" is a new game
      pendingFailover = false;
      S.reason = m.reason || '';
      S.state = 'ended';
      overlay({
        heading: 'Session ended',
        detail: m.reason || 'The game session has ended.',
        actions: [{ label: 'Play again', primary: true, run: playAgain }, { label: 'All games', href: '/' }],
      });
  }
}

// onControl takes the edge's control messages on the input channel.
function onControl(m) {
  if (m.type === 'snapshot') {
    if (typeof m.token === 'string' && m.token) tokens[titleId] = m.token;
  } else if (m.type === 'move') {
    onMove(m);
  } else if (m.type === 'ended') {
    // The game itself ended (it exited, or a limit was reached): say why
    // rather than take the closing connection for a failed edge.
    onMessage(m);
  }
}
link.onControl = onControl;

// onMove follows an edge's request to leave it (it is going out of
// service): rejoin at once elsewhere, resuming from its latest state.
function onMove(m) {
  if (typeof m.token === 'string' && m.token) tokens[titleId] = m.token;
  if (leaving || !conn || !conn.joined || !S.edge || retryTimer) return;
  const reason = (typeof m.reason === 'string' && m.reason) || 'maintenance';
  failedEdges.set(S.edge, Date.now());
  S.moves++;
  console.info(`stratus: edge ${S.edge} asks to move: ${reason}`);
  toast(`Moving you to another edge (${reason})…`);
  reconnect(reason, { kind: 'move', immediate: true });
}

function startingText() {
  return `Starting ${S.name}${S.edge ? ` on ${S.edge}` : ''}…`;
}

function headingFor(state) {
  return {
    connecting: 'Connecting to Stratus…',
    routing: 'Finding the nearest edge…',
    starting: startingText(),
    reconnecting: recoverHeading,
  }[state] || '';
}

// phase moves through the connecting stages. During a reconnect the state
// stays "reconnecting", the heading says why, and the stage shows as the
// detail line.
function phase(state, heading, detail = '') {
  if (reconnecting) {
    S.state = 'reconnecting';
    overlay({ heading: recoverHeading, detail: heading, spinner: true });
    return;
  }
  S.state = state;
  overlay({ heading, detail, spinner: true });
}

const FATAL_DEFAULTS = {
  bad_message: 'The service did not understand this page. Reloading may help.',
  too_large: 'A message from this page was too large for the service.',
  no_edge: 'No edge is available to run this game right now.',
  internal: 'Something went wrong on our side.',
};

function onError(code, message) {
  if (code === 'not_joined') {
    // A candidate raced the end of a session; nothing to show.
    console.warn('stratus: not_joined:', message);
    return;
  }
  const excluded = !!(conn && conn.info && conn.info.exclude && conn.info.exclude.length);
  teardown(true);
  if (excluded && (code === 'edge_full' || code === 'no_edge')) {
    // Refused with edges excluded: maybe only those could take the player
    // (a small cluster after a blip, a drain). The exclusions are a
    // preference: ask again at once without them.
    relaxExclude = true;
    console.info(`stratus: ${code} with edges excluded; asking again without exclusions`);
    retryTimer = setTimeout(connect, 0);
    return;
  }
  if (code === 'edge_full') {
    S.error = { code, message };
    S.state = 'error';
    const delay = BACKOFF_MS[Math.min(failures++, BACKOFF_MS.length - 1)];
    overlay({ heading: 'All edges are busy — try again shortly', detail: `Retrying in ${(delay / 1000).toFixed(1)} s…`, spinner: true });
    retryTimer = setTimeout(connect, delay);
    return;
  }
  if (reconnecting && (code === 'internal' || code === 'no_edge')) {
    // While the page moves between edges the cluster is in flux (an edge
    // just died, gossip lags): keep trying instead of giving up.
    reconnecting = true;
    S.state = 'reconnecting';
    S.reason = message || FATAL_DEFAULTS[code];
    const delay = BACKOFF_MS[Math.min(failures++, BACKOFF_MS.length - 1)];
    overlay({ heading: recoverHeading, detail: `${S.reason} Retrying in ${(delay / 1000).toFixed(1)} s…`, spinner: true });
    retryTimer = setTimeout(connect, delay);
    return;
  }
  closeSignal();
  pendingFailover = false;
  S.error = { code, message };
  S.state = 'error';
  const back = { label: 'All games', href: '/' };
  if (code === 'unknown_title') {
    overlay({ heading: `Unknown game: ${titleId}`, detail: 'It may have been removed from the catalog.', actions: [{ ...back, label: 'Back to the catalog', primary: true }] });
    return;
  }
  overlay({
    heading: message || FATAL_DEFAULTS[code] || 'Something went wrong.',
    detail: `Error: ${code}`,
    actions: [{ label: 'Try again', primary: true, run: playAgain }, back],
  });
}

function playAgain() {
  failures = 0;
  reconnecting = false;
  pendingFailover = false;
  S.error = null;
  connect();
}

function onPcState(s) {
  S.pcState = s;
  if (s === 'failed' || s === 'disconnected') edgeFailure(`Connection ${s}`);
}

// edgeFailure handles the loss of the edge the page is on: it is excluded
// for a while, and if the game was playing the rejoin starts at once.
// Before the page is on an edge this is an ordinary reconnect.
function edgeFailure(reason) {
  if (leaving || S.state === 'error' || S.state === 'ended' || retryTimer) return;
  if (!conn || !conn.joined || !S.edge) {
    reconnect(reason);
    return;
  }
  const wasPlaying = S.state === 'playing';
  const at = Date.now();
  S.lastFailure = { edge: S.edge, region: S.region, session: S.session, at, reason };
  failedEdges.set(S.edge, at);
  pendingFailover = true;
  console.warn(`stratus: edge ${S.edge} failed: ${reason}`);
  reconnect(reason, { kind: 'edge', immediate: wasPlaying });
}

// reconnect tears the current attempt down and starts a new one: at once
// when immediate, else after the backoff.
function reconnect(reason, { kind = 'network', immediate = false } = {}) {
  if (leaving || S.state === 'error' || S.state === 'ended' || retryTimer) return;
  teardown(false);
  S.reconnects++;
  S.reason = reason;
  reconnecting = true;
  recoverKind = kind;
  recoverHeading = HEADING[kind] || HEADING.network;
  const delay = immediate ? 0 : BACKOFF_MS[Math.min(failures++, BACKOFF_MS.length - 1)];
  S.state = 'reconnecting';
  overlay({ heading: recoverHeading, detail: reason, spinner: true });
  console.info(`stratus: reconnecting${delay ? ` in ${delay} ms` : ''}: ${reason}`);
  retryTimer = setTimeout(connect, delay);
}

function onTrack(e) {
  if (video.srcObject !== conn.stream) video.srcObject = conn.stream;
  // The meter taps the track the <video> plays: Chromium feeds remote audio
  // to Web Audio only while an element plays it (see audio.js).
  if (e.track.kind === 'audio') meter.attach(e.track);
  video.play().catch((err) => {
    // Muted autoplay is normally allowed; where it is not (power saving),
    // wait for a tap rather than time out into a reconnect loop.
    if (err.name !== 'NotAllowedError') return;
    clearTimeout(stageTimer);
    overlay({ heading: `${S.name} is ready`, actions: [{ label: 'Play', primary: true, run: () => video.play().catch(() => {}) }] });
  });
  armFrames();
  updateHints();
}

// ---- frames ------------------------------------------------------------

// Presented frames drive the playing state, the stall watchdog, fps and the
// latency measurement. requestVideoFrameCallback fires once per frame
// composited to the screen; without it, polling currentTime per animation
// frame is a coarse stand-in.
let frameArmed = false;
const hasRVFC = 'requestVideoFrameCallback' in HTMLVideoElement.prototype;

function armFrames() {
  if (frameArmed) return;
  frameArmed = true;
  if (hasRVFC) {
    video.requestVideoFrameCallback(onFrame);
  } else {
    let lastTime = -1;
    const poll = (now) => {
      if (video.currentTime !== lastTime && video.readyState >= 2) {
        lastTime = video.currentTime;
        onFrame(now, null);
      }
      requestAnimationFrame(poll);
    };
    requestAnimationFrame(poll);
  }
}

function onFrame(now, meta) {
  if (hasRVFC) video.requestVideoFrameCallback(onFrame);
  const n = meta ? meta.presentedFrames : 0;
  S.framesPresented += n > lastPresentedFrames ? n - lastPresentedFrames : 1;
  lastPresentedFrames = n;
  lastFrameAt = performance.now();
  // A frame of the current session (not a late one of the stream before).
  if (conn && conn.joined && video.srcObject === conn.stream) {
    if (conn.history && !conn.history.firstFrameAt) conn.history.firstFrameAt = frameWall(meta);
    if (['connecting', 'routing', 'starting', 'reconnecting'].includes(S.state)) startPlaying();
    presenter.onFrame(meta);
  }
  measurer.onFrame(now, meta);
}

// frameWall is when a frame was presented, in Unix ms.
function frameWall(meta) {
  const t = meta && meta.presentationTime;
  return t > 0 ? performance.timeOrigin + t : Date.now();
}

function startPlaying() {
  clearTimeout(stageTimer);
  stageTimer = 0;
  const recovered = reconnecting && (pendingFailover || recoverKind === 'move');
  if (pendingFailover) {
    pendingFailover = false;
    S.failovers++;
  }
  reconnecting = false;
  recoverKind = '';
  S.error = null;
  S.state = 'playing';
  playingSince = performance.now();
  overlay(null);
  updateHints();
  if (recovered && S.edge) toast(`Now playing on ${where()}`);
}

function stallMs() {
  const fps = (titleInfo && titleInfo.fps) || 60;
  return Math.max(STALL_MS, 3000 / fps);
}

// The stall watchdog. A tick that comes late means the page itself was
// not running (a long task, a frozen tab); frames could not be presented
// either, so the wait starts over instead of blaming the edge.
let lastCheck = performance.now();
setInterval(() => {
  const now = performance.now();
  const late = now - lastCheck > STALL_CHECK_MS + 200;
  lastCheck = now;
  if (S.state !== 'playing') return;
  if (late) {
    lastFrameAt = Math.max(lastFrameAt, now);
    return;
  }
  // Hidden pages present no frames; that is not a stall.
  if (!document.hidden && now - lastFrameAt > stallMs()) edgeFailure('The video stopped');
  else if (failures && now - playingSince > STABLE_MS) failures = 0;
}, STALL_CHECK_MS);

// ---- stats ---------------------------------------------------------------

const sampler = new StatsSampler();
let statsBusy = false;
setInterval(async () => {
  const pc = conn && conn.pc;
  if (!pc || pc.connectionState === 'closed' || statsBusy) return;
  statsBusy = true;
  try {
    S.stats = await sampler.sample(pc, S.framesPresented, link.pingMs);
    // An audio track exists whenever the offer has an audio section (and
    // its mute state is not reliable across browsers); there is sound to
    // turn on only once audio packets arrive.
    if (!S.hasAudio && S.stats.audioPackets > 0) {
      S.hasAudio = true;
      updateHints();
    }
    if (!$('stats').hidden) renderStats();
  } catch (err) {
    console.warn('stratus: getStats', err);
  } finally {
    statsBusy = false;
  }
}, STATS_EVERY_MS);

function toggleStats() {
  const el = $('stats');
  el.hidden = !el.hidden;
  if (!el.hidden) renderStats();
}

// edgeStatsText summarises the edge's own report: which encoder, how long
// a frame takes there, and frames it had to skip.
function edgeStatsText(e) {
  if (!e) return '—';
  const f = (v, d = 1) => (Number.isFinite(v) ? v.toFixed(d) : '—');
  return `${e.encoder} · encode ${f(e.encodeMs)} ms · render ${f(e.renderMs)} ms · ${f(e.fps, 0)} fps sent · ${e.skipped} skipped`;
}

// probesText lists the nearest measured edges, up to four.
function probesText() {
  const list = Object.entries(S.rtts).sort((a, b) => a[1] - b[1]);
  if (!list.length) return '—';
  const shown = list.slice(0, 4).map(([edge, ms]) => `${edge}: ${ms < 10 ? ms.toFixed(1) : Math.round(ms)} ms`);
  if (list.length > 4) shown.push(`+${list.length - 4}`);
  return shown.join(' · ');
}

function failoverText() {
  const f = S.lastFailure;
  if (!f) return String(S.failovers);
  const ago = Math.round((Date.now() - f.at) / 1000);
  return `${S.failovers} · last: ${f.edge}, ${f.reason} (${ago} s ago)`;
}

function signalText() {
  let host = S.signal;
  try {
    host = new URL(S.signal).host;
  } catch { /* shown as it is */ }
  const state = sig && sig.open ? '' : ' · reconnecting';
  return `${S.node ? `${S.node} · ` : ''}${host}${state}`;
}

// soundText is the sound meter's reading: the level of the latest window and
// the loudest of the last second, in dBFS (RMS; see audio.js).
function soundText() {
  if (!S.hasAudio) return '—';
  if (meter.state === 'off') return video.muted ? 'muted · click or tap to turn on' : 'not measured';
  if (meter.state !== 'running') return `meter ${meter.state} · click or tap to resume`;
  const db = (v) => (v <= FLOOR_DB ? 'silent' : `${v.toFixed(1)} dBFS`);
  return `${db(meter.level)} · peak ${db(meter.peak)}${video.muted ? ' · muted' : ''}`;
}

function renderStats() {
  const s = S.stats;
  const f = (v, d = 0) => (Number.isFinite(v) ? v.toFixed(d) : '—');
  const rate = s.bitrateKbps >= 1000 ? `${f(s.bitrateKbps / 1000, 2)} Mbit/s` : `${f(s.bitrateKbps)} kbit/s`;
  const rows = [
    ['Resolution', s.width ? `${s.width}×${s.height}` : '—'],
    ['Frame rate', `${f(s.fps)} fps (decoded ${f(s.decodeFps)})`],
    ['Bitrate', rate],
    ['Round trip', `${f(s.rttMs, 1)} ms`],
    ['Input ping', s.pingMs ? `${f(s.pingMs, 1)} ms` : '—'],
    ['Packet loss', `${f(s.lossPct, 2)} %`],
    ['Sound', soundText()],
    ['Decode', `${f(s.decodeMs, 2)} ms/frame`],
    ['Jitter buffer', `${f(s.jitterBufferMs, 1)} ms`],
    ['Frames', `${s.framesDecoded} decoded, ${s.framesDropped} dropped`],
    ['Codec', [sampler.codec.replace('video/', ''), sampler.decoder].filter(Boolean).join(' · ') || '—'],
    ['Edge', S.edge ? where() : '—'],
    ['Probes', probesText()],
    ['Failovers', failoverText()],
    ['Signaling', signalText()],
    ['Encoder', edgeStatsText(link.edgeStats)],
    ['Session', S.session || '—'],
    ['Reconnects', String(S.reconnects)],
    ['Connection', S.pcState],
  ];
  const tbody = $('stats-rows');
  tbody.replaceChildren(...rows.map(([k, v]) => {
    const tr = document.createElement('tr');
    const th = document.createElement('th');
    const td = document.createElement('td');
    th.textContent = k;
    td.textContent = v;
    tr.append(th, td);
    return tr;
  }));
}

// ---- overlay, hints, toasts ------------------------------------------------

// overlay shows the status card, or hides it for null. actions are buttons
// ({label, run}) or links ({label, href}); primary marks the main one.
function overlay(o) {
  const el = $('overlay');
  if (!o) {
    el.hidden = true;
    return;
  }
  el.hidden = false;
  el.classList.toggle('error', !o.spinner && (S.state === 'error' || S.state === 'ended'));
  $('ov-spinner').hidden = !o.spinner;
  $('ov-heading').textContent = o.heading || '';
  $('ov-detail').textContent = o.detail || '';
  const actions = (o.actions || []).map((a) => {
    const b = document.createElement(a.href ? 'a' : 'button');
    b.className = a.primary ? 'btn primary' : 'btn';
    b.textContent = a.label;
    if (a.href) b.href = a.href;
    else b.addEventListener('click', a.run);
    return b;
  });
  $('ov-actions').replaceChildren(...actions);
  if (actions.length) actions[0].focus();
  updateHints();
}

// The keyboard/mouse hint shows for a few seconds whenever the game is
// playing on a desktop without the mouse captured; after that it would only
// cover the game.
let hintWanted = false;
let hintTimer = 0;

function updateHints() {
  const playing = S.state === 'playing';
  const want = playing && !touch && document.pointerLockElement !== stage;
  if (want !== hintWanted) {
    hintWanted = want;
    $('hint').classList.toggle('show', want);
    clearTimeout(hintTimer);
    if (want) hintTimer = setTimeout(() => $('hint').classList.remove('show'), 6000);
  }
  $('sound').classList.toggle('show', playing && S.hasAudio && video.muted);
}

let toastTimer = 0;
function toast(text) {
  const el = $('toast');
  el.textContent = text;
  el.classList.add('show');
  clearTimeout(toastTimer);
  toastTimer = setTimeout(() => el.classList.remove('show'), 3000);
}

function padToast(gp, connected) {
  toast(connected ? `Gamepad connected: ${gp.id.replace(/\s*\(.*$/, '') || 'controller'}` : 'Gamepad disconnected');
}

// ---- page lifecycle ------------------------------------------------------------

$('hint-key').textContent = STATS_KEY_LABEL;

window.addEventListener('pagehide', () => {
  leaving = true;
  teardown(true);
  closeSignal();
});
window.addEventListener('pageshow', (e) => {
  // Restored from the back/forward cache: the old connection is gone.
  if (!e.persisted) return;
  leaving = false;
  playAgain();
});

if (!titleId) {
  S.state = 'error';
  S.error = { code: 'no_title', message: 'No game chosen' };
  overlay({ heading: 'No game chosen', detail: 'Pick one from the catalog.', actions: [{ label: 'Back to the catalog', href: '/', primary: true }] });
} else {
  document.title = `${titleId} — Stratus`;
  connect();
}
