// policy.js — when the play page tries again, and where it does not go.
// Pure: times are passed in, so the rules can be tested without waiting.
//
// Backoff. An attempt after a failure waits BACKOFF_MS[n] for the n-th
// failure in a row (the last entry repeating); playing STABLE_MS resets the
// count. The first rejoin after an edge failure or a move does not wait at
// all (play.js asks for it at once), nor does a signaling node switch while
// the list has untried nodes.
//
// Exclusions. An edge the player failed on (or was moved off) is not asked
// for again for EXCLUDE_MS: a join names at most EXCLUDE_MAX of them, the
// latest first. They are a preference, not a rule: when a join with
// exclusions is refused, the next join sends none (relax), until one is
// joined again.
//
// Unreachable media. A join the edge answered whose media path never formed
// (ICE never connected before the first-frame deadline) is a network that
// cannot reach the service's media: one that blocks UDP, with no relay to
// go around it. Another edge rarely fares better, so after UNREACHABLE_MAX
// such joins in a row the page stops and says so instead of trying forever.
//
// Stalls. While playing, no presented frame for stallMs(fps) means the edge
// failed: STALL_MS, or three frame times for a slow title. An edge that
// beats (stream/beat.go: a heartbeat each frame time on the motion channel,
// whether or not a picture goes with it) is taken for dead sooner: neither
// a beat nor a frame for deadMs(gap), BEAT_DEAD_MS (nine beats in a row,
// which loss alone does not take: 3 % loss loses nine in a row once in
// 10^13) or BEAT_GAP_FACTOR times the longest gap between its beats lately
// (gap), up to STALL_MS: an edge whose beats run late (a loaded machine)
// is given the time it has shown it needs, not failed over.
//
// Congestion. Before either rule fails an edge over, the page asks its
// browser when the latest video packet arrived (silence). Packets that
// still arrive mean the edge lives and the path is full or lossy: a link
// that dropped to a fraction of the rate, a burst of loss. Another edge
// would not mend the player's own link, and a rejoin would throw away the
// session's place and picture, so the page waits for the picture to come
// back (the browser asks the edge for a keyframe itself) for up to
// CONGESTED_MAX_MS without a frame, and only then fails over.

export const BACKOFF_MS = Object.freeze([250, 500, 1000, 2000, 4000, 5000]);
export const STABLE_MS = 10000;
export const EXCLUDE_MS = 60000;
export const EXCLUDE_MAX = 16; // the protocol allows 64
export const STALL_MS = 400;
export const BEAT_DEAD_MS = 150;
export const BEAT_GAP_FACTOR = 3;
export const UNREACHABLE_MAX = 2;
export const FLOWING_MS = 80;
export const CONGESTED_MAX_MS = 3000;

// backoffMs is the wait before an attempt after n failures in a row.
export function backoffMs(n) {
  return BACKOFF_MS[Math.min(n, BACKOFF_MS.length - 1)];
}

// stallMs is how long a playing stream may go without a frame.
export function stallMs(fps) {
  return Math.max(STALL_MS, 3000 / (fps || 60));
}

// deadMs is how long an edge whose beats lately came at most gapMs apart
// may go without a beat or a frame.
export function deadMs(gapMs) {
  return Math.min(STALL_MS, Math.max(BEAT_DEAD_MS, BEAT_GAP_FACTOR * (gapMs || 0)));
}

// silence judges a stream that went without frames for gapMs once the
// browser said how long ago its latest video packet arrived (packetAgeMs;
// Infinity when it has none): 'congested' (media still arrives, wait),
// 'stalled' (the stall rule, stalled true, fired) or 'dead' (the beat rule).
export function silence({ gapMs, stalled, packetAgeMs }) {
  if (packetAgeMs <= FLOWING_MS && gapMs <= CONGESTED_MAX_MS) return 'congested';
  return stalled ? 'stalled' : 'dead';
}

export class Recovery {
  constructor() {
    this.failures = 0; // consecutive, for the backoff
    this.playingSince = 0;
    this.failed = new Map(); // edge → when the page failed on it (Date.now() ms)
    this.relaxed = false;
    this.unreachable = 0; // joins in a row whose media never connected
  }

  // delay is the wait before the next attempt; it counts a failure.
  delay() {
    return backoffMs(this.failures++);
  }

  reset() {
    this.failures = 0;
    this.unreachable = 0;
  }

  // mediaFailed counts a join whose media path never formed; true: give up.
  mediaFailed() {
    return ++this.unreachable >= UNREACHABLE_MAX;
  }

  // mediaUp: a media path formed, the network can reach the service.
  mediaUp() {
    this.unreachable = 0;
  }

  playing(now) {
    this.playingSince = now;
  }

  // steady forgets the failures once the game has played long enough.
  steady(now) {
    if (this.failures && now - this.playingSince > STABLE_MS) this.failures = 0;
  }

  // edgeFailed records that the page left an edge it should avoid.
  edgeFailed(edge, at) {
    this.failed.set(edge, at);
  }

  // relax drops the exclusions from the next join: one was refused with them.
  relax() {
    this.relaxed = true;
  }

  // joined: exclusions count again for the next rejoin.
  joined() {
    this.relaxed = false;
  }

  // exclude is what a join excludes at time now, latest failure first.
  exclude(now) {
    for (const [edge, at] of this.failed) if (now - at > EXCLUDE_MS) this.failed.delete(edge);
    if (this.relaxed) return [];
    return [...this.failed.entries()].sort((a, b) => b[1] - a[1]).slice(0, EXCLUDE_MAX).map(([edge]) => edge);
  }
}
