package edge

import (
	"net/http"
	"time"

	"stratus/cluster"
	"stratus/title/catalog"
)

// syncCatalog keeps the edge's copy of the studio catalog current: it
// long-polls a signaling node that serves the catalog (configured, or the
// one gossip shows with the newest revision) and, between changes, checks
// its titles again, since an operator may install or remove one at any
// time. It ends with the edge.
func (e *Edge) syncCatalog() {
	defer e.wg.Done()
	hc := &http.Client{Timeout: e.cfg.CatalogWait + 10*time.Second}
	var lastErr string
	failures := 0 // in a row
	next := 0     // configured URL to try next, rotating on failure
	backoff := time.Second
	var checked time.Time
	for e.ctx.Err() == nil {
		src := e.catalogSource(next)
		if src == "" {
			// Nothing serves a catalog yet. Look again soon when gossip
			// may bring one; check the titles at the usual pace.
			if time.Since(checked) >= e.cfg.CatalogWait {
				e.recheckTitles()
				checked = time.Now()
			}
			if e.pool != nil {
				e.sleep(min(time.Second, e.cfg.CatalogWait))
			} else {
				e.sleep(e.cfg.CatalogWait)
			}
			continue
		}
		snap, changed, err := catalog.Fetch(e.ctx, hc, src, e.cfg.CatalogToken, e.titles.revision(), e.cfg.CatalogWait)
		switch {
		case e.ctx.Err() != nil:
			return
		case err != nil:
			// One failure is routine (a signaling node restarting, or
			// this process shutting down); a run of them is the
			// operator's business.
			failures++
			switch {
			case failures == 3:
				e.log.Warn("catalog: fetch keeps failing", "from", src, "err", err)
			case err.Error() != lastErr:
				e.log.Info("catalog: fetch failed; retrying", "from", src, "err", err)
			}
			lastErr = err.Error()
			next++
			e.sleep(backoff)
			backoff = min(2*backoff, e.cfg.CatalogWait)
			continue
		}
		if failures > 0 {
			e.log.Info("catalog: reachable again", "from", src)
			lastErr, failures = "", 0
		}
		backoff = time.Second
		if !changed {
			e.recheckTitles()
			continue
		}
		if e.titles.apply(snap) {
			e.publish()
		}
		e.log.Info("catalog: updated", "from", src, "revision", snap.Revision, "titles", len(snap.Titles), "runnable here", len(e.titles.ids()))
	}
}

// catalogSource picks where to read the catalog: a configured URL, or the
// signaling node gossip shows with the newest catalog.
func (e *Edge) catalogSource(next int) string {
	if n := len(e.cfg.CatalogURLs); n > 0 {
		return e.cfg.CatalogURLs[next%n]
	}
	if e.pool == nil {
		return ""
	}
	var best string
	var rev uint64
	for _, m := range e.pool.Members() {
		if m.Meta.Role == cluster.RoleSignal && m.State == "alive" && m.Meta.API != "" && m.Meta.Catalog > rev {
			best, rev = m.Meta.API, m.Meta.Catalog
		}
	}
	return best
}

func (e *Edge) recheckTitles() {
	if e.titles.recheck() {
		e.publish()
	}
}

// sleep waits d or until the edge closes.
func (e *Edge) sleep(d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
	case <-e.ctx.Done():
	}
}
