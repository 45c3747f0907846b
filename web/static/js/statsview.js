// statsview.js — the rows of the statistics overlay (F9, or the toolbar
// button on a touch screen). statsRows is pure: it words a snapshot of the
// page (play.js gathers it), so the table can be tested without a browser.

import { FLOOR_DB } from './audio.js';

const fixed = (v, d = 0) => (Number.isFinite(v) ? v.toFixed(d) : '—');

// edgeStatsText summarises the edge's own report: which encoder, how long
// a frame takes there, and frames it had to skip.
export function edgeStatsText(e) {
  if (!e) return '—';
  const f = (v, d = 1) => fixed(v, d);
  return `${e.encoder} · encode ${f(e.encodeMs)} ms · render ${f(e.renderMs)} ms · ${f(e.fps, 0)} fps sent · ${e.skipped} skipped`;
}

// repairText says how lost packets were repaired: NACKs the page sent, FEC
// packets it received and used (not discarded), and the FEC share the edge
// sends now. Browsers do not count the packets FEC rebuilt.
export function repairText(s, e) {
  const fec = e && Number.isFinite(e.fecOverheadPct) ? ` (${fixed(e.fecOverheadPct)} % sent)` : '';
  const used = Math.max(0, s.fecPackets - (s.fecDiscarded || 0));
  return `${s.nackCount} NACKs · ${s.fecPackets} FEC received, ${used} used${fec}`;
}

// freezeText counts the session's freezes (no new frame for over 100 ms),
// the longest, and how long the picture stood still in all.
export function freezeText(s) {
  if (!s.freezes) return 'none';
  return `${s.freezes} · longest ${fixed(s.longestFreezeMs)} ms · ${fixed(s.freezeMs)} ms in all`;
}

// qualityText is the edge's quality rung (its size and frame rate, lowered
// while the link is thin) and the bitrate the link allows it.
export function qualityText(e) {
  if (!e || !e.rung) return '—';
  const k = e.targetKbps;
  if (!Number.isFinite(k) || k <= 0) return e.rung;
  const rate = k >= 1000 ? `${fixed(k / 1000, 1)} Mbit/s` : `${fixed(k)} kbit/s`;
  return `${e.rung} (bitrate ${rate})`;
}

// probesText lists the nearest measured edges, up to four.
export function probesText(rtts) {
  const list = Object.entries(rtts).sort((a, b) => a[1] - b[1]);
  if (!list.length) return '—';
  const shown = list.slice(0, 4).map(([edge, ms]) => `${edge}: ${ms < 10 ? ms.toFixed(1) : Math.round(ms)} ms`);
  if (list.length > 4) shown.push(`+${list.length - 4}`);
  return shown.join(' · ');
}

export function failoverText(failovers, f, now) {
  if (!f) return String(failovers);
  const ago = Math.round((now - f.at) / 1000);
  return `${failovers} · last: ${f.edge}, ${f.reason} (${ago} s ago)`;
}

export function signalText(node, url, open) {
  let host = url;
  try {
    host = new URL(url).host;
  } catch { /* shown as it is */ }
  return `${node ? `${node} · ` : ''}${host}${open ? '' : ' · reconnecting'}`;
}

// soundText is the sound meter's reading: the level of the latest window and
// the loudest of the last second, in dBFS (RMS; see audio.js).
export function soundText({ hasAudio, meter, level, peak, muted }) {
  if (!hasAudio) return '—';
  if (meter === 'off') return muted ? 'muted · click or tap to turn on' : 'not measured';
  if (meter !== 'running') return `meter ${meter} · click or tap to resume`;
  const db = (v) => (v <= FLOOR_DB ? 'silent' : `${v.toFixed(1)} dBFS`);
  return `${db(level)} · peak ${db(peak)}${muted ? ' · muted' : ''}`;
}

// statsRows is the table as [label, text] pairs. p: {stats (stats.js),
// codec, decoder, edge (as shown, or ''), rtts, failovers, lastFailure, now
// (Date.now() ms), node, signal, signalOpen, sound (soundText's argument),
// edgeStats, session, reconnects, pcState, route}.
export function statsRows(p) {
  const s = p.stats;
  const f = fixed;
  const rate = s.bitrateKbps >= 1000 ? `${f(s.bitrateKbps / 1000, 2)} Mbit/s` : `${f(s.bitrateKbps)} kbit/s`;
  return [
    ['Resolution', s.width ? `${s.width}×${s.height}` : '—'],
    ['Frame rate', `${f(s.fps)} fps (decoded ${f(s.decodeFps)})`],
    ['Bitrate', rate],
    ['Quality', qualityText(p.edgeStats)],
    ['Round trip', `${f(s.rttMs, 1)} ms`],
    ['Route', p.route || '—'],
    ['Input ping', s.pingMs ? `${f(s.pingMs, 1)} ms` : '—'],
    ['Packet loss', `${f(s.lossPct, 2)} %`],
    ['Sound', soundText(p.sound)],
    ['Decode', `${f(s.decodeMs, 2)} ms/frame`],
    ['Jitter buffer', `${f(s.jitterBufferMs, 1)} ms`],
    ['Frames', `${s.framesDecoded} decoded, ${s.framesDropped} dropped`],
    ['Freezes', freezeText(s)],
    ['Repair', repairText(s, p.edgeStats)],
    ['Codec', [p.codec.replace('video/', ''), p.decoder].filter(Boolean).join(' · ') || '—'],
    ['Edge', p.edge || '—'],
    ['Probes', probesText(p.rtts)],
    ['Failovers', failoverText(p.failovers, p.lastFailure, p.now)],
    ['Signaling', signalText(p.node, p.signal, p.signalOpen)],
    ['Encoder', edgeStatsText(p.edgeStats)],
    ['Renderer', p.edgeStats?.renderer || '—'],
    ['Session', p.session || '—'],
    ['Reconnects', String(p.reconnects)],
    ['Connection', p.pcState],
  ];
}

// renderRows fills the table body with the rows.
export function renderRows(tbody, rows) {
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

// StatsPanel is the overlay's element (el, with the table body tbody);
// gather() snapshots the page as statsRows takes it.
export class StatsPanel {
  constructor(el, tbody, gather) {
    this.el = el;
    this.tbody = tbody;
    this.gather = gather;
  }

  toggle() {
    this.el.hidden = !this.el.hidden;
    this.refresh();
  }

  // refresh redraws the rows while the panel shows.
  refresh() {
    if (!this.el.hidden) renderRows(this.tbody, statsRows(this.gather()));
  }
}
