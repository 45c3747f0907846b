// Round-trip probes: before a join the page measures the edges that the
// signaling node's greeting names ({"type":"hello","probes":[{edge, region,
// url}]}, see signaling/protocol.go) and sends the results as the join's
// "rtt", so the node can place the player on the edge that is nearest in
// fact rather than on paper.
//
// Each probe URL (edge/probe.go) answers GET with 204, CORS * and
// Timing-Allow-Origin *. An edge is fetched up to PROBE_SAMPLES times in a
// row (the first request also pays for the TCP connection); all edges are
// measured at once, and the smallest time per edge is kept. An edge already
// measured at over NEAR_FACTOR times the best edge's time gets no more
// samples: more could only make it less far, not nearest, and waiting for
// them (three round trips to the farthest edge) would hold up the join. Where the
// browser's Resource Timing entry for the request has timings (it does,
// thanks to Timing-Allow-Origin), responseStart − requestStart is one round
// trip without DNS, TCP and queueing; without them, the entry's duration or
// the performance.now() difference around fetch stands in.
//
// The whole run is bounded by PROBE_BUDGET_MS: what has been measured by
// then is the answer, edges that never answered are left out, and the
// requests still in flight are aborted.
//
// Prober keeps the latest results. They count as fresh for PROBE_FRESH_MS;
// a rejoin after a failure never waits for a new run but sends the latest
// results and refreshes them in the background. It also keeps them in the
// browser's storage, where the next page load finds them (for PROBE_KEEP_MS)
// and joins with them at once, measuring in the background as a rejoin
// does: a player's distances to the edges change when they move, rarely
// between two games.

export const PROBE_SAMPLES = 3;
export const PROBE_BUDGET_MS = 600;
export const PROBE_FRESH_MS = 30000;
// A background refresh is skipped when the results are younger than this:
// a burst of rejoins needs one refresh, not one each.
export const PROBE_MIN_REFRESH_MS = 5000;
export const NEAR_FACTOR = 1.5;
export const PROBE_KEEP_MS = 10 * 60 * 1000;
const STORE_KEY = 'stratus.rtts';
const MAX_EDGES = 64; // the protocol's bound on a join's rtt entries
const MAX_MS = 60000; // the protocol's bound on one rtt value

// measure probes every edge in probes and resolves, within budgetMs (plus
// a few ms), to {edge name: smallest round trip in ms}.
export async function measure(probes, { budgetMs = PROBE_BUDGET_MS, samples = PROBE_SAMPLES } = {}) {
  const out = {};
  const list = validProbes(probes);
  if (!list.length) return out;
  const ctrl = new AbortController();
  let timer = 0;
  const expired = new Promise((resolve) => {
    timer = setTimeout(() => {
      ctrl.abort();
      resolve();
    }, budgetMs);
  });
  const far = (name) => {
    const best = Math.min(...Object.values(out));
    return out[name] > NEAR_FACTOR * best;
  };
  const edge = async (p) => {
    for (let i = 0; i < samples && !ctrl.signal.aborted && !far(p.edge); i++) {
      const ms = await probeOnce(p.url, ctrl.signal);
      if (ms === null) {
        if (ctrl.signal.aborted) return;
        continue; // one failed request (refused, 5xx): try the next
      }
      if (!(p.edge in out) || ms < out[p.edge]) out[p.edge] = ms;
    }
  };
  try {
    // An aborted fetch rejects at once, but do not trust every browser to
    // settle in time: the budget is a promise of its own.
    await Promise.race([Promise.all(list.map(edge)), expired]);
  } finally {
    clearTimeout(timer);
    ctrl.abort();
  }
  return { ...out };
}

// validProbes keeps the well-formed entries, one per edge.
export function validProbes(probes) {
  const seen = new Set();
  const list = [];
  for (const p of Array.isArray(probes) ? probes : []) {
    if (!p || typeof p.edge !== 'string' || !p.edge || typeof p.url !== 'string' || !p.url) continue;
    if (seen.has(p.edge)) continue;
    seen.add(p.edge);
    list.push({ edge: p.edge, region: typeof p.region === 'string' ? p.region : '', url: p.url });
  }
  return list;
}

// probeOnce fetches url once and returns the round trip in ms, or null when
// no answer came.
async function probeOnce(url, signal) {
  const name = absolute(url);
  const before = timingEntries(name).length;
  const t0 = performance.now();
  let res;
  try {
    res = await fetch(url, { cache: 'no-store', mode: 'cors', credentials: 'omit', signal });
  } catch {
    return null; // aborted, refused, CORS
  }
  const t1 = performance.now();
  try {
    await res.arrayBuffer(); // a 204 has no body; this just completes the request
  } catch { /* aborted after the headers: the headers' time still counts */ }
  if (!res.ok) return null;
  let ms = t1 - t0;
  // Requests to one edge are sequential, so a new entry under this name is
  // this request's. (A cleared timing buffer only means the fallback.)
  const entries = timingEntries(name);
  if (entries.length > before) {
    const e = entries[entries.length - 1];
    if (e.requestStart > 0 && e.responseStart >= e.requestStart) ms = e.responseStart - e.requestStart;
    else if (e.duration > 0) ms = Math.min(ms, e.duration);
  }
  return Math.min(MAX_MS, Math.max(0, Math.round(ms * 10) / 10));
}

function absolute(url) {
  try {
    return new URL(url, globalThis.location ? globalThis.location.href : undefined).href;
  } catch {
    return url;
  }
}

function timingEntries(name) {
  try {
    return performance.getEntriesByName(name, 'resource');
  } catch {
    return [];
  }
}

// Probes fill the Resource Timing buffer (250 entries by default); nothing
// else on the play page reads it, so start over rather than lose timings.
if (typeof performance !== 'undefined' && typeof performance.addEventListener === 'function' && typeof performance.clearResourceTimings === 'function') {
  performance.addEventListener('resourcetimingbufferfull', () => performance.clearResourceTimings());
}

// withRegions adds to rtts, for every region with a measured edge, an entry
// "region:<name>" with the region's best time: the router (signaling/route)
// uses it for the region's edges the page was not asked to measure.
export function withRegions(rtts, regions) {
  const out = { ...rtts };
  for (const [edge, ms] of Object.entries(rtts)) {
    const r = regions[edge];
    if (!r) continue;
    const k = `region:${r}`;
    if (!(k in out) || ms < out[k]) out[k] = ms;
  }
  return out;
}

// Prober runs measurements one at a time and keeps the latest results.
export class Prober {
  // onResult(rtts) is called after every completed run.
  // storage (localStorage, or null) carries the results to the next page.
  constructor({ budgetMs = PROBE_BUDGET_MS, freshMs = PROBE_FRESH_MS, onResult = null, measureFn = measure, storage = null } = {}) {
    this.budgetMs = budgetMs;
    this.freshMs = freshMs;
    this.onResult = onResult;
    this.measureFn = measureFn;
    this.storage = storage;
    this.rtts = {}; // edge → ms, from the latest run
    this.regions = {}; // edge → region, from the probes list
    this.at = 0; // Date.now() when the latest run finished; 0: never
    this.running = null; // the run in flight
    // carried: the results are an earlier page's, not measured here yet.
    this.carried = this.load();
  }

  // load takes the results an earlier page kept, when they are recent and
  // well formed; it reports whether it did.
  load() {
    let saved;
    try {
      saved = JSON.parse(this.storage ? this.storage.getItem(STORE_KEY) || 'null' : 'null');
    } catch {
      return false; // blocked storage, or not JSON
    }
    const age = saved && typeof saved === 'object' ? Date.now() - saved.at : NaN;
    if (!(age >= 0 && age < PROBE_KEEP_MS)) return false; // old, from the future, or no time
    const rtts = {}, regions = {};
    for (const [edge, ms] of Object.entries(saved.rtts || {}).slice(0, MAX_EDGES)) {
      if (typeof ms === 'number' && ms >= 0 && ms <= MAX_MS && edge) rtts[edge] = ms;
    }
    for (const [edge, region] of Object.entries(saved.regions || {}).slice(0, MAX_EDGES)) {
      if (edge in rtts && typeof region === 'string') regions[edge] = region;
    }
    if (!Object.keys(rtts).length) return false;
    Object.assign(this, { rtts, regions, at: saved.at });
    return true;
  }

  save() {
    try {
      if (this.storage) this.storage.setItem(STORE_KEY, JSON.stringify({ at: this.at, rtts: this.rtts, regions: this.regions }));
    } catch { /* full or blocked: the next page measures */ }
  }

  get age() {
    return this.at ? Date.now() - this.at : Infinity;
  }

  // fresh: the latest results are recent enough to join with as they are.
  fresh() {
    return this.age < this.freshMs;
  }

  // measured: a run has completed, whatever its age and results.
  measured() {
    return this.at > 0;
  }

  // measure runs the probes (or joins the run in flight) and resolves to
  // the new results.
  measure(probes) {
    if (this.running) return this.running;
    const list = validProbes(probes);
    if (!list.length) return Promise.resolve({ ...this.rtts });
    for (const p of list) if (p.region) this.regions[p.edge] = p.region;
    this.running = (async () => {
      try {
        const r = await this.measureFn(list, { budgetMs: this.budgetMs });
        // The new run replaces the old: an edge that stopped answering
        // must not keep looking near.
        this.rtts = r;
        this.at = Date.now();
        this.carried = false;
        this.save();
        if (this.onResult) this.onResult({ ...r });
        return { ...r };
      } catch (err) {
        console.warn('stratus: rtt probes failed', err);
        return { ...this.rtts };
      } finally {
        this.running = null;
      }
    })();
    return this.running;
  }

  // refresh measures in the background unless results are very recent.
  refresh(probes) {
    if (this.running || this.age < PROBE_MIN_REFRESH_MS) return;
    this.measure(probes);
  }

  // forJoin is the rtt map for a join message, region entries included.
  forJoin() {
    return withRegions(this.rtts, this.regions);
  }
}
