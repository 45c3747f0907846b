// Package route chooses the edge a player is placed on. It is pure and
// deterministic: the same request and the same edges, in any order, give
// the same decision, so a decision can be explained (every candidate
// carries the reason for its place) and tested without a cluster.
//
// # Eligibility
//
// An edge can take the player when all of these hold:
//
//   - its role is edge and its health is ok (draining and degraded edges
//     admit nobody);
//   - it has a slot: Free − Reserved > 0, where Reserved counts the joins
//     this signaling node has sent it that gossip has not reflected yet;
//   - it offers the title. An edge whose title list was too long to gossip
//     (Titles nil, TitlesDigest set) is assumed to offer it; the edge API
//     refuses the join if not, and the Reason says it was assumed
//     (Request.AnyTitle waives this: every edge is taken to offer it);
//   - the player did not just fail on it (Request.Exclude).
//
// # Round-trip time
//
// The RTT used for an edge is the best evidence available, in this order:
//
//  1. the page's measurement against the edge (Request.RTT[name]);
//  2. the page's measurement against the edge's region
//     (Request.RTT["region:"+region]);
//  3. distance: both the player and the edge have a location. Light in
//     fibre covers about 200 km per millisecond, real routes are about
//     1.5 times the great circle, and access networks and switching add a
//     few milliseconds whatever the distance, so
//     RTT ≈ 2 × distance / 200 km/ms × RouteFactor + LocationBaseRTT;
//  4. the region hint: the player's region equals the edge's region gives
//     SameRegionRTT, another region OtherRegionRTT;
//  5. UnknownRTT.
//
// # Score
//
// Lower is better; the unit is milliseconds of round trip the player would
// trade for it:
//
//	score = RTT ms + LoadWeightMs × Load + FullnessWeightMs × (Capacity − (Free − Reserved)) / Capacity
//
// Load and utilisation are clamped to 0..1. Equal scores are broken by edge
// name, so the choice never depends on the order of the edge list.
//
// # Region preference (failover order)
//
// When Request.Region is set, eligible edges in that region win outright:
// they form the first tier, ranked by score, and edges elsewhere are
// considered only when no edge in the region can take the player. That is
// the failover order the join path needs: after the player's edge fails it
// is retried with the failed edge in Exclude, so the rest of the region
// comes first and another region only once the region has none left. The
// RTT estimates agree with the tier in normal cases (SameRegionRTT is below
// OtherRegionRTT, and nearby edges are nearer), so the tier only overrides
// the score when a measurement says another region is faster; a player
// whose page reports a region is kept there while it has room. Callers
// without a hint may pass the region of the edge the player failed on.
//
// # Candidates and cost
//
// Decision.Candidates lists the eligible edges in the order they would be
// tried, then the edges busy now (full, draining, degraded, excluded) in
// the same order, nearest first, then the edges that can never host the
// title (not an edge, or the title is not offered) by name. Those last
// are not scored: the RTT estimate is most of the cost of a decision,
// and with titles spread over subsets of a fleet they are most edges.
//
// Router.Decide checks every edge on every decision; nothing is cached
// between decisions. An Index holds the fleet instead, by region and by
// title, kept current from gossip (Put, Remove), and Index.Decide reaches
// the same decision evaluating only the edges that can make the list:
// what a join at 100,000 edges needs. Request.TopK caps the list: the join path asks for the winner
// only, and then edges that cannot beat the best so far (a lower class,
// see above) are not scored either, and only the returned candidates get
// a Reason. The explain view asks for all. A decision allocates a fixed
// number of times, never per edge: Reasons share one string.
//
// # Messages
//
// Decision.Code is "" on success, else one of package edge/api's codes:
// CodeNoEdge (no edges at all),
// CodeUnknownTitle (no edge offers the title, whatever its state) or
// CodeEdgeFull (edges offer it but none can take the player now).
// Decision.Why is a sentence for the player: why the winner won, for
// instance "all edges busy in eu-west; placed in nearest free region
// us-east", or why nobody could.
package route
