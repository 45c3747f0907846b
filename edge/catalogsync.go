package edge

import (
	"context"
	"log/slog"
	"net/http"
	"time"

	"stratus/cluster"
	"stratus/title/catalog"
)

// memberLister shows the cluster as gossip sees it: the edge's pool.
// Members is safe for concurrent use.
type memberLister interface {
	Members() []cluster.Member
}

// catalogFollower keeps the edge's copy of the studio catalog current: it
// long-polls a signaling node that serves the catalog (configured, or the
// one gossip shows with the newest revision) and, between changes, checks
// the titles again, since an operator may install or remove one at any
// time. changed is told whenever the runnable titles change, to gossip
// them.
//
// run is called once, by the follower's owner, and returns when its
// context ends.
type catalogFollower struct {
	urls    []string     // configured signaling nodes; none: ask gossip
	members memberLister // nil without gossip
	token   string
	wait    time.Duration // Config.CatalogWait
	titles  *titles
	changed func()
	log     *slog.Logger
}

func newCatalogFollower(cfg Config, members memberLister, titles *titles, changed func(), log *slog.Logger) *catalogFollower {
	return &catalogFollower{
		urls: cfg.CatalogURLs, members: members, token: cfg.CatalogToken, wait: cfg.CatalogWait,
		titles: titles, changed: changed, log: log,
	}
}

// run follows the catalog until ctx ends.
func (c *catalogFollower) run(ctx context.Context) {
	hc := &http.Client{Timeout: c.wait + 10*time.Second}
	var lastErr string
	failures := 0 // in a row
	next := 0     // configured URL to try next, rotating on failure
	backoff := time.Second
	var checked time.Time
	for ctx.Err() == nil {
		src := c.source(next)
		if src == "" {
			// Nothing serves a catalog yet. Look again soon when gossip
			// may bring one; check the titles at the usual pace.
			if time.Since(checked) >= c.wait {
				c.recheck()
				checked = time.Now()
			}
			if c.members != nil {
				sleep(ctx, min(time.Second, c.wait))
			} else {
				sleep(ctx, c.wait)
			}
			continue
		}
		snap, changed, err := catalog.Fetch(ctx, hc, src, c.token, c.titles.revision(), c.wait)
		switch {
		case ctx.Err() != nil:
			return
		case err != nil:
			// One failure is routine (a signaling node restarting, or
			// this process shutting down); a run of them is the
			// operator's business.
			failures++
			switch {
			case failures == 3:
				c.log.Warn("catalog: fetch keeps failing", "from", src, "err", err)
			case err.Error() != lastErr:
				c.log.Info("catalog: fetch failed; retrying", "from", src, "err", err)
			}
			lastErr = err.Error()
			next++
			sleep(ctx, backoff)
			backoff = min(2*backoff, c.wait)
			continue
		}
		if failures > 0 {
			c.log.Info("catalog: reachable again", "from", src)
			lastErr, failures = "", 0
		}
		backoff = time.Second
		if !changed {
			c.recheck()
			continue
		}
		if c.titles.apply(snap) {
			c.changed()
		}
		c.log.Info("catalog: updated", "from", src, "revision", snap.Revision, "titles", len(snap.Titles), "runnable here", len(c.titles.ids()))
	}
}

// source picks where to read the catalog: a configured URL, or the
// signaling node gossip shows with the newest catalog.
func (c *catalogFollower) source(next int) string {
	if n := len(c.urls); n > 0 {
		return c.urls[next%n]
	}
	if c.members == nil {
		return ""
	}
	var best string
	var rev uint64
	for _, m := range c.members.Members() {
		if m.Meta.Catalog > maxCatalogRevision {
			// Not a revision any catalog reaches: a broken or hostile node
			// that would otherwise be preferred forever.
			c.log.Debug("catalog: ignoring an absurd revision", "member", m.Name, "revision", m.Meta.Catalog)
			continue
		}
		if m.Meta.Role == cluster.RoleSignal && m.State == "alive" && m.Meta.API != "" && m.Meta.Catalog > rev {
			best, rev = m.Meta.API, m.Meta.Catalog
		}
	}
	return best
}

// maxCatalogRevision bounds the revisions believed from gossip: a catalog
// counts its changes, and 2^53 of them (JSON's exact integers) is beyond
// any studio's reach.
const maxCatalogRevision = 1 << 53

// recheck looks at the installed titles again.
func (c *catalogFollower) recheck() {
	if c.titles.recheck() {
		c.changed()
	}
}

// sleep waits d or until ctx ends.
func sleep(ctx context.Context, d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
	case <-ctx.Done():
	}
}
