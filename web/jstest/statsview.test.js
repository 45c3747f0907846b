// The statistics overlay's rows (statsview.js) and the edge's control
// messages (control.js).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { statsRows, probesText, failoverText, signalText, soundText, edgeStatsText, repairText, qualityText, freezeText } from '../static/js/statsview.js';
import { CONTROL, STATS_FIELDS, tokenOf, moveReason } from '../static/js/control.js';
import { emptyStats } from '../static/js/stats.js';

test('probes: nearest four, then how many more', () => {
  assert.equal(probesText({}), '—');
  assert.equal(probesText({ b: 12.6, a: 3.25 }), 'a: 3.3 ms · b: 13 ms');
  assert.equal(probesText({ a: 1, b: 2, c: 3, d: 4, e: 5, f: 6 }), 'a: 1.0 ms · b: 2.0 ms · c: 3.0 ms · d: 4.0 ms · +2');
});

test('failovers, signaling, sound and the edge\'s report', () => {
  assert.equal(failoverText(0, null, 0), '0');
  assert.equal(failoverText(2, { edge: 'e1', reason: 'The video stopped', at: 1000 }, 4400), '2 · last: e1, The video stopped (3 s ago)');
  assert.equal(signalText('sig-a', 'ws://127.0.0.1:8080/v1/ws', true), 'sig-a · 127.0.0.1:8080');
  assert.equal(signalText('', 'not a url', false), 'not a url · reconnecting');
  assert.equal(soundText({ hasAudio: false }), '—');
  assert.equal(soundText({ hasAudio: true, meter: 'off', muted: true }), 'muted · click or tap to turn on');
  assert.equal(soundText({ hasAudio: true, meter: 'off', muted: false }), 'not measured');
  assert.equal(soundText({ hasAudio: true, meter: 'suspended' }), 'meter suspended · click or tap to resume');
  assert.equal(soundText({ hasAudio: true, meter: 'running', level: -17.04, peak: -100, muted: true }), '-17.0 dBFS · peak silent · muted');
  assert.equal(edgeStatsText(null), '—');
  assert.equal(edgeStatsText({ encoder: 'x264', encodeMs: 2.345, renderMs: NaN, fps: 59.9, skipped: 3 }),
    'x264 · encode 2.3 ms · render — ms · 60 fps sent · 3 skipped');
});

test('the rows, in order', () => {
  const base = {
    stats: { ...emptyStats(), width: 1280, height: 720, bitrateKbps: 2500, pingMs: 0 },
    codec: 'video/H264',
    decoder: '',
    edge: 'e1 (eu)',
    rtts: {},
    failovers: 0,
    lastFailure: null,
    now: 0,
    node: '',
    signal: 'ws://h/v1/ws',
    signalOpen: true,
    sound: { hasAudio: false },
    edgeStats: null,
    session: '',
    reconnects: 1,
    pcState: 'connected',
  };
  const rows = statsRows(base);
  assert.deepEqual(rows.map(([k]) => k), ['Resolution', 'Frame rate', 'Bitrate', 'Quality', 'Round trip', 'Route', 'Input ping', 'Packet loss', 'Sound',
    'Decode', 'Jitter buffer', 'Frames', 'Freezes', 'Repair', 'Codec', 'Edge', 'Probes', 'Failovers', 'Signaling', 'Encoder', 'Renderer', 'Session', 'Reconnects', 'Connection']);
  const got = Object.fromEntries(rows);
  assert.equal(got.Resolution, '1280×720');
  assert.equal(got.Bitrate, '2.50 Mbit/s');
  assert.equal(got['Input ping'], '—');
  assert.equal(got.Codec, 'H264');
  assert.equal(got.Edge, 'e1 (eu)');
  assert.equal(got.Session, '—');
  assert.equal(got.Renderer, '—');
  assert.equal(got.Quality, '—');
  const thin = Object.fromEntries(statsRows({ ...base, edgeStats: { encoder: 'x264', rung: '540p60', targetKbps: 1830 } }));
  assert.equal(thin.Quality, '540p60 (bitrate 1.8 Mbit/s)');
  assert.equal(got.Route, '—');
  assert.equal(Object.fromEntries(statsRows({ ...base, route: 'relay (tcp)' })).Route, 'relay (tcp)');
  const gpu = Object.fromEntries(statsRows({ ...base, edgeStats: { encoder: 'x264', renderer: 'NVIDIA H200/PCIe/SSE2' } }));
  assert.equal(gpu.Renderer, 'NVIDIA H200/PCIe/SSE2');
  assert.equal(got.Repair, '0 NACKs · 0 FEC received, 0 used');
  assert.equal(repairText({ nackCount: 4, fecPackets: 120, fecDiscarded: 100 }, { fecOverheadPct: 6.04 }), '4 NACKs · 120 FEC received, 20 used (6 % sent)');
  assert.equal(got.Freezes, 'none');
  assert.equal(freezeText({ freezes: 2, freezeMs: 350.4, longestFreezeMs: 210.2 }), '2 · longest 210 ms · 350 ms in all');
  assert.equal(got.Reconnects, '1');
  assert.equal(got.Connection, 'connected');
});

test('quality: the rung and the bitrate the link allows', () => {
  assert.equal(qualityText(null), '—');
  assert.equal(qualityText({ encoder: 'nvenc' }), '—');
  assert.equal(qualityText({ rung: '720p60' }), '720p60');
  assert.equal(qualityText({ rung: '720p60', targetKbps: 0 }), '720p60');
  assert.equal(qualityText({ rung: '360p30', targetKbps: 640.4 }), '360p30 (bitrate 640 kbit/s)');
  assert.equal(qualityText({ rung: '540p60', targetKbps: 2000 }), '540p60 (bitrate 2.0 Mbit/s)');
});

test('control messages: types, tokens and reasons', () => {
  assert.deepEqual(Object.values(CONTROL), ['snapshot', 'move', 'ended', 'stats', 'activated', 'refused']);
  assert.ok(STATS_FIELDS.includes('encoder'));
  assert.equal(tokenOf({ type: 'snapshot', token: 'abc' }), 'abc');
  assert.equal(tokenOf({ type: 'snapshot', token: 7 }), '');
  assert.equal(tokenOf({ type: 'move' }), '');
  assert.equal(moveReason({ reason: 'draining' }), 'draining');
  assert.equal(moveReason({ reason: '' }), 'maintenance');
  assert.equal(moveReason({}), 'maintenance');
});
