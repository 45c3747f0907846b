package main

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"slices"
	"sync"
	"syscall"
	"testing"
	"time"

	"stratus/internal/freeport"
)

// fakeService records what runUntilSignal asks of it, in order.
type fakeService struct {
	mu     sync.Mutex
	calls  []string
	runErr error         // what Run returns
	failed chan struct{} // closing it makes Run fail, as a server would
}

func (f *fakeService) record(s string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, s)
}

func (f *fakeService) Calls() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.calls)
}

func (f *fakeService) Run(ctx context.Context) error {
	f.record("run")
	select {
	case <-ctx.Done():
		f.record("closed")
		return nil
	case <-f.failed:
		f.record("failed")
		return f.runErr
	}
}

func (f *fakeService) Drain(context.Context) { f.record("drain") }

func (f *fakeService) Kill() { f.record("kill") }

func TestRunUntilSignal(t *testing.T) {
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	boom := errors.New("listener gone")
	for _, tt := range []struct {
		name    string
		act     func(f *fakeService)
		wantErr error
		want    []string
	}{
		{
			name:    "the first signal drains, then closes",
			act:     func(*fakeService) { syscall.Kill(syscall.Getpid(), syscall.SIGTERM) },
			wantErr: nil,
			want:    []string{"run", "drain", "closed"},
		},
		{
			name:    "a failing server ends the service without a drain",
			act:     func(f *fakeService) { close(f.failed) },
			wantErr: boom,
			want:    []string{"run", "failed"},
		},
	} {
		t.Run(tt.name, func(t *testing.T) {
			f := &fakeService{runErr: boom, failed: make(chan struct{})}
			done := make(chan error, 1)
			go func() { done <- runUntilSignal(log, f) }()
			// Act only once Run serves, as a signal would arrive.
			poll(t, 5*time.Second, "Run to start", func() (bool, string) {
				return slices.Contains(f.Calls(), "run"), ""
			})
			tt.act(f)
			select {
			case err := <-done:
				if !errors.Is(err, tt.wantErr) {
					t.Errorf("runUntilSignal = %v, want %v", err, tt.wantErr)
				}
			case <-time.After(5 * time.Second):
				t.Fatal("runUntilSignal did not return")
			}
			if got := f.Calls(); !slices.Equal(got, tt.want) {
				t.Errorf("calls %v, want %v", got, tt.want)
			}
		})
	}
}

func TestServersWaitReportsAFailure(t *testing.T) {
	ok, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	broken, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	broken.Close() // its Serve fails at once
	var s servers
	s.serve(&http.Server{Handler: http.NotFoundHandler()}, ok)
	s.serve(&http.Server{Handler: http.NotFoundHandler()}, broken)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := s.wait(ctx); err == nil {
		t.Error("wait returned nil; want the closed listener's error")
	}
	s.shutdown()
	if _, err := net.Dial("tcp", ok.Addr().String()); err == nil {
		t.Error("the healthy server still accepts after shutdown")
	}
}

// TestEveryCommandDrainsOnTheFirstSignal runs each long-running command as
// a process and stops it with one SIGTERM: it takes the draining path and
// exits with status 0.
func TestEveryCommandDrainsOnTheFirstSignal(t *testing.T) {
	clusterTest(t)
	bin := stratusBinary(t)
	for _, tt := range []struct {
		name string
		args func(addr string) []string
		// wantLog is what the command logs on that path.
		wantLog []string
	}{
		{"serve", func(addr string) []string {
			return []string{"serve", "-addr", addr, "-media-ip", "127.0.0.1", "-udp-port", "0", "-tcp-port", "-1"}
		}, []string{"shutting down", "draining", "drained"}},
		{"edge", func(addr string) []string {
			gossip := hostPort("127.0.0.1", freeport.Must(t, "127.0.0.1", freeport.Both))
			return []string{"edge", "-dev", "-api", addr, "-gossip", gossip, "-media-ip", "127.0.0.1", "-udp-port", "0", "-tcp-port", "-1"}
		}, []string{"shutting down", "draining", "drained"}},
		{"signal", func(addr string) []string {
			// An edge that never answers: routing is not what is tested.
			return []string{"signal", "-addr", addr, "-edges", "http://127.0.0.1:9"}
		}, []string{"shutting down"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			addr := hostPort("127.0.0.1", freeport.Must(t, "127.0.0.1", freeport.TCP))
			p := startProc(t, tt.name, append([]string{bin}, tt.args(addr)...))
			if err := p.WaitReady(t.Context(), httpc, "http://"+addr+"/healthz", 20*time.Second); err != nil {
				t.Fatal(err)
			}
			if err := p.term(15 * time.Second); err != nil {
				t.Errorf("exit status after one SIGTERM: %v, want 0", err)
			}
			for _, w := range tt.wantLog {
				if !p.LogContains(w) {
					t.Errorf("log lacks %q", w)
				}
			}
		})
	}
}
