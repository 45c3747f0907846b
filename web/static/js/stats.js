// Connection statistics from RTCPeerConnection.getStats(), sampled twice a
// second. Rates are deltas between consecutive samples, so they describe the
// last half second, not the whole session.

export const STATS_EVERY_MS = 500;

// emptyStats is the shape of window.stratus.stats; every field is a number.
export function emptyStats() {
  return {
    width: 0, height: 0,
    fps: 0, // frames presented per second (requestVideoFrameCallback)
    decodeFps: 0, // frames decoded per second
    bitrateKbps: 0, // video payload received
    rttMs: 0, // ICE candidate-pair round trip
    lossPct: 0, // video packets lost in the last interval
    decodeMs: 0, // mean decode time per frame in the last interval
    jitterBufferMs: 0, // mean jitter-buffer delay per frame in the last interval
    framesDecoded: 0, framesDropped: 0, packetsLost: 0,
    freezeCount: 0, nackCount: 0, pliCount: 0,
    fecPackets: 0, // FlexFEC repair packets received (the edge sizes them to the loss)
    fecDiscarded: 0, // of those, the ones that repaired nothing
    // Freezes this session (present.js): no new frame for over 100 ms.
    freezes: 0, freezeMs: 0, longestFreezeMs: 0,
    pingMs: 0, // input-path round trip (Ping echo on "input")
    audioPackets: 0, // audio RTP packets received (0: no sound yet)
    framesPresented: 0,
  };
}

export class StatsSampler {
  constructor() {
    this.prev = null; // previous raw sample
    this.codec = '';
    this.decoder = '';
    this.route = ''; // the selected pair's local candidate type
  }

  reset() {
    this.prev = null;
  }

  // sample reads pc's stats and returns a new stats object. presented is the
  // running count of presented frames.
  async sample(pc, presented, pingMs) {
    const report = await pc.getStats();
    let video = null, audio = null, pair = null, transport = null;
    const pairs = [];
    report.forEach((r) => {
      if (r.type === 'inbound-rtp' && (r.kind === 'video' || r.mediaType === 'video')) video = r;
      else if (r.type === 'inbound-rtp' && (r.kind === 'audio' || r.mediaType === 'audio')) audio = r;
      else if (r.type === 'transport') transport = r;
      else if (r.type === 'candidate-pair') pairs.push(r);
    });
    if (transport && transport.selectedCandidatePairId) pair = report.get(transport.selectedCandidatePairId);
    if (!pair) pair = pairs.find((p) => p.nominated && p.state === 'succeeded') || null;
    const local = pair && pair.localCandidateId ? report.get(pair.localCandidateId) : null;
    if (local && local.candidateType) {
      this.route = local.candidateType === 'relay' && local.relayProtocol ? `relay (${local.relayProtocol})` : local.candidateType;
    }
    if (video && video.codecId && report.get(video.codecId)) this.codec = report.get(video.codecId).mimeType || '';
    if (video && video.decoderImplementation) this.decoder = video.decoderImplementation;

    const now = performance.now();
    const cur = {
      at: now,
      presented,
      bytes: video ? video.bytesReceived || 0 : 0,
      packets: video ? video.packetsReceived || 0 : 0,
      lost: video ? video.packetsLost || 0 : 0,
      decoded: video ? video.framesDecoded || 0 : 0,
      decodeTime: video ? video.totalDecodeTime || 0 : 0,
      jbDelay: video ? video.jitterBufferDelay || 0 : 0,
      jbCount: video ? video.jitterBufferEmittedCount || 0 : 0,
    };
    const s = emptyStats();
    s.framesPresented = presented;
    s.pingMs = Number.isFinite(pingMs) ? pingMs : 0;
    if (audio) s.audioPackets = audio.packetsReceived || 0;
    if (video) {
      s.width = video.frameWidth || 0;
      s.height = video.frameHeight || 0;
      s.framesDecoded = cur.decoded;
      s.framesDropped = video.framesDropped || 0;
      s.packetsLost = cur.lost;
      s.freezeCount = video.freezeCount || 0;
      s.nackCount = video.nackCount || 0;
      s.pliCount = video.pliCount || 0;
      s.fecPackets = video.fecPacketsReceived || 0;
      s.fecDiscarded = video.fecPacketsDiscarded || 0;
    }
    if (pair && typeof pair.currentRoundTripTime === 'number') s.rttMs = pair.currentRoundTripTime * 1000;

    const p = this.prev;
    // A counter going backwards means a new connection: start over.
    if (p && cur.bytes >= p.bytes && cur.decoded >= p.decoded && now > p.at) {
      const dt = (now - p.at) / 1000;
      s.fps = Math.max(0, cur.presented - p.presented) / dt;
      s.decodeFps = (cur.decoded - p.decoded) / dt;
      s.bitrateKbps = ((cur.bytes - p.bytes) * 8) / 1000 / dt;
      const got = cur.packets - p.packets, lost = Math.max(0, cur.lost - p.lost);
      s.lossPct = got + lost > 0 ? (100 * lost) / (got + lost) : 0;
      const frames = cur.decoded - p.decoded;
      s.decodeMs = frames > 0 ? (1000 * (cur.decodeTime - p.decodeTime)) / frames : 0;
      const emitted = cur.jbCount - p.jbCount;
      s.jitterBufferMs = emitted > 0 ? (1000 * (cur.jbDelay - p.jbDelay)) / emitted : 0;
    }
    this.prev = cur;
    return s;
  }
}

// videoPacketAge is how long before now (ms) the browser received its
// latest video packet on pc, from getStats; Infinity when it has none. The
// report's own timestamp is the reference, so the clocks agree whatever
// base a browser uses for them.
export async function videoPacketAge(pc) {
  const report = await pc.getStats();
  let age = Infinity;
  report.forEach((r) => {
    if (r.type !== 'inbound-rtp' || (r.kind !== 'video' && r.mediaType !== 'video')) return;
    if (r.lastPacketReceivedTimestamp > 0 && r.timestamp > 0) {
      age = Math.min(age, Math.max(0, r.timestamp - r.lastPacketReceivedTimestamp));
    }
  });
  return age;
}
