/*
 * play.js — the play page (/play?title=<id>): starts the title at once,
 * shows its video, sends the player's input, and keeps the session alive
 * across network trouble.
 *
 * State machine (window.stratus.state):
 *
 *   connecting ─► routing ─► starting ─(first video frame)─► playing
 *    WS + offer    status     status "starting",                │
 *                  "routing"  then "joined"                     │
 *                                                               │ PC disconnected/failed,
 *   reconnecting ◄──────────────────────────────────────────────┘ no frame for ~700 ms,
 *    tear down, wait (250 ms, 500 ms, 1 s, 2 s, 4 s, 5 s …),       WS closed, or a stage
 *    then a new Connection through the same stages; the state      timed out
 *    stays "reconnecting" until video plays again.
 *
 *   error   edge_full: "All edges are busy", retried with the same backoff.
 *           unknown_title, bad_message, too_large, no_edge, internal: the
 *           message, with "Try again" and a way back to the catalog. Final.
 *   ended   the server ended the session: its reason and "Play again". Final.
 *
 * The backoff resets after 10 s of uninterrupted play.
 *
 * Every (re)connect is a fresh Connection (session.js): its own WebSocket and
 * RTCPeerConnection. Reusing the socket would save one round trip but would
 * tie a retry to whatever state the server kept for the failed attempt.
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
 *   readPattern()   → {renderMs, inputs} of the frame on screen, or null;
 *   startMeasure()  → starts recording latency per presented frame;
 *   stopMeasure()   → {g2g: [ms], inputToDisplay: [ms], presented, skipped,
 *                      gaps, repeated, invalid, intervalMs};
 *   sendKeyProbe()  → Promise of the probe's input-to-display ms (or null).
 * See pattern.js and measure.js for what is measured and how.
 */

import { Connection } from './session.js';
import { InputLink } from './link.js';
import { Keyboard, STATS_KEY_LABEL } from './keyboard.js';
import { Mouse } from './mouse.js';
import { Gamepads } from './gamepad.js';
import { TouchControls, TouchPointer, hasTouch } from './touch.js';
import { StatsSampler, emptyStats, STATS_EVERY_MS } from './stats.js';
import { readPattern } from './pattern.js';
import { Measurer } from './measure.js';

const BACKOFF_MS = [250, 500, 1000, 2000, 4000, 5000];
const STALL_MS = 700; // no presented frame for this long while playing: reconnect
const STABLE_MS = 10000; // playing this long resets the backoff
const JOIN_TIMEOUT_MS = 15000; // start of an attempt → "joined"
const FIRST_FRAME_TIMEOUT_MS = 10000; // "joined" → first presented frame

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
  framesPresented: 0,
  pcState: 'new',
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
let resumeToken = '';
let activated = false;
let leaving = false;

// ---- input -------------------------------------------------------------

const inGame = () => ['connecting', 'routing', 'starting', 'playing', 'reconnecting'].includes(S.state);

const link = new InputLink();
// The edge's latest report of its side (see link.js), for tests and tools.
Object.defineProperty(S, 'edgeStats', { get: () => link.edgeStats || null, enumerable: true });
S.input = link.sent;
const keyboard = new Keyboard(link, { isActive: inGame, onStatsKey: toggleStats });
const mouse = new Mouse(link, stage, video, { isActive: inGame, onActivate: mouseActivate });
const gamepads = new Gamepads(link, { isActive: inGame, onConnect: padToast });
const touchPointer = new TouchPointer(link, stage, video, { isActive: inGame });
const measurer = new Measurer(video, { fps: () => (titleInfo && titleInfo.fps) || 0, probe: () => keyboard.probe() });

if (touch) {
  document.body.classList.add('touch');
  new TouchControls($('pad'), gamepads);
}

function releaseAll() {
  keyboard.releaseAll();
  mouse.releaseAll();
  touchPointer.releaseAll();
  gamepads.releaseAll();
}

// The first click or tap anywhere unmutes (browsers only autoplay muted) and,
// on a phone, goes fullscreen in landscape. It runs in the capture phase, so
// before the stage's own handlers.
document.addEventListener('pointerdown', (e) => {
  if (activated) return;
  activated = true;
  video.muted = false;
  video.play().catch(() => {});
  updateHints();
  if (e.pointerType !== 'mouse') enterFullscreen();
}, true);

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

// ---- connection ----------------------------------------------------------

function connect() {
  clearTimeout(retryTimer);
  retryTimer = 0;
  if (conn) conn.close();
  const c = new Connection({ title: titleId, resume: resumeToken, wantTitles: !titleInfo }, {
    message: (m) => c === conn && onMessage(m),
    wsClose: () => c === conn && reconnect(c.sig && c.joinSent ? 'Lost the connection to Stratus' : 'Cannot reach Stratus'),
    pcState: (s) => c === conn && onPcState(s),
    track: (e) => c === conn && onTrack(e),
  });
  conn = c;
  S.edge = S.region = S.session = '';
  phase('connecting', 'Connecting to Stratus…');
  c.start();
  S.pc = c.pc || null;
  if (c.input) link.attach(c.input, c.motion);
  sampler.reset();
  deadline(JOIN_TIMEOUT_MS, 'The service did not answer in time');
}

function deadline(ms, reason) {
  clearTimeout(stageTimer);
  stageTimer = setTimeout(() => reconnect(reason), ms);
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

function onMessage(m) {
  switch (m.type) {
    case 'titles':
      titleInfo = (Array.isArray(m.titles) && m.titles.find((t) => t.id === titleId)) || null;
      if (titleInfo) {
        S.name = titleInfo.name || titleId;
        document.title = `${S.name} — Stratus`;
        // The on-screen pad only makes sense for titles that read a pad.
        if (touch && Array.isArray(titleInfo.inputs) && !titleInfo.inputs.includes('gamepad')) $('pad').hidden = true;
        if (S.state === 'starting') phase('starting', startingText());
      }
      return;
    case 'status':
      if (S.state === 'playing') return; // stages describe start-up only
      if (m.stage === 'routing') phase('routing', 'Finding the nearest edge…', m.message);
      else if (m.stage === 'starting') phase('starting', startingText(), m.message);
      else if (m.message) overlay({ heading: headingFor(S.state), detail: m.message, spinner: true });
      return;
    case 'joined':
      S.edge = m.edge || '';
      S.region = m.region || '';
      S.session = m.session || '';
      if (m.resume) resumeToken = m.resume;
      phase('starting', startingText());
      deadline(FIRST_FRAME_TIMEOUT_MS, 'No video arrived from the edge');
      return;
    case 'error':
      onError(m.code || 'internal', m.message || '');
      return;
    case 'ended':
      teardown(false);
      S.reason = m.reason || '';
      S.state = 'ended';
      overlay({
        heading: 'Session ended',
        detail: m.reason || 'The game session has ended.',
        actions: [{ label: 'Play again', primary: true, run: playAgain }, { label: 'All games', href: '/' }],
      });
  }
}

function startingText() {
  return `Starting ${S.name}${S.edge ? ` on ${S.edge}` : ''}…`;
}

function headingFor(state) {
  return {
    connecting: 'Connecting to Stratus…',
    routing: 'Finding the nearest edge…',
    starting: startingText(),
    reconnecting: 'Reconnecting…',
  }[state] || '';
}

// phase moves through the connecting stages. During a reconnect the state
// stays "reconnecting" and the stage shows as the detail line.
function phase(state, heading, detail = '') {
  if (reconnecting) {
    S.state = 'reconnecting';
    overlay({ heading: 'Reconnecting…', detail: heading, spinner: true });
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
  teardown(true);
  S.error = { code, message };
  S.state = 'error';
  if (code === 'edge_full') {
    const delay = BACKOFF_MS[Math.min(failures++, BACKOFF_MS.length - 1)];
    overlay({ heading: 'All edges are busy — try again shortly', detail: `Retrying in ${(delay / 1000).toFixed(1)} s…`, spinner: true });
    retryTimer = setTimeout(connect, delay);
    return;
  }
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
  S.error = null;
  connect();
}

function onPcState(s) {
  S.pcState = s;
  if (s === 'failed' || s === 'disconnected') reconnect(`Connection ${s}`);
}

// reconnect tears the current attempt down and schedules a new one.
function reconnect(reason) {
  if (leaving || S.state === 'error' || S.state === 'ended' || retryTimer) return;
  teardown(true);
  S.reconnects++;
  S.reason = reason;
  reconnecting = true;
  const delay = BACKOFF_MS[Math.min(failures++, BACKOFF_MS.length - 1)];
  S.state = 'reconnecting';
  overlay({ heading: 'Reconnecting…', detail: reason, spinner: true });
  console.info(`stratus: reconnecting in ${delay} ms: ${reason}`);
  retryTimer = setTimeout(connect, delay);
}

function onTrack(e) {
  if (video.srcObject !== conn.stream) video.srcObject = conn.stream;
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
  if (conn && conn.joined && ['connecting', 'routing', 'starting', 'reconnecting'].includes(S.state)) startPlaying();
  measurer.onFrame(now, meta);
}

function startPlaying() {
  clearTimeout(stageTimer);
  stageTimer = 0;
  reconnecting = false;
  S.error = null;
  S.state = 'playing';
  playingSince = performance.now();
  overlay(null);
  updateHints();
}

function stallMs() {
  const fps = (titleInfo && titleInfo.fps) || 60;
  return Math.max(STALL_MS, 3000 / fps);
}

setInterval(() => {
  if (S.state !== 'playing') return;
  const now = performance.now();
  // Hidden pages present no frames; that is not a stall.
  if (!document.hidden && now - lastFrameAt > stallMs()) reconnect('The video stopped');
  else if (failures && now - playingSince > STABLE_MS) failures = 0;
}, 100);

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
    ['Decode', `${f(s.decodeMs, 2)} ms/frame`],
    ['Jitter buffer', `${f(s.jitterBufferMs, 1)} ms`],
    ['Frames', `${s.framesDecoded} decoded, ${s.framesDropped} dropped`],
    ['Codec', [sampler.codec.replace('video/', ''), sampler.decoder].filter(Boolean).join(' · ') || '—'],
    ['Edge', S.edge ? `${S.edge}${S.region ? ` (${S.region})` : ''}` : '—'],
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
