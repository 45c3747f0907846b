package cluster

import (
	"fmt"
	"log/slog"
	"net"
	"testing"

	"github.com/hashicorp/memberlist"
)

func fakeNode(t *testing.T, name string, meta Meta, flags byte) *memberlist.Node {
	t.Helper()
	b, err := meta.encode(flags, nil)
	if err != nil {
		t.Fatal(err)
	}
	return &memberlist.Node{Name: name, Addr: net.IPv4(127, 0, 0, 1), Port: 7946, Meta: b}
}

func newTestView() *view { return newView("self", nil, slog.New(slog.DiscardHandler)) }

// A subscriber that does not read loses events but always finds an
// EventResync at the end of its full channel, after which Members() holds
// every change it missed.
func TestSlowSubscriberGetsResync(t *testing.T) {
	v := newTestView()
	ch, cancel := v.subscribe()
	defer cancel()
	const n = subscriberBuffer + 50
	for i := range n {
		v.notifyJoin(fakeNode(t, fmt.Sprintf("m%03d", i), testMeta("x"), 0))
	}
	if len(ch) != cap(ch) {
		t.Fatalf("channel holds %d of %d", len(ch), cap(ch))
	}
	var got []Event
	for range cap(ch) {
		got = append(got, <-ch)
	}
	for i, ev := range got[:len(got)-1] {
		if ev.Type != EventJoin || ev.Member.Name != fmt.Sprintf("m%03d", i) {
			t.Fatalf("event %d: %+v", i, ev)
		}
	}
	if last := got[len(got)-1]; last.Type != EventResync {
		t.Fatalf("last event %v, want resync", last.Type)
	}
	if c := len(v.list()); c != n {
		t.Errorf("view lists %d, want %d", c, n)
	}
	if d := v.dropped.Load(); d != n-(subscriberBuffer-1) {
		t.Errorf("dropped %d, want %d", d, n-(subscriberBuffer-1))
	}
	// Once drained, events flow again.
	v.notifyUpdate(fakeNode(t, "m000", testMeta("y"), 0))
	if ev := <-ch; ev.Type != EventUpdate || ev.Member.Meta.API != testMeta("y").API {
		t.Errorf("after drain: %+v", ev)
	}
}

func TestViewLeaveStates(t *testing.T) {
	v := newTestView()
	ch, cancel := v.subscribe()
	defer cancel()
	v.notifyJoin(fakeNode(t, "self", testMeta("self"), 0))
	v.notifyJoin(fakeNode(t, "crash", testMeta("crash"), 0))
	v.notifyJoin(fakeNode(t, "quit", testMeta("quit"), 0))
	select {
	case <-v.joined:
	default:
		t.Error("joined not closed")
	}
	v.notifyUpdate(fakeNode(t, "quit", testMeta("quit"), metaFlagLeaving))
	for _, m := range v.list() {
		want := StateAlive
		if m.Name == "quit" {
			want = StateLeaving
		}
		if m.State != want {
			t.Errorf("%s: state %q, want %q", m.Name, m.State, want)
		}
	}
	v.notifyLeave(&memberlist.Node{Name: "quit"})
	v.notifyLeave(&memberlist.Node{Name: "crash"})
	v.notifyLeave(&memberlist.Node{Name: "never-seen"})

	want := []struct {
		typ   EventType
		name  string
		state string
	}{
		{EventJoin, "self", StateAlive}, {EventJoin, "crash", StateAlive}, {EventJoin, "quit", StateAlive},
		{EventUpdate, "quit", StateLeaving}, {EventLeave, "quit", StateLeft}, {EventLeave, "crash", StateDead},
	}
	for _, w := range want {
		ev := <-ch
		if ev.Type != w.typ || ev.Member.Name != w.name || ev.Member.State != w.state || ev.At.IsZero() {
			t.Errorf("got %v %s %s, want %v %s %s", ev.Type, ev.Member.Name, ev.Member.State, w.typ, w.name, w.state)
		}
		if ev.Type == EventLeave && ev.Member.Meta.API != testMeta(w.name).API {
			t.Errorf("leave of %s lacks its last meta", w.name)
		}
	}
	if len(ch) != 0 {
		t.Errorf("%d extra events", len(ch))
	}
	select {
	case <-v.alone:
	default:
		t.Error("alone not signalled after the last peer went")
	}
	if got := names(v.list()); len(got) != 1 || got[0] != "self" {
		t.Errorf("left %v", got)
	}
}

func TestViewCloseEndsSubscriptions(t *testing.T) {
	v := newTestView()
	ch1, cancel1 := v.subscribe()
	ch2, cancel2 := v.subscribe()
	cancel1()
	cancel1() // twice is fine
	if _, ok := <-ch1; ok {
		t.Error("cancelled channel open")
	}
	v.close()
	if _, ok := <-ch2; ok {
		t.Error("channel open after close")
	}
	cancel2()
	// Callbacks after close (memberlist shutting down) are harmless.
	v.notifyJoin(fakeNode(t, "late", Meta{}, 0))
	v.notifyLeave(&memberlist.Node{Name: "late"})
}
