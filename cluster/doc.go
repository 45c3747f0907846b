// Package cluster is how Stratus nodes know about each other: gossip
// membership built on hashicorp/memberlist (SWIM with the Lifeguard
// extensions), carrying each node's Meta.
//
// # Layout
//
// Regions scale the way Consul's datacenters do. Each region has a fast LAN
// pool, "lan/<region>", holding the region's edges and the signaling nodes
// that route players to it. The signaling nodes also form one WAN pool,
// "wan", with WAN timings; edges never join it. A signaling node that routes
// for several regions is a member of each of their LAN pools, plus the WAN
// pool: one Pool (one memberlist, one port) per membership.
//
//	    lan/eu-west                     lan/us-east
//	┌──────────────────────────┐    ┌──────────────────────────┐
//	│ edge  edge  edge  sig-1  │    │ sig-1  sig-2  edge  edge │
//	└──────────────────┬───────┘    └──┬───────────────────────┘
//	                   └───── wan ─────┘  (sig-1, sig-2, …)
//
// Every pool's memberlist Label is "stratus/<pool>", so packets of two pools
// never mix even when someone points one at the other, and every pool is
// encrypted with the cluster key (AES-GCM, the label authenticated with
// it; see ParseKey). A node with another key, or none, can neither join nor
// read anything: its join fails, the pool never lists it, and the pool logs
// the refused traffic at warn, rate limited. PoolConfig.Dev runs without a
// key, for make run and tests, and says so in the log. Other uses of the
// key (resume tokens, reading the studio catalog) take keys derived from it
// for their purpose (DeriveKey), never the key itself.
//
// # What is gossiped
//
// Only each node's Meta: role, region, location, API and media addresses,
// capacity, free slots, load, health, titles, GPU summary. It travels in
// memberlist's own alive messages (no user messages, no extra state), so it
// must encode to at most MaxMetaSize (512) bytes; Encode replaces a title
// list that does not fit by its digest. SetMeta republishes it: a change
// reached every member in 0.18 s (p50) with 10 members, 0.25 s with 100 and
// 0.30 s with 200 (benchmarks/README.md, "Gossip propagation").
//
// The cluster key keeps outsiders out; it does not make a holder of it
// believed. A node with an Identity (PoolConfig.Identity: its own ed25519
// key and the network's certificate of its name, role and operator, made
// by package trust/enroll) signs its metadata, and a pool given the
// network's key (PoolConfig.Network) believes only metadata signed by the
// node it names and certified for it, never older than a version already
// believed (a replay). Everything else is listed with a zero Meta and
// counted in Stats().RefusedMeta. Signing costs 160 of the 512 bytes.
//
// A member whose metadata cannot be decoded (another release's format, or
// not a stratus node) is listed with a zero Meta: its empty Role and Health
// keep it out of routing, a rate-limited warning names it, and
// Stats().MalformedMeta counts it. It is not a crash and not an exclusion,
// so an operator sees it in the member list.
//
// # Failure detection
//
// A member that stops answering is probed by some peer within about one
// probe interval, suspected when that probe (direct, indirect through
// three others, and TCP) fails by the end of the interval, and declared
// dead when the suspicion times out: SuspicionMult × max(1, log10 n) ×
// ProbeInterval once one other member has confirmed the suspicion
// (memberlist wants SuspicionMult−2), up to SuspicionMaxTimeoutMult (6)
// times that without confirmations. A suspected member that is alive
// refutes the suspicion in that window, which is what keeps a slow member
// from being evicted.
//
//	profile  base                  changed                               dead after (n ≤ 10)
//	lan      DefaultLANConfig      ProbeInterval 500 ms, ProbeTimeout    measured 2.1–3.3 s
//	                               250 ms, SuspicionMult 3, Gossip-      (suspicion 1.5 s; 3 s at
//	                               Interval 100 ms, GossipNodes 4,       100 members, 4 s at 500)
//	                               PushPullInterval 15 s, compression
//	                               off, RetransmitMult 4 (unchanged)
//	wan      DefaultWANConfig      —                                     30 s or more (probe 5 s,
//	                                                                     SuspicionMult 6; not measured
//	                                                                     here; 30 s+ seen elsewhere)
//	local    DefaultLocalConfig    —                                     about 4.5 s (2 nodes,
//	                                                                     seen elsewhere)
//
// Every profile also sets DeadNodeReclaimTime to its GossipToTheDeadTime
// (15 s on the LAN), so a restarted node that comes back on another
// address can take its name again.
//
// The lan figures were measured on 127.0.0.1 on a 2-core machine, a member
// closed without Leave: in this package's tests the last peer declared it
// dead after 2.4–2.9 s with 3 members and 2.2–3.3 s with 10; in
// benchmarks/gossip (p50 / slowest of 8) after 2.6 / 3.0 s with 10 members,
// 4.0 / 6.1 s with 100 and 4.3 / 5.0 s with 200. 500 members in one
// process need more than two cores, so that size is unmeasured.
// RetransmitMult stays at memberlist's 4: with 3, a batch of 20 members
// joining a 20-member pool left one or two members missing a join in
// every run until the next full state sync (30 s at that size), because
// each node only hears a broadcast about RetransmitMult × log10 n times.
// Compression is off on the LAN: its LZW tables were the largest single
// CPU cost of a 100-member pool and bandwidth inside a region is cheap.
//
// A player does not wait for any of this: the page sees frames stop within
// a few hundred milliseconds and asks to be moved; gossip then confirms the
// failure and cleans up. Failure detection needs CPU time on time: a
// process that does not run its gossip goroutines for a few hundred
// milliseconds (an edge whose encoders take every core, an overloaded test
// machine) gets suspected and may be declared dead for a moment, so leave
// the gossip a little CPU.
//
// # Using a Pool
//
// NewPool starts a member and joins the seeds in the background, retrying
// with backoff while it knows no other member (also after losing every
// peer), until Leave or Close; Joined tells when it first found one.
// Members is a cached, sorted view (no network), kept current by
// memberlist's event callbacks; Subscribe delivers the same changes as
// events without ever blocking memberlist (a subscriber that falls behind
// gets EventResync and re-reads Members). memberlist does not say whether
// a departed member left or failed, so Leave first gossips a "leaving" flag
// in the metadata header; peers then report StateLeaving, then StateLeft,
// and StateDead for a member that just stopped.
//
// Every goroutine belongs to a Pool and ends with Close; there are no
// package-level variables, and each Pool logs through its own *slog.Logger,
// memberlist's own log included (DEBUG and INFO at debug, the rest at warn,
// rate limited so that garbage sent to the port cannot flood the log).
package cluster
