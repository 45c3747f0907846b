package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

const (
	healthTimeout = 30 * time.Second
	stopTimeout   = 10 * time.Second
)

// server is a running `stratus serve` child process.
type server struct {
	cmd  *exec.Cmd
	args []string // the command line, binary first
	base string   // player-facing URL
	edge edgeClient
	done chan struct{} // closed when the process has exited
	err  error         // its exit status, once done is closed
}

// serverBinary returns the stratus binary to run: path when it exists,
// otherwise one built from ./cmd/stratus into a temporary directory, which
// cleanup removes.
func serverBinary(ctx context.Context, path string) (bin string, cleanup func(), err error) {
	if _, err := os.Stat(path); err == nil {
		return path, func() {}, nil
	} else if !errors.Is(err, os.ErrNotExist) {
		return "", nil, fmt.Errorf("server binary: %w", err)
	}
	dir, err := os.MkdirTemp("", "stratus-latency-")
	if err != nil {
		return "", nil, err
	}
	cleanup = func() { os.RemoveAll(dir) }
	bin = filepath.Join(dir, "stratus")
	progress("%s is missing; building %s", path, bin)
	cmd := exec.CommandContext(ctx, "go", "build", "-o", bin, "./cmd/stratus")
	cmd.Dir, err = moduleRoot(ctx)
	if err != nil {
		cleanup()
		return "", nil, err
	}
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	if err := cmd.Run(); err != nil {
		cleanup()
		return "", nil, fmt.Errorf("go build ./cmd/stratus: %w", err)
	}
	return bin, cleanup, nil
}

// moduleRoot is the directory of the stratus go.mod.
func moduleRoot(ctx context.Context) (string, error) {
	out, err := exec.CommandContext(ctx, "go", "env", "GOMOD").Output()
	if err != nil {
		return "", fmt.Errorf("go env GOMOD: %w", err)
	}
	mod := strings.TrimSpace(string(out))
	if mod == "" || mod == os.DevNull {
		return "", errors.New("not inside the stratus module; run from the repository or pass -bin")
	}
	return filepath.Dir(mod), nil
}

// freePorts finds n distinct free TCP ports on loopback by listening on
// port 0. All listeners stay open until every port is chosen, so the kernel
// cannot hand out one port twice; another process could still take one
// before the server binds it, which would make the start fail loudly.
func freePorts(n int) ([]int, error) {
	ports := make([]int, 0, n)
	for range n {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, fmt.Errorf("finding a free port: %w", err)
		}
		defer ln.Close()
		ports = append(ports, ln.Addr().(*net.TCPAddr).Port)
	}
	return ports, nil
}

// startServer runs `bin serve` on free loopback ports with media on
// loopback too, and waits until both HTTP listeners answer /healthz.
func startServer(ctx context.Context, bin string) (*server, error) {
	ports, err := freePorts(2)
	if err != nil {
		return nil, err
	}
	addr := "127.0.0.1:" + strconv.Itoa(ports[0])
	edgeAddr := "127.0.0.1:" + strconv.Itoa(ports[1])
	args := []string{bin, "serve",
		"-addr", addr, "-edge-addr", edgeAddr,
		"-media-ip", "127.0.0.1", "-udp-port", "0", "-tcp-port", "0",
		"-log-level", "warn"}
	s := &server{
		cmd:  exec.Command(args[0], args[1:]...),
		args: args,
		base: "http://" + addr,
		edge: newEdgeClient("http://" + edgeAddr),
		done: make(chan struct{}),
	}
	s.cmd.Stdout, s.cmd.Stderr = os.Stderr, os.Stderr
	// Should this process die without cleaning up, take the server along.
	s.cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := s.cmd.Start(); err != nil {
		return nil, fmt.Errorf("starting %s: %w", bin, err)
	}
	go func() {
		s.err = s.cmd.Wait()
		close(s.done)
	}()
	if err := s.waitHealthy(ctx); err != nil {
		s.stop()
		return nil, err
	}
	return s, nil
}

// waitHealthy polls /healthz on both listeners until they answer 200, the
// process exits, or healthTimeout passes.
func (s *server) waitHealthy(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, healthTimeout)
	defer cancel()
	for _, url := range []string{s.base + "/healthz", s.edge.base + "/healthz"} {
		for !healthy(ctx, url) {
			select {
			case <-s.done:
				return fmt.Errorf("server exited before it was healthy: %v", s.err)
			case <-ctx.Done():
				return fmt.Errorf("waiting for %s: %w", url, ctx.Err())
			case <-time.After(50 * time.Millisecond):
			}
		}
	}
	return nil
}

func healthy(ctx context.Context, url string) bool {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return false
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return false
	}
	resp.Body.Close()
	return resp.StatusCode == http.StatusOK
}

// stop asks the server to drain (SIGINT, as Ctrl-C would) and kills it if
// it has not exited within stopTimeout.
func (s *server) stop() {
	select {
	case <-s.done:
		return
	default:
	}
	s.cmd.Process.Signal(os.Interrupt)
	select {
	case <-s.done:
	case <-time.After(stopTimeout):
		progress("server did not stop within %v; killing it", stopTimeout)
		s.cmd.Process.Kill()
		<-s.done
	}
}

// playURL is the play page for a title.
func (s *server) playURL(title string) string {
	return s.base + "/play?title=" + title
}
