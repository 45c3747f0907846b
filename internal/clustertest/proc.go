// Package clustertest holds what the multi-process cluster tests of
// cmd/stratus and the benchmark harnesses that run the stratus binary
// (benchmarks/failover, benchmarks/latency) share: that binary, built when
// missing; its nodes run as child processes on this machine, with their
// output in log files and kill -9 and SIGTERM at hand; their HTTP APIs
// asked without a proxy, as the operator where they require it; and the
// play page's state, read from window.stratus in Chromium.
//
// The benchmarks are programs, so nothing here calls t.Fatal: errors are
// returned, and the tests wrap what they need with their *testing.T.
package clustertest

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"stratus/trust"
)

// Process is one child process with its combined stdout and stderr in a
// log file.
type Process struct {
	Name string
	Log  string // path of its log: dir/Name.log, first line "$ argv"
	Cmd  *exec.Cmd
	done chan struct{} // closed once it has exited
	err  error         // its exit status, once done is closed
}

// Env is this process's environment without STRATUS_ settings, which would
// silently change the children's configuration (cmd/stratus reads them as
// flag defaults), and without proxy settings: every address of a local
// cluster is on this machine.
func Env() []string {
	var env []string
	for _, kv := range os.Environ() {
		name, _, _ := strings.Cut(kv, "=")
		if strings.HasPrefix(name, "STRATUS_") || strings.HasSuffix(strings.ToLower(name), "_proxy") {
			continue
		}
		env = append(env, kv)
	}
	return env
}

// Start runs argv (argv[0] is the program) with Env, its output appended to
// dir/name.log after a first line "$ argv". Appending lets a process
// restarted under the same name keep the earlier run's output in one log.
func Start(dir, name string, argv []string) (*Process, error) {
	return StartEcho(dir, name, argv, nil)
}

// StartEcho is Start with the output also copied to echo (when not nil) as
// it comes, for a person watching a harness run.
func StartEcho(dir, name string, argv []string, echo io.Writer) (*Process, error) {
	p := &Process{Name: name, Log: filepath.Join(dir, name+".log"), done: make(chan struct{})}
	f, err := os.OpenFile(p.Log, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return nil, err
	}
	fmt.Fprintf(f, "$ %s\n", strings.Join(argv, " "))
	p.Cmd = exec.Command(argv[0], argv[1:]...)
	p.Cmd.Env = Env()
	p.Cmd.Stdout, p.Cmd.Stderr = f, f
	if echo != nil {
		out := io.MultiWriter(f, echo)
		p.Cmd.Stdout, p.Cmd.Stderr = out, out
		// The copy ends when every holder of the pipe has closed it: a
		// game the process left behind must not keep Wait from returning.
		p.Cmd.WaitDelay = time.Second
	}
	// Should the parent (test binary or harness) die, take the process
	// along rather than leave it holding ports.
	p.Cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := p.Cmd.Start(); err != nil {
		f.Close()
		return nil, fmt.Errorf("starting %s: %w", name, err)
	}
	go func() {
		p.err = p.Cmd.Wait()
		f.Close()
		close(p.done)
	}()
	return p, nil
}

// Exited says whether the process has exited.
func (p *Process) Exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

// Err is the exit status once the process has exited (nil for status 0),
// and nil while it runs.
func (p *Process) Err() error {
	select {
	case <-p.done:
		return p.err
	default:
		return nil
	}
}

// Kill sends SIGKILL (kill -9) and waits for the process to be gone. It
// returns the wall-clock time of the signal, which failover timings start
// from.
func (p *Process) Kill() time.Time {
	at := time.Now()
	if !p.Exited() {
		p.Cmd.Process.Kill()
		<-p.done
	}
	return at
}

// Term sends SIGTERM unless the process has exited; Wait then says how it
// went.
func (p *Process) Term() {
	if !p.Exited() {
		p.Cmd.Process.Signal(syscall.SIGTERM)
	}
}

// Stop asks the process to drain and exit (SIGTERM, as a service manager
// would), kills it if it has not exited within limit, and reports whether
// it exited by itself.
func (p *Process) Stop(limit time.Duration) bool {
	p.Term()
	exited, _ := p.Wait(limit)
	if !exited {
		p.Kill()
	}
	return exited
}

// Wait waits up to limit for the process to exit, and returns whether it
// did and its exit status.
func (p *Process) Wait(limit time.Duration) (bool, error) {
	t := time.NewTimer(limit)
	defer t.Stop()
	select {
	case <-p.done:
		return true, p.err
	case <-t.C:
		return false, nil
	}
}

// LogText is the log so far.
func (p *Process) LogText() string {
	b, _ := os.ReadFile(p.Log)
	return string(b)
}

// LogTail is the last n lines of the log, after a line that counts those
// left out.
func (p *Process) LogTail(n int) string {
	lines := strings.Split(strings.TrimRight(p.LogText(), "\n"), "\n")
	if len(lines) > n {
		lines = append([]string{fmt.Sprintf("… %d lines before", len(lines)-n)}, lines[len(lines)-n:]...)
	}
	return strings.Join(lines, "\n")
}

// LogContains says whether a line of the log contains any of the words
// (case-insensitive).
func (p *Process) LogContains(words ...string) bool {
	sc := bufio.NewScanner(strings.NewReader(strings.ToLower(p.LogText())))
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		for _, w := range words {
			if strings.Contains(sc.Text(), strings.ToLower(w)) {
				return true
			}
		}
	}
	return false
}

// BindFailed says whether the process exited because a port was taken:
// free ports are found before the process binds them, so another process
// can win the race, and the caller may start it again on other ports.
func (p *Process) BindFailed() bool {
	return p.Exited() && strings.Contains(p.LogText(), "address already in use")
}

// WaitReady polls url every 25 ms with hc until it answers 200 OK. It
// fails when the process exits first, after limit, or when ctx ends.
func (p *Process) WaitReady(ctx context.Context, hc *http.Client, url string, limit time.Duration) error {
	deadline := time.Now().Add(limit)
	for {
		if resp, err := hc.Get(url); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		if p.Exited() {
			return fmt.Errorf("%s exited before it was ready: %v", p.Name, p.err)
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%s not ready at %s after %v", p.Name, url, limit)
		}
		t := time.NewTimer(25 * time.Millisecond)
		select {
		case <-ctx.Done():
			t.Stop()
			return ctx.Err()
		case <-t.C:
		}
	}
}

// HTTPClient is a client for the nodes' HTTP APIs. It never uses a proxy
// (every address of a local cluster is on this machine), and gives up on
// an answer after 3 s, so that a hung node fails a poll rather than the
// whole wait.
func HTTPClient() *http.Client {
	return &http.Client{Timeout: 3 * time.Second, Transport: &http.Transport{Proxy: nil}}
}

// GetJSON fetches url with hc into v; an answer other than 200 OK is an
// error that carries its body, which says what went wrong.
func GetJSON(hc *http.Client, url string, v any) error {
	resp, err := hc.Get(url)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 4<<20))
	if err != nil {
		return err
	}
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("GET %s: %s: %s", url, resp.Status, bytes.TrimSpace(body))
	}
	return json.Unmarshal(body, v)
}

// NewOperatorToken creates a fresh operator token in dir/operator.token,
// as `stratus operator token` does, for a cluster's signaling nodes to
// require and its tests to send.
func NewOperatorToken(dir string) (path string, tok trust.Token, err error) {
	path = filepath.Join(dir, "operator.token")
	tok, _, err = trust.EnsureTokenFile(path)
	return path, tok, err
}

// OperatorClient is HTTPClient acting as the operator: it sends token as
// a Bearer token with every request.
func OperatorClient(token trust.Token) *http.Client {
	hc := HTTPClient()
	hc.Transport = trust.BearerTransport{Token: token, Next: hc.Transport}
	return hc
}
