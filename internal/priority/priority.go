// Package priority sets the scheduling priority (nice value) of the whole
// running process.
//
// On Linux a nice value belongs to a thread, not to a process: setpriority
// with PRIO_PROCESS and a thread id changes that thread alone, and a new
// thread starts with its creator's value. Go's runtime starts threads from
// whichever thread needs one, and cgo libraries (x264's slice threads) start
// their own, so the process's priority is set on every thread it has at the
// time; every thread started later inherits it.
package priority

import (
	"errors"
	"fmt"
	"os"
	"strconv"

	"golang.org/x/sys/unix"
)

// Valid reports whether nice is a nice value Linux accepts.
func Valid(nice int) bool { return nice >= -20 && nice <= 19 }

// Set gives every thread of the process the nice value nice. A negative
// value needs CAP_SYS_NICE (or root); without it Set fails with an error
// wrapping unix.EACCES or unix.EPERM and leaves the threads it could not
// change as they were. Threads that end while Set walks them are skipped.
func Set(nice int) error {
	if !Valid(nice) {
		return fmt.Errorf("priority: nice %d: want -20 to 19", nice)
	}
	tids, err := threads()
	if err != nil {
		return err
	}
	var errs []error
	for _, tid := range tids {
		err := unix.Setpriority(unix.PRIO_PROCESS, tid, nice)
		if err != nil && !errors.Is(err, unix.ESRCH) {
			errs = append(errs, fmt.Errorf("priority: thread %d: %w", tid, err))
		}
	}
	// One thread's error says it all: the rest failed for the same reason.
	if len(errs) > 0 {
		return errs[0]
	}
	return nil
}

// Of returns the nice value of thread tid (0: the calling thread).
func Of(tid int) (int, error) {
	// The raw system call returns 20 − nice so that no value is negative;
	// x/sys passes that through.
	p, err := unix.Getpriority(unix.PRIO_PROCESS, tid)
	if err != nil {
		return 0, err
	}
	return 20 - p, nil
}

// threads lists the ids of the process's threads.
func threads() ([]int, error) {
	ents, err := os.ReadDir("/proc/self/task")
	if err != nil {
		return nil, fmt.Errorf("priority: listing threads: %w", err)
	}
	tids := make([]int, 0, len(ents))
	for _, e := range ents {
		if tid, err := strconv.Atoi(e.Name()); err == nil {
			tids = append(tids, tid)
		}
	}
	return tids, nil
}
