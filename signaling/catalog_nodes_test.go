package signaling_test

import (
	"testing"
	"time"

	"stratus/internal/edgenet"
	"stratus/internal/pgtest"
	"stratus/signaling"
	"stratus/signaling/studio"
	"stratus/title/catalog"
	"stratus/trust/enroll"
)

// Two signaling nodes on one PostgreSQL ledger share one studio catalog:
// a title uploaded through one is in the catalog the other serves its
// edges, under the same revision, and the other's long-polling edges hear
// of it within the catalog's follow interval.
func TestNodesShareTheCatalog(t *testing.T) {
	noLeaks(t)
	dsn := pgtest.Start(t)
	net := edgenet.New()
	net.Start(edgenet.EdgeConfig{Name: "eu-1", Region: "eu", Capacity: 2})
	const key = "acme-key-0123456789"
	regDir := t.TempDir() // shared, as the nodes of one network share it
	node := func(name string) *node {
		return newNode(t, net, func(c *signaling.Config) {
			rc := enroll.DefaultConfig()
			rc.Dir = regDir
			c.Name, c.Registry, c.DataDir, c.LedgerDB = name, &rc, t.TempDir(), dsn
			c.Studio = &studio.Config{DataDir: t.TempDir(), Keys: map[string][]string{"acme": {key}}}
		})
	}
	a, b := node("sig-a"), node("sig-b")

	_, before, err := catalog.Fetch(t.Context(), nil, b.URL, "", 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	if before {
		t.Fatal("an empty catalog has a revision")
	}
	type fetched struct {
		snap catalog.Snapshot
		err  error
		at   time.Time
	}
	got := make(chan fetched, 1)
	go func() {
		// An edge of node b, long-polling.
		snap, _, err := catalog.Fetch(t.Context(), nil, b.URL, "", 0, 10*time.Second)
		got <- fetched{snap, err, time.Now()}
	}()
	c, err := studio.NewClient(a.URL, key, nil)
	if err != nil {
		t.Fatal(err)
	}
	uploaded := time.Now()
	if _, err := c.Create(t.Context(), []byte(`{"id":"rocket","name":"Rocket","version":"1.0.0","runtime":"process","command":"start.sh","width":640,"height":360,"fps":30,"input":{"keyboard":true}}`)); err != nil {
		t.Fatal(err)
	}
	f := <-got
	if f.err != nil || len(f.snap.Titles) != 1 || f.snap.Titles[0].ID != "rocket" {
		t.Fatalf("node b's catalog: %+v %v", f.snap, f.err)
	}
	t.Logf("node b's edge heard of node a's upload after %v", f.at.Sub(uploaded).Round(time.Millisecond))
	snapA, _, err := catalog.Fetch(t.Context(), nil, a.URL, "", 0, 0)
	if err != nil || snapA.Revision != f.snap.Revision {
		t.Fatalf("node a at revision %d (%v), node b at %d", snapA.Revision, err, f.snap.Revision)
	}
}
