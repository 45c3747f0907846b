/*
 * play.js — the play page (/play?title=<id>): starts the title at once,
 * shows its video, sends the player's input, and keeps the session alive
 * across network trouble, a dying edge and a lost signaling node.
 *
 * The page's states, the events between them and the kinds of reconnect
 * are machine.js's; this module turns what happens (socket and connection
 * events, timers, frames) into those events and acts on the result. The
 * status card's words are status.js's, the codes of failures codes.js's,
 * when to try again and which edges to avoid policy.js's.
 *
 * Joining. The signaling socket greets with {"type":"hello"}: the other
 * signaling nodes and a few edges to measure. The page waits HELLO_WAIT_MS
 * (signal.js) for it, as older nodes send none, measures the edges
 * (probe.js: at most PROBE_BUDGET_MS; results stay fresh PROBE_FRESH_MS)
 * and joins with rtt, exclude (edges failed on recently) and resume (the
 * latest snapshot token the edge sent on the input channel).
 *
 * Edge failure (the page is on an edge and its video stops for STALL_MS, or
 * the PeerConnection goes disconnected/failed): the edge is excluded and,
 * if the game was playing, the rejoin starts at once: on the same signaling
 * socket when it is open and has no unanswered join (a fresh socket
 * otherwise), with the latest probe results (refreshed in the background)
 * and the resume token. Attempts after that back off (policy.js). A "move"
 * from a draining edge rejoins the same way. edge_full and no_edge while
 * edges are excluded ask again at once without the exclusions; internal and
 * no_edge while reconnecting are retried (the cluster is in flux).
 *
 * A full region. When every edge offering the game is full, the signaling
 * node keeps the join waiting in line and says the player's place
 * ({"type":"queued"}, again at each move). The page shows it and waits:
 * no deadline and no retry while in line, since the node goes on with the
 * join by itself (status "starting", then "joined") or ends the wait with
 * an error (queue_timeout, shown for good). Only a lost socket moves the
 * page, to another node, where the join waits anew.
 *
 * Warm standby (standby.js). Once the game plays, the page asks the same
 * socket for a standby on the next-best edge (a join marked standby,
 * excluding the serving edge), connects it, and forwards it each new
 * resume token. When the serving edge dies (onDead, a failed connection)
 * and the standby is connected and beating, the page activates it instead
 * of rejoining: video and input switch to the standby's connection, the
 * node is told ("activate") once the standby edge confirms, and a new
 * standby is asked for once video plays. A standby that is not ready,
 * refuses, or does not answer within STANDBY_WAIT_MS falls back to the
 * rejoin above. A standby lost or refused is asked for again after
 * STANDBY_RETRY_MS; a lost signaling socket takes its standby with it (the
 * next join's socket has one again once the game plays).
 *
 * Signaling loss. The socket moves between signaling nodes (siglink.js).
 * Lost while the game plays, it does not stop the game (media flows from
 * the edge directly): the page finds another node in the background,
 * toasting "Reconnecting to Stratus…". Lost during set-up, the attempt
 * starts over on the next node.
 *
 * Input capture (capture.js) lives for the page; it sends through one
 * InputLink (link.js) that each new Connection's data channels are attached
 * to.
 *
 * window.stratus, the page's face for tests and benchmarks, is hooks.js's.
 */

import { Connection } from './session.js';
import { SignalLink } from './siglink.js';
import { Prober, validProbes } from './probe.js';
import { InputLink } from './link.js';
import { STATS_KEY_LABEL } from './keyboard.js';
import { StatsSampler, STATS_EVERY_MS, videoPacketAge } from './stats.js';
import { PresentReporter } from './present.js';
import { Measurer } from './measure.js';
import { SoundMeter } from './audio.js';
import { Capture } from './capture.js';
import { Frames, frameWall } from './frames.js';
import { INITIAL, next, can, inGame as inGameState, waiting as waitingState, label } from './machine.js';
import { CODES, NO_TITLE, NO_MEDIA, words } from './codes.js';
import { QUEUED, place } from './queue.js';
import { CONTROL, tokenOf, moveReason } from './control.js';
import { Recovery, stallMs, deadMs, silence } from './policy.js';
import { Standby } from './standby.js';
import * as status from './status.js';
import { overlay, hints, toast } from './view.js';
import { StatsPanel } from './statsview.js';
import { hooks } from './hooks.js';

const JOIN_TIMEOUT_MS = 15000; // start of an attempt → "joined"
const FIRST_FRAME_TIMEOUT_MS = 10000; // "joined" → first presented frame
const HISTORY_MAX = 100; // entries kept in window.stratus.edgeHistory
const STANDBY_AFTER_MS = 300; // playing → the standby's join, clear of the start's work
const STANDBY_RETRY_MS = 5000; // a standby lost or refused → the next one
const STANDBY_WAIT_MS = 500; // activation → the standby edge's answer (tens of ms when alive)

const $ = (id) => document.getElementById(id);
const video = $('video');
const stage = $('stage');
const titleId = new URLSearchParams(location.search).get('title') || '';
// transport=relay forces media through the region's TURN servers, and
// transport=relay-tcp through them over TCP or TLS only, as a network that
// blocks UDP would: diagnostics, and the tests of the relay path.
const iceTransport = { relay: 'relay', 'relay-tcp': 'relay-tcp' }[new URLSearchParams(location.search).get('transport')] || 'all';

let st = INITIAL; // the page's state (machine.js)
let titleInfo = null; // catalog entry, once the titles message arrives
let conn = null;
let retryTimer = 0;
let stageTimer = 0; // deadline of the current stage
let leaving = false;
let sigLostWhilePlaying = false;
let probes = []; // the latest greeting's edges to measure
let standby = null; // the warm standby (standby.js), while held
let standbyTimer = 0; // the next standby's join
const tokens = {}; // title → latest resume token
const recovery = new Recovery();

const prober = new Prober({
  storage: (() => {
    try {
      return window.localStorage;
    } catch {
      return null; // storage blocked by the browser's settings
    }
  })(),
  onResult: (r) => {
    S.rtts = r;
    stats.refresh();
  },
});
const meter = new SoundMeter(); // started by the first click or tap
const link = new InputLink();
// The FEC packets Chromium used are those it received and did not discard.
const presenter = new PresentReporter(link, () => Math.max(0, S.stats.fecPackets - S.stats.fecDiscarded));
document.addEventListener('visibilitychange', () => document.hidden && presenter.pause());
const frames = new Frames(video, onFrame);
const measurer = new Measurer(video, { fps: () => (titleInfo && titleInfo.fps) || 0, probe: () => capture.keyboard.probe() });
const signaling = new SignalLink({
  open: onSignalOpen,
  message: onSignalMessage,
  close: onSignalClose,
  mayReopen: () => !leaving && waitingState(st) && !retryTimer,
});
const S = hooks(titleId, {
  video, frames, meter, link, signaling, measurer,
  state: () => label(st),
  token: () => tokens[titleId],
});
S.transport = iceTransport;
if (prober.carried) S.rtts = { ...prober.rtts }; // an earlier page's, until measured here

// go moves the state machine; an event it does not allow here is a bug in
// this module, logged and ignored.
function go(type, args = {}) {
  const n = next(st, { ...args, type });
  if (!n) {
    console.warn(`stratus: no "${type}" in state ${st.state}`);
    return;
  }
  st = n;
}

// show draws a status card (null hides it).
function show(card) {
  overlay(card, S.state === 'error' || S.state === 'ended');
  updateHints();
}

// ---- input -------------------------------------------------------------

const inGame = () => inGameState(st);

const capture = new Capture({
  link,
  stage,
  video,
  pad: $('pad'),
  isActive: inGame,
  onStatsKey: () => stats.toggle(),
  toast,
  onGesture: (first) => {
    if (first) {
      video.muted = false;
      video.play().catch(() => {});
    }
    meter.start(); // resumes the meter if the browser suspended it since
    if (first) updateHints();
  },
  onLockChange: () => updateHints(),
});
function showTouch() {
  const layout = capture.showTouch(titleInfo);
  if (layout) S.touchLayout = layout;
}
showTouch();

$('btn-fullscreen').addEventListener('click', () => capture.fullscreen());

// ---- signaling ------------------------------------------------------------

function onSignalOpen(s) {
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
  switch (m.type) {
    case 'hello':
      onHello(m);
      return;
    case 'titles':
      s.titlesPending = false;
      onTitles(m);
      return;
    case 'activated':
      return; // the node's note of a standby activation the page made
    case 'error':
      if (!m.standby && s.titlesPending) {
        // The titles request failed; the page plays without the entry.
        s.titlesPending = false;
        console.warn('stratus: titles:', m.code, m.message);
        return;
      }
      break;
  }
  if (m.standby) {
    if (standby && standby.conn.sig === s) standby.conn.onMessage(m);
    return;
  }
  if (conn && conn.sig === s) conn.onMessage(m);
}

function onHello(m) {
  S.node = typeof m.node === 'string' ? m.node : '';
  signaling.pool.learn(m.signals);
  const list = validProbes(m.probes);
  if (list.length) probes = list;
  // Start measuring now; a join waiting for the greeting joins this run.
  if (probes.length && !prober.fresh()) prober.measure(probes);
}

function onSignalClose(s, rounds) {
  // The node ends a standby with its socket.
  if (standby && standby.conn.sig === s) dropStandby('signaling lost', { tell: false });
  if (leaving || !waitingState(st)) return; // nothing needs signaling now
  if (conn && conn.sig === s) {
    if (conn.joined && st.state === 'playing') {
      // The video and input flow between the page and the edge, not
      // through signaling: keep playing, find another node meanwhile.
      sigLostWhilePlaying = true;
      toast('Reconnecting to Stratus…');
      signaling.reopen(rounds);
      return;
    }
    reconnect(s.opened ? 'Lost the connection to Stratus' : 'Cannot reach Stratus', { kind: 'signal', immediate: rounds === 0 });
    return;
  }
  if (!retryTimer) signaling.reopen(rounds);
}

// ---- connection ----------------------------------------------------------

function connect() {
  clearTimeout(retryTimer);
  retryTimer = 0;
  if (conn) conn.close(false);
  conn = null;
  // A join ends the socket's standby on the node too.
  dropStandby('rejoining', { tell: false });
  const s = signaling.forJoin();
  const c = new Connection({ title: titleId, iceTransport }, {
    message: (m) => c === conn && onMessage(m),
    pcState: (state) => c === conn && onPcState(state),
    track: (e) => c === conn && onTrack(e),
  });
  conn = c;
  S.edge = S.region = S.session = '';
  go('attempt');
  show(status.stageCard(st, status.CONNECTING));
  c.start(s);
  S.pc = c.pc || null;
  if (c.input) link.attach(c.input, c.motion);
  sampler.reset();
  presenter.reset();
  deadline(JOIN_TIMEOUT_MS, 'The service did not answer in time');
  prepareJoin(c, s);
}

// prepareJoin waits for the node's greeting (or HELLO_WAIT_MS without one)
// and for round-trip results, then hands the Connection what to join with.
// A first join measures (at most PROBE_BUDGET_MS) unless results are
// fresh or an earlier page kept some; a rejoin never waits when it has any
// results: it sends them and refreshes them in the background.
async function prepareJoin(c, s) {
  await s.waitHello();
  if (c !== conn) return;
  const rejoin = st.state === 'reconnecting';
  // A rejoin, and a first join with an earlier page's results, go at once.
  const known = rejoin || prober.carried;
  if (prober.fresh() || (known && prober.measured())) {
    if (known && probes.length) prober.refresh(probes);
  } else if (probes.length) {
    if (!rejoin) show(status.stageCard(st, status.CONNECTING, status.MEASURING));
    await prober.measure(probes);
    if (c !== conn) return;
  }
  c.join({ rtt: prober.forJoin(), exclude: recovery.exclude(Date.now()), resume: tokens[titleId] || '' });
}

// deadline bounds the current stage; edge says a miss is the edge's fault.
function deadline(ms, reason, edge = false) {
  clearTimeout(stageTimer);
  stageTimer = setTimeout(() => (edge ? edgeFailure(reason) : reconnect(reason)), ms);
}

function teardown(leave) {
  S.queue = null;
  clearTimeout(stageTimer);
  clearTimeout(retryTimer);
  stageTimer = retryTimer = 0;
  capture.releaseAll();
  // A leave ends the standby on the node; a rejoin (connect) does too.
  dropStandby('teardown', { tell: false });
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
    if (st.state === 'starting') show(status.stageCard(st, startingText()));
  }
  showTouch();
}

const where = () => status.where(S.edge, S.region);
const startingText = () => status.startingText(S.name, S.edge);

// onMessage takes the signaling node's messages about the current attempt.
function onMessage(m) {
  switch (m.type) {
    case 'status':
      if (st.state === 'playing') return; // stages describe start-up only
      if (m.stage === 'routing') {
        go('route');
        show(status.stageCard(st, status.ROUTING, m.message));
      } else if (m.stage === 'starting') {
        if (st.state === 'queued') {
          // Out of the line: the join is under way again, and bounded.
          S.queue = null;
          deadline(JOIN_TIMEOUT_MS, 'The service did not answer in time');
        }
        go('start');
        show(status.stageCard(st, startingText(), m.message));
      } else if (m.message) {
        show({ heading: status.stageHeading(st, startingText()), detail: m.message, spinner: true });
      }
      return;
    case QUEUED:
      onQueued(m);
      return;
    case 'joined':
      onJoined(m);
      return;
    case 'error':
      onError(m.code || CODES.INTERNAL, m.message || '');
  }
}

// onQueued: every edge for the game is full and the node keeps the join in
// line. The page waits as long as the node keeps it there: no deadline of
// its own (the node's wait is bounded, and a lost socket still tells), no
// retry, so a full region costs no reconnect loop.
function onQueued(m) {
  const at = place(m);
  if (!at || !can(st, 'queue')) return;
  clearTimeout(stageTimer);
  stageTimer = 0;
  S.queue = at;
  go('queue');
  show(status.queuedCard(S.name || titleId, at.position, at.ahead));
}

function onJoined(m) {
  S.queue = null;
  S.edge = m.edge || '';
  S.region = m.region || '';
  S.session = m.session || '';
  recovery.joined();
  // The join's own send time, for a join time comparable with a non-browser
  // player's (join sent → first frame), without the page load and RTT probes.
  const sentAt = conn && conn.joinSentAt ? performance.timeOrigin + conn.joinSentAt : null;
  const h = { edge: S.edge, region: S.region, session: S.session, joinSentAt: sentAt, joinedAt: Date.now(), firstFrameAt: null };
  conn.history = h;
  S.edgeHistory.push(h);
  if (S.edgeHistory.length > HISTORY_MAX) S.edgeHistory.splice(0, S.edgeHistory.length - HISTORY_MAX);
  go('joined', { on: S.edge ? where() : '' });
  show(status.stageCard(st, st.state === 'reconnecting' ? `Starting ${S.name}…` : startingText()));
  deadline(FIRST_FRAME_TIMEOUT_MS, 'No video arrived from the edge', true);
  // The first titles answer can lack the title: one a studio added moments
  // ago that the edges had not loaded yet. The edge now running it has it,
  // so ask once more; the entry carries the name and the touch profile the
  // on-screen controls follow.
  const s = signaling.sig;
  if (!titleInfo && s && !s.titlesPending) s.titlesPending = s.send({ type: 'titles' });
}

function onError(code, message) {
  if (code === CODES.NOT_JOINED) {
    // A candidate raced the end of a session; nothing to show.
    console.warn('stratus: not_joined:', message);
    return;
  }
  const excluded = !!(conn && conn.info && conn.info.exclude && conn.info.exclude.length);
  teardown(true);
  const refused = code === CODES.EDGE_FULL || code === CODES.NO_EDGE;
  if (excluded && refused) {
    // Refused with edges excluded: maybe only those could take the player
    // (a small cluster after a blip, a drain). The exclusions are a
    // preference: ask again at once without them.
    recovery.relax();
    console.info(`stratus: ${code} with edges excluded; asking again without exclusions`);
    retryTimer = setTimeout(connect, 0);
    return;
  }
  if (code === CODES.EDGE_FULL) {
    S.error = { code, message };
    go('busy');
    const delay = recovery.delay();
    show(status.busyCard(delay));
    retryTimer = setTimeout(connect, delay);
    return;
  }
  if (st.state === 'reconnecting' && (code === CODES.INTERNAL || code === CODES.NO_EDGE || code === CODES.RATE_LIMITED)) {
    // While the page moves between edges the cluster is in flux (an edge
    // just died, gossip lags, or a signaling node still counts the
    // player's session from a socket it has not yet seen die): keep
    // trying instead of giving up.
    go('retry');
    S.reason = words(code, message);
    const delay = recovery.delay();
    show(status.retryCard(st, S.reason, delay));
    retryTimer = setTimeout(connect, delay);
    return;
  }
  signaling.close();
  S.error = { code, message };
  go('fail');
  show(status.errorCard(code, message, titleId, playAgain));
}

function playAgain() {
  recovery.reset();
  go('again');
  S.error = null;
  connect();
}

// onEnded: the game itself ended (it exited, or a limit was reached): say
// why rather than take the closing connection for a failed edge.
function onEnded(reason) {
  teardown(false);
  signaling.close();
  delete tokens[titleId]; // "Play again" is a new game
  S.reason = reason || '';
  go('end');
  show(status.endedCard(reason, playAgain));
}

function onPcState(state) {
  S.pcState = state;
  if (state === 'connected') recovery.mediaUp();
  if (state === 'failed' || state === 'disconnected') edgeFailure(`Connection ${state}`);
}

// edgeFailure handles the loss of the edge the page is on: it is excluded
// for a while, and if the game was playing the rejoin starts at once.
// Before the page is on an edge this is an ordinary reconnect.
function edgeFailure(reason) {
  if (leaving || !can(st, 'reconnect') || retryTimer) return;
  if (!conn || !conn.joined || !S.edge) {
    reconnect(reason);
    return;
  }
  if (!conn.mediaUp) {
    if (recovery.mediaFailed()) {
      unreachable(conn.relays);
      return;
    }
    // No media path formed: most often the player's network (a
    // firewall), not the edge, so the edge is not excluded (with one
    // edge in reach, excluding it would leave the rejoin waiting in line
    // for nothing). Nothing to resume either: leave, so the session frees
    // its place on the edge now.
    conn.close(true);
    reconnect(reason, { kind: 'edge' });
    return;
  }
  const at = Date.now();
  S.lastFailure = { edge: S.edge, region: S.region, session: S.session, at, reason };
  recovery.edgeFailed(S.edge, at);
  console.warn(`stratus: edge ${S.edge} failed: ${reason}`);
  if (st.state === 'playing' && useStandby(reason)) return;
  reconnect(reason, { kind: 'edge', immediate: st.state === 'playing' });
}

// unreachable gives up: joins were answered, but no media path formed in
// time, again and again (policy.js). Trying on would spin forever on a
// network that blocks UDP; the player is told why instead. relays is how
// many TURN servers the last join offered.
function unreachable(relays) {
  teardown(true);
  signaling.close();
  const message = relays
    ? 'The game could not reach this device, not even through the relay: this network seems to block it.'
    : 'The game could not reach this device: this network seems to block UDP, and the service offers no relay (TURN) around it.';
  console.warn(`stratus: giving up: ${message}`);
  S.error = { code: NO_MEDIA, message };
  go('fail');
  show(status.errorCard(NO_MEDIA, message, titleId, playAgain));
}

// reconnect tears the current attempt down and starts a new one: at once
// when immediate, else after the backoff.
function reconnect(reason, { kind = 'network', immediate = false } = {}) {
  if (leaving || !can(st, 'reconnect') || retryTimer) return;
  teardown(false);
  S.reconnects++;
  S.reason = reason;
  go('reconnect', { kind });
  const delay = immediate ? 0 : recovery.delay();
  show(status.reconnectCard(st, reason));
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
    show(status.readyCard(S.name, () => video.play().catch(() => {})));
  });
  frames.arm();
  updateHints();
}

// onControl takes the edge's control messages on the input channel.
link.onControl = (m) => {
  if (m.type === CONTROL.SNAPSHOT) {
    if (tokenOf(m)) tokens[titleId] = tokenOf(m);
    if (standby) standby.forward(tokens[titleId]);
  } else if (m.type === CONTROL.ACTIVATED) {
    onActivated(m);
  } else if (m.type === CONTROL.REFUSED) {
    onStandbyFailed(`The standby edge refused: ${m.reason || 'no reason given'}`);
  } else if (m.type === CONTROL.MOVE) {
    onMove(m);
  } else if (m.type === CONTROL.ENDED) {
    onEnded(m.reason);
  }
};

// onMove follows an edge's request to leave it (it is going out of
// service): rejoin at once elsewhere, resuming from its latest state.
function onMove(m) {
  if (tokenOf(m)) tokens[titleId] = tokenOf(m);
  if (leaving || !conn || !conn.joined || !S.edge || retryTimer) return;
  const reason = moveReason(m);
  recovery.edgeFailed(S.edge, Date.now());
  S.moves++;
  console.info(`stratus: edge ${S.edge} asks to move: ${reason}`);
  toast(`Moving you to another edge (${reason})…`);
  reconnect(reason, { kind: 'move', immediate: true });
}

// ---- standby -------------------------------------------------------------

// scheduleStandby asks for a standby after ms, unless one is held or asked.
function scheduleStandby(ms) {
  if (standby || standbyTimer || leaving) return;
  standbyTimer = setTimeout(askStandby, ms);
}

// askStandby joins a standby on the playing session's socket.
function askStandby() {
  standbyTimer = 0;
  if (standby || leaving || st.state !== 'playing' || !conn || !conn.joined || !S.edge) return;
  const s = conn.sig;
  if (!s || !s.open) return;
  const c = new Connection({ title: titleId, iceTransport, standby: true }, {
    message: (m) => (c === conn ? onMessage(m) : standby && standby.conn === c && onStandbyMessage(m)),
    pcState: (state) => {
      if (c === conn) onPcState(state);
      else if (standby && standby.conn === c && (state === 'failed' || state === 'closed')) dropStandby(`connection ${state}`, { retry: true });
    },
    track: (e) => c === conn && onTrack(e),
  });
  c.start(s);
  const sb = new Standby(c, () => standby === sb && dropStandby('its edge closed it', { retry: true }));
  standby = sb;
  c.join({ rtt: prober.forJoin(), exclude: [S.edge, ...recovery.exclude(Date.now())] });
}

// onStandbyMessage takes the node's answers about the standby.
function onStandbyMessage(m) {
  if (m.type === 'joined') {
    standby.joined(m);
    S.standby = { edge: standby.edge, region: standby.region, session: standby.session };
    standby.forward(tokens[titleId]);
  } else if (m.type === 'error') {
    console.info(`stratus: no standby: ${m.code}: ${m.message}`);
    // not_joined: this socket's node does not know the session (the page
    // moved to it while playing); asking again would not change that.
    dropStandby(m.code, { retry: m.code !== CODES.NOT_JOINED, tell: false });
  }
}

// dropStandby closes the standby; tell asks the node to end it on its
// edge (a socket closed or a join replaces it there anyway), retry asks
// for another later.
function dropStandby(why, { tell = true, retry = false } = {}) {
  clearTimeout(standbyTimer);
  standbyTimer = 0;
  if (!standby) return;
  const sb = standby;
  standby = null;
  S.standby = null;
  if (tell && sb.conn.sig && sb.conn.sig.open) sb.conn.sig.send({ type: 'leave', standby: true });
  sb.close();
  console.info(`stratus: standby dropped: ${why}`);
  if (retry) scheduleStandby(STANDBY_RETRY_MS);
}

// useStandby moves the game to the standby, if it is ready: the page
// switches video and input to the standby's connection and asks its edge
// to take over; false leaves the failure to the rejoin.
function useStandby(reason) {
  const sb = standby;
  if (!sb) return false;
  if (!sb.ready(performance.now())) {
    dropStandby('not ready when the serving edge failed');
    return false;
  }
  standby = null;
  S.standby = null;
  clearTimeout(standbyTimer);
  clearTimeout(stageTimer);
  standbyTimer = stageTimer = 0;
  S.reconnects++;
  S.reason = reason;
  go('reconnect', { kind: 'edge' });
  show(status.reconnectCard(st, reason));
  capture.releaseAll();
  const old = conn;
  conn = sb.conn;
  old.close(false);
  // From now on its candidates are the session's.
  conn.standby = false;
  link.attach(conn.input, conn.motion);
  S.pc = conn.pc;
  sampler.reset();
  presenter.reset();
  go('attempt');
  S.edge = sb.edge;
  S.region = sb.region;
  S.session = sb.session;
  const now = Date.now();
  const h = { edge: S.edge, region: S.region, session: S.session, joinSentAt: now, joinedAt: now, firstFrameAt: null, standby: true };
  conn.history = h;
  S.edgeHistory.push(h);
  if (S.edgeHistory.length > HISTORY_MAX) S.edgeHistory.splice(0, S.edgeHistory.length - HISTORY_MAX);
  go('joined', { on: where() });
  // The standby's tracks arrived while it stood by: play them now.
  video.srcObject = conn.stream;
  for (const t of conn.stream.getAudioTracks()) meter.attach(t);
  video.play().catch(() => {});
  frames.arm();
  if (!sb.activate(tokens[titleId])) {
    onStandbyFailed('The standby could not be reached');
    return true;
  }
  console.info(`stratus: edge failed; the standby on ${S.edge} takes over`);
  stageTimer = setTimeout(() => onStandbyFailed('The standby edge did not answer'), STANDBY_WAIT_MS);
  return true;
}

// onActivated: the standby edge runs the game; the node is told, so that
// it ends the dead session and counts the player on the new edge.
function onActivated(m) {
  if (!conn || !conn.history || !conn.history.standby || conn.activated) return;
  conn.activated = true;
  S.standbyActivations++;
  recovery.joined();
  if (conn.sig && conn.sig.open) conn.sig.send({ type: 'activate', session: S.session });
  console.info(`stratus: standby on ${S.edge} activated${m.resumed ? ', resumed' : ''}`);
  deadline(FIRST_FRAME_TIMEOUT_MS, 'No video arrived from the edge', true);
}

// onStandbyFailed falls back to the rejoin when the standby did not take
// over: the failed edge stays excluded, and so is the standby's.
function onStandbyFailed(reason) {
  if (!conn || !conn.history || !conn.history.standby || conn.activated) return;
  console.warn(`stratus: standby failed: ${reason}`);
  clearTimeout(stageTimer);
  stageTimer = 0;
  recovery.edgeFailed(S.edge, Date.now());
  reconnect(reason, { kind: 'edge', immediate: true });
}

// ---- frames ------------------------------------------------------------

function onFrame(now, meta) {
  // A frame of the current session (not a late one of the stream before).
  if (conn && conn.joined && video.srcObject === conn.stream) {
    if (conn.history && !conn.history.firstFrameAt) conn.history.firstFrameAt = frameWall(meta);
    if (can(st, 'play')) startPlaying();
    presenter.onFrame(meta);
  }
  measurer.onFrame(now, meta);
}

function startPlaying() {
  clearTimeout(stageTimer);
  stageTimer = 0;
  const was = st;
  if (was.failover) S.failovers++;
  go('play');
  S.error = null;
  recovery.playing(performance.now());
  show(null);
  scheduleStandby(STANDBY_AFTER_MS);
  // Video is back after an edge failed or asked the player to move.
  const recovered = was.state === 'reconnecting' && (was.failover || was.kind === 'move');
  if (recovered && S.edge) toast(`Now playing on ${where()}`);
}

let congestedAt = -1; // frames.lastAt of the silence the page last waited out
frames.watch({
  playing: () => st.state === 'playing',
  limitMs: () => stallMs((titleInfo && titleInfo.fps) || 0),
  deadMs: () => deadMs(link.beatGapMs),
  silentMs: (now) => link.silentMs(now),
  packetAge: () => (conn && conn.pc ? videoPacketAge(conn.pc) : Promise.resolve(Infinity)),
  judge: silence,
  onStall: () => edgeFailure('The video stopped'),
  onDead: () => edgeFailure('The edge stopped answering'),
  // One toast per silence: the watchdog asks again every look while it
  // lasts, and a frame ends it.
  onCongested: () => {
    if (congestedAt === frames.lastAt) return;
    congestedAt = frames.lastAt;
    S.congestions++;
    toast('Poor connection: waiting for the picture…');
  },
  onSteady: (now) => recovery.steady(now),
});

// ---- stats ---------------------------------------------------------------

const sampler = new StatsSampler();
let statsBusy = false;
setInterval(async () => {
  const pc = conn && conn.pc;
  if (!pc || pc.connectionState === 'closed' || statsBusy) return;
  statsBusy = true;
  try {
    S.stats = await sampler.sample(pc, S.framesPresented, link.pingMs);
    S.stats.freezes = presenter.freezes;
    S.stats.freezeMs = presenter.freezeMs;
    S.stats.longestFreezeMs = presenter.longestFreezeMs;
    S.route = sampler.route;
    // An audio track exists whenever the offer has an audio section (and
    // its mute state is not reliable across browsers); there is sound to
    // turn on only once audio packets arrive.
    if (!S.hasAudio && S.stats.audioPackets > 0) {
      S.hasAudio = true;
      updateHints();
    }
    stats.refresh();
  } catch (err) {
    console.warn('stratus: getStats', err);
  } finally {
    statsBusy = false;
  }
}, STATS_EVERY_MS);

const stats = new StatsPanel($('stats'), $('stats-rows'), () => ({
  stats: S.stats,
  codec: sampler.codec,
  decoder: sampler.decoder,
  edge: S.edge ? where() : '',
  rtts: S.rtts,
  failovers: S.failovers,
  lastFailure: S.lastFailure,
  now: Date.now(),
  node: S.node,
  signal: S.signal,
  signalOpen: signaling.open,
  sound: { hasAudio: S.hasAudio, meter: meter.state, level: meter.level, peak: meter.peak, muted: video.muted },
  edgeStats: link.edgeStats,
  session: S.session,
  reconnects: S.reconnects,
  pcState: S.pcState,
  route: S.route,
}));
$('btn-stats').addEventListener('click', () => stats.toggle());

// updateHints shows the mouse hint while playing on a desktop without the
// mouse captured, and the "sound is off" note while sound arrives muted.
function updateHints() {
  const playing = st.state === 'playing';
  hints(playing && !capture.touch && !capture.locked, playing && S.hasAudio && video.muted);
}

// ---- page lifecycle ------------------------------------------------------------

$('hint-key').textContent = STATS_KEY_LABEL;

window.addEventListener('pagehide', () => {
  leaving = true;
  teardown(true);
  signaling.close();
});
window.addEventListener('pageshow', (e) => {
  // Restored from the back/forward cache: the old connection is gone.
  if (!e.persisted) return;
  leaving = false;
  playAgain();
});

if (!titleId) {
  S.error = { code: NO_TITLE, message: 'No game chosen' };
  go('fail');
  show(status.NO_TITLE_CARD);
} else {
  document.title = `${titleId} — Stratus`;
  connect();
}
