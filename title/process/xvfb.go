package process

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// defaultPath is the PATH a game (and Xvfb, which runs xkbcomp) gets: the
// edge's own PATH may name directories a game has no business in.
const defaultPath = "/usr/local/bin:/usr/bin:/bin"

// xserver is one Xvfb.
type xserver struct {
	cmd     *exec.Cmd
	display int
	done    chan struct{} // closed once Wait has returned
	stderr  *tail
}

// startXvfb starts an X server of w×h pixels. It passes -displayfd, so the
// server picks a free display itself and writes its number to a pipe when it
// accepts connections: no guessing of free numbers, no race with another
// server starting at the same time, and a readiness signal for free.
// started runs as soon as the process exists (to record its PID), before
// the wait for the display. auth is the session's Xauthority file: the
// server admits only clients that present its cookie.
func startXvfb(bin, auth string, w, h int, marker string, timeout time.Duration, started func(pid int) error) (*xserver, error) {
	r, wr, err := os.Pipe()
	if err != nil {
		return nil, err
	}
	defer r.Close()
	x := &xserver{done: make(chan struct{}), stderr: &tail{}, display: -1}
	x.cmd = exec.Command(bin,
		"-displayfd", "3", // ExtraFiles[0]
		"-screen", "0", fmt.Sprintf("%dx%dx24", w, h), // 24 bits: 32-bit BGRX pixels for capture
		"-nolisten", "tcp", // local clients only
		"-auth", auth, // and only those with the session's cookie
		"-noreset", // the server outlives the game's last client disconnecting
		"-br",      // black root window, not a pattern, before the game draws
	)
	x.cmd.Env = []string{"PATH=" + defaultPath, marker}
	x.cmd.ExtraFiles = []*os.File{wr}
	x.cmd.Stdout = x.stderr
	x.cmd.Stderr = x.stderr
	x.cmd.WaitDelay = time.Second // xkbcomp children hold stderr briefly
	x.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	err = x.cmd.Start()
	wr.Close()
	if err != nil {
		return nil, fmt.Errorf("start %s: %w", bin, err)
	}
	go func() {
		x.cmd.Wait()
		close(x.done)
	}()
	if err := started(x.cmd.Process.Pid); err != nil {
		x.kill()
		return nil, err
	}

	line := make(chan string, 1)
	go func() {
		s, _ := bufio.NewReader(r).ReadString('\n')
		line <- s
	}()
	timer := time.NewTimer(timeout)
	defer timer.Stop()
	select {
	case s := <-line:
		n, err := strconv.Atoi(strings.TrimSpace(s))
		if err != nil || n < 0 {
			x.kill()
			return nil, x.failure("exited before reporting its display")
		}
		x.display = n
		return x, nil
	case <-timer.C:
		x.kill()
		return nil, x.failure(fmt.Sprintf("did not report a display within %v", timeout))
	}
}

// kill ends a server that never became usable, and waits for it.
func (x *xserver) kill() {
	syscall.Kill(-x.cmd.Process.Pid, syscall.SIGKILL)
	<-x.done
	n := x.display
	if n < 0 {
		n = displayOfPID(x.cmd.Process.Pid) // it may have locked one before failing
	}
	removeDisplayFiles(n)
}

// failure describes why the server did not start, with its last words.
func (x *xserver) failure(what string) error {
	msg := "Xvfb " + what
	if ls := x.stderr.lines(3, 300); len(ls) > 0 {
		msg += ": " + strings.Join(ls, " / ")
	}
	return errors.New(msg)
}
