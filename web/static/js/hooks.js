// hooks.js — window.stratus: the play page's live state and test hooks, for
// automated tests and benchmarks (headless Chromium) and for tools. play.js
// keeps the plain fields up to date; the rest read the page's parts.
//
// Fields:
//   state (machine.js's label: connecting, routing, queued, starting,
//     playing, reconnecting, error, ended), title, name, edge, region,
//     session, queue ({position, ahead} while waiting in line, else null),
//   error ({code, message} | null), reason, reconnects, framesPresented,
//   pcState, hasAudio, video, pc,
//   route (the selected candidate pair's local side: "host", "srflx",
//     "prflx", or "relay (udp|tcp|tls)"; '' before one is chosen),
//   transport ('relay' or 'relay-tcp' when /play?…&transport= forces
//     relayed media, over TCP or TLS only for the latter; else 'all'),
//   stats (stats.js: width, height, fps, bitrateKbps, rttMs, lossPct,
//     decodeMs, jitterBufferMs, framesDecoded, pingMs, … all numbers),
//   input ({edges, states, dropped}: messages sent on the channels),
//   edgeStats (the edge's latest "stats" report, or null),
//   node (the signaling node's name from its greeting; '' before one),
//   signal (the current signaling WebSocket URL), signals (every known
//     one, in the order they are tried),
//   rtts ({edge: ms} of the latest probe run; the join also carries
//     "region:<name>" entries with each region's best),
//   failovers (edge failures recovered: video played again after one),
//   moves ("move" requests followed),
//   congestions (silences the page waited out because video packets still
//     arrived: a full or lossy link, not a dead edge; policy.js),
//   standby ({edge, region, session} of the warm standby the page holds,
//     once joined; null without one), standbyActivations (edge failures
//     taken over by the standby, as its edge confirmed: standby.js),
//   lastFailure ({edge, region, session, at: Date.now() ms when detected,
//     reason} | null),
//   edgeHistory ([{edge, region, session, joinSentAt: wall ms the join
//     went to the signaling node | null, joinedAt: Date.now() ms of
//     "joined", firstFrameAt: wall ms of the session's first presented
//     frame (performance.timeOrigin + rVFC presentationTime) | null}]),
//   resumeToken (true when the page holds a resume token for the title),
//   touchLayout (the on-screen controls on a touch screen: "default" (the
//     built-in gamepad, hidden for titles that read no pad; until the
//     title's entry says otherwise, and for titles without a profile), "none",
//     "pointer" or "gamepad" from the title's touch profile; '' without a
//     touch screen),
//   audioMeter (the sound meter's AudioContext state: "off" until the
//     first click or tap, then "running", or "suspended" where the browser
//     holds it back),
//   audioLevel (dBFS, RMS, of the latest 50 ms window of the
//     remote audio track; -100 for silence), audioPeak (the loudest window
//     of the last second), audioEnergy (Σ RMS² × seconds since the meter
//     started, like inbound-rtp totalAudioEnergy, which Chromium leaves at
//     0 while the video is muted), audioSeconds (audio time measured);
//     see audio.js,
//   readPattern()   → {renderMs, inputs} of the frame on screen, or null;
//   startMeasure()  → starts recording latency per presented frame;
//   stopMeasure()   → {g2g: [ms], inputToDisplay: [ms], presented, skipped,
//                      gaps, repeated, invalid, intervalMs};
//   sendKeyProbe()  → Promise of the probe's input-to-display ms (or null).
// See pattern.js and measure.js for what is measured and how.

import { readPattern } from './pattern.js';
import { emptyStats } from './stats.js';
import { STATS_KEY_LABEL } from './keyboard.js';

// hooks builds window.stratus for the title. parts: video, state() (the
// label), frames (frames.js), token() (the resume token held, if any),
// meter (audio.js), link (link.js), signaling (siglink.js), measurer
// (measure.js).
export function hooks(title, { video, state, frames, token, meter, link, signaling, measurer }) {
  const S = {
    title,
    name: title,
    edge: '',
    region: '',
    session: '',
    queue: null, // {position, ahead} while the join waits in line
    error: null, // {code, message}
    reason: '', // why the last reconnect or end happened
    reconnects: 0,
    node: '', // the signaling node, from its greeting
    rtts: {}, // edge → ms, the latest probe results
    failovers: 0, // edge failures recovered
    moves: 0, // "move" requests followed
    congestions: 0, // silences waited out while video still arrived
    standby: null, // {edge, region, session} of the warm standby, once joined
    standbyActivations: 0, // failovers the standby took over
    lastFailure: null, // {edge, region, session, at, reason}
    edgeHistory: [], // {edge, region, session, joinSentAt, joinedAt, firstFrameAt}
    pcState: 'new',
    route: '',
    transport: 'all',
    touchLayout: '', // the on-screen controls: '' (no touch screen), default, none, pointer or gamepad
    hasAudio: false, // sound is arriving
    video,
    pc: null,
    stats: emptyStats(),
    input: link.sent, // counts of sent / dropped input messages
    statsKey: STATS_KEY_LABEL,
    readPattern: () => readPattern(video),
    startMeasure: () => measurer.start(),
    stopMeasure: () => measurer.stop(),
    sendKeyProbe: () => measurer.probe(),
  };
  const get = (fn) => ({ get: fn, enumerable: true });
  Object.defineProperties(S, {
    state: get(state),
    framesPresented: get(() => frames.presented),
    resumeToken: get(() => !!token()),
    audioMeter: get(() => meter.state),
    audioLevel: get(() => meter.level),
    audioPeak: get(() => meter.peak),
    audioEnergy: get(() => meter.loud.energy),
    audioSeconds: get(() => meter.loud.seconds),
    signal: get(() => signaling.url),
    signals: get(() => signaling.urls),
    // The edge's latest report of its side (see link.js).
    edgeStats: get(() => link.edgeStats || null),
  });
  window.stratus = S;
  return S;
}
