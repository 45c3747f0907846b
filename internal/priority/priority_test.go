package priority

import (
	"runtime"
	"sync"
	"testing"

	"golang.org/x/sys/unix"
)

// TestSetReachesEveryThread: after Set, every thread of the process has the
// new value, and so does a thread started afterwards. Raising the nice
// value needs no privilege, so the test runs as any user.
func TestSetReachesEveryThread(t *testing.T) {
	before, err := Of(0)
	if err != nil {
		t.Fatal(err)
	}
	want := min(before+1, 19)
	if err := Set(want); err != nil {
		t.Fatal(err)
	}
	tids, err := threads()
	if err != nil {
		t.Fatal(err)
	}
	if len(tids) < 2 {
		t.Fatalf("%d threads listed; a Go process has several", len(tids))
	}
	for _, tid := range tids {
		got, err := Of(tid)
		if err != nil && err != unix.ESRCH {
			t.Fatalf("thread %d: %v", tid, err)
		}
		if err == nil && got != want {
			t.Fatalf("thread %d: nice %d, want %d", tid, got, want)
		}
	}
	// A goroutine locked to a new thread: the runtime must start one, from
	// a thread that already has the new value.
	var wg sync.WaitGroup
	var got int
	var gerr error
	wg.Go(func() {
		runtime.LockOSThread() // the thread ends with the goroutine
		got, gerr = Of(0)
	})
	wg.Wait()
	if gerr != nil || got != want {
		t.Fatalf("a later thread: nice %d (%v), want %d", got, gerr, want)
	}
}

func TestSetRefusesOutOfRange(t *testing.T) {
	for _, nice := range []int{-21, 20, 100} {
		if err := Set(nice); err == nil {
			t.Errorf("Set(%d) accepted", nice)
		}
	}
}
