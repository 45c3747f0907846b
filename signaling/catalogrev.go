package signaling

import "sync"

// catalogPublisher tells the cluster which revision of the studio catalog
// this node serves. PublishCatalog is called from one goroutine at a time.
type catalogPublisher interface {
	PublishCatalog(rev uint64)
}

// catalogSource is the studio catalog as the announcer reads it: its
// revision, and a channel closed at its next change. Both may be called
// from any goroutine.
type catalogSource interface {
	Revision() uint64
	Changed() <-chan struct{}
}

// catalogAnnouncer publishes every new revision of the studio catalog, so
// that edges fetch the catalog at once rather than at their next poll. Its
// goroutine runs from newCatalogAnnouncer until close.
type catalogAnnouncer struct {
	src        catalogSource
	pub        catalogPublisher
	stop, done chan struct{}
	closeOnce  sync.Once
}

func newCatalogAnnouncer(src catalogSource, pub catalogPublisher) *catalogAnnouncer {
	a := &catalogAnnouncer{src: src, pub: pub, stop: make(chan struct{}), done: make(chan struct{})}
	go a.run()
	return a
}

func (a *catalogAnnouncer) run() {
	defer close(a.done)
	changed := a.src.Changed()
	for {
		select {
		case <-a.stop:
			return
		case <-changed:
			// Take the next change's channel before reading the revision:
			// a change in between is then announced twice, never missed.
			changed = a.src.Changed()
			a.pub.PublishCatalog(a.src.Revision())
		}
	}
}

// close ends the announcer's goroutine. Safe to call twice.
func (a *catalogAnnouncer) close() {
	a.closeOnce.Do(func() { close(a.stop) })
	<-a.done
}
