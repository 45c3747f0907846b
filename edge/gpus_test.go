package edge

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"stratus/cluster"
	"stratus/edge/api"
	"stratus/edge/gpu"
	"stratus/title/builtin"
)

// gpuEdge is an edge on fake hardware, with its API client, registry and
// log.
type gpuEdge struct {
	*Edge
	c   *api.Client
	reg *prometheus.Registry
	log *logBuffer
}

func newGPUEdge(t *testing.T, software int, gpus *fakeGPUs, codecs *fakeCodecs) gpuEdge {
	t.Helper()
	noLeaks(t)
	cfg := DefaultConfig()
	cfg.Name, cfg.Capacity = "gpu-edge", software
	cfg.Stream.ListenIP, cfg.Stream.UDPPort, cfg.Stream.TCPPort = "127.0.0.1", 0, -1
	cat, err := builtin.Catalog()
	if err != nil {
		t.Fatal(err)
	}
	ge := gpuEdge{reg: prometheus.NewRegistry(), log: &logBuffer{}}
	log := slog.New(slog.NewTextHandler(ge.log, nil))
	if ge.Edge, err = newEdge(cfg, cat, ge.reg, log, codecs.hardware(gpus)); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(ge.Handler())
	t.Cleanup(func() {
		srv.Close()
		closeEdge(t, ge.Edge)
	})
	if ge.c, err = api.NewClient(srv.URL, nil); err != nil {
		t.Fatal(err)
	}
	return ge
}

func (ge gpuEdge) join(t *testing.T) (string, error) {
	t.Helper()
	resp, err := ge.c.CreateSession(context.Background(), api.CreateRequest{Title: "testpattern", Offer: offer(t)})
	return resp.ID, err
}

func (ge gpuEdge) status(t *testing.T) api.Status {
	t.Helper()
	st, err := ge.c.Status(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return st
}

// sessionEncoders lists the encoder of each running session, by id.
func (ge gpuEdge) sessionEncoders(t *testing.T) map[string]string {
	out := map[string]string{}
	for _, s := range ge.status(t).Sessions {
		out[s.ID] = s.Encoder
	}
	return out
}

// counter is the value of counter name (with label encoder when not
// empty) as a scrape of the edge's registry shows it; -1 when absent.
func (ge gpuEdge) counter(t *testing.T, name, encoder string) float64 {
	t.Helper()
	families, err := ge.reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range families {
		if f.GetName() != name {
			continue
		}
		for _, m := range f.GetMetric() {
			got := ""
			for _, l := range m.GetLabel() {
				if l.GetName() == "encoder" {
					got = l.GetValue()
				}
			}
			if got == encoder {
				return m.GetCounter().GetValue()
			}
		}
	}
	return -1
}

// eventually retries check until it passes or 5 s are up.
func eventually(t *testing.T, what string, check func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !check() {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within 5 s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// TestGPUEdgeAdmission: capacity is software plus NVENC; sessions go to
// the GPUs first, spread across them, then to software, then are refused.
func TestGPUEdgeAdmission(t *testing.T) {
	codecs := &fakeCodecs{}
	gpus := newFakeGPUs(l4(0), l4(1))
	// A small GPU: its memory, not the session limit, bounds it.
	gpus.inv.GPUs[1].MemoryTotal, gpus.inv.GPUs[1].MemoryUsed = 1536<<20, 0
	ge := newGPUEdge(t, 1, gpus, codecs)
	st := ge.status(t)
	// GPU 0: 8 sessions (the default limit); GPU 1: 6 (1.5 GiB of 256 MiB).
	if st.Capacity != 1+8+6 || st.GPUs == nil || st.GPUs.NVENCCapacity != 14 || st.GPUs.SoftwareCapacity != 1 {
		t.Fatalf("capacity %d, gpus %+v; want 1 software + 14 NVENC", st.Capacity, st.GPUs)
	}
	if !strings.Contains(strings.Join(st.Encoders, ","), "nvenc") || st.Health != "ok" {
		t.Errorf("encoders %v, health %s", st.Encoders, st.Health)
	}
	for range 4 {
		if _, err := ge.join(t); err != nil {
			t.Fatal(err)
		}
	}
	if got := fmt.Sprint(codecs.gpus()); got != "[0 1 0 1]" {
		t.Errorf("sessions on GPUs %s, want [0 1 0 1]", got)
	}
	st = ge.status(t)
	for _, d := range st.GPUs.Devices {
		if d.Sessions != 2 || !d.NVENC {
			t.Errorf("GPU %d: %d sessions, NVENC %v; want 2, true", d.Index, d.Sessions, d.NVENC)
		}
	}
	for id, enc := range ge.sessionEncoders(t) {
		if enc != "nvenc" {
			t.Errorf("session %s encodes with %s", id, enc)
		}
	}
	if got := ge.counter(t, "stratus_edge_sessions_started_total", "nvenc"); got != 4 {
		t.Errorf("stratus_edge_sessions_started_total{encoder=nvenc} = %v, want 4", got)
	}
	m := ge.meta()
	if m.GPU.Count != 2 || m.GPU.NVENC != 2 || m.GPU.Model != "NVIDIA L4" || m.Capacity != 15 || m.Free != 11 {
		t.Errorf("gossip: capacity %d free %d GPU %+v", m.Capacity, m.Free, m.GPU)
	}
	if got := ge.counter(t, "stratus_edge_sessions_started_total", "x264"); got != 0 {
		t.Errorf("stratus_edge_sessions_started_total{encoder=x264} = %v, want 0", got)
	}
	if got := ge.counter(t, "stratus_edge_encoder_fallbacks_total", ""); got != 0 {
		t.Errorf("stratus_edge_encoder_fallbacks_total = %v, want 0", got)
	}
}

// TestGPUEdgeNoNVENC: an H200 edge says so once and encodes in software.
func TestGPUEdgeNoNVENC(t *testing.T) {
	codecs := &fakeCodecs{}
	ge := newGPUEdge(t, 1, newFakeGPUs(h200(0)), codecs)
	if !strings.Contains(ge.log.String(), "GPU NVIDIA H200 has no NVENC engine: sessions encode with x264") {
		t.Errorf("log lacks the no-NVENC warning:\n%s", ge.log)
	}
	st := ge.status(t)
	if st.Capacity != 1 || st.GPUs.NVENCCapacity != 0 || st.GPUs.Devices[0].NVENC || st.GPUs.Devices[0].Why != "no NVENC engine" {
		t.Errorf("status capacity %d, gpus %+v", st.Capacity, st.GPUs)
	}
	id, err := ge.join(t)
	if err != nil {
		t.Fatal(err)
	}
	if enc := ge.sessionEncoders(t)[id]; enc != "x264" || codecs.nvencTries != 0 {
		t.Errorf("session encodes with %q after %d NVENC tries; want x264 without trying", enc, codecs.nvencTries)
	}
	if _, err := ge.join(t); code(err) != api.CodeEdgeFull {
		t.Errorf("second join: %v, want edge full", err)
	}
}

// TestGPUEdgeSessionLost: an NVENC session that is lost goes on in x264,
// counted, and the page and status see the new encoder.
func TestGPUEdgeSessionLost(t *testing.T) {
	codecs := &fakeCodecs{loseAfter: 10}
	ge := newGPUEdge(t, 1, newFakeGPUs(l4(0)), codecs)
	id, err := ge.join(t)
	if err != nil {
		t.Fatal(err)
	}
	eventually(t, "session moved to x264", func() bool { return ge.sessionEncoders(t)[id] == "x264" })
	if got := ge.counter(t, "stratus_edge_encoder_fallbacks_total", ""); got != 1 {
		t.Errorf("stratus_edge_encoder_fallbacks_total = %v, want 1", got)
	}
	if !strings.Contains(ge.log.String(), "encoder lost: session goes on in software") {
		t.Errorf("log lacks the fallback:\n%s", ge.log)
	}
	st := ge.status(t)
	if len(st.Sessions) != 1 {
		t.Fatalf("sessions %+v", st.Sessions)
	}
	if err := ge.c.DeleteSession(context.Background(), id); err != nil {
		t.Fatal(err)
	}
	eventually(t, "slot freed", func() bool { return ge.status(t).Active == 0 })
	ge.encoders.mu.Lock()
	soft, where := ge.encoders.soft, len(ge.encoders.where)
	ge.encoders.mu.Unlock()
	if soft != 0 || where != 0 {
		t.Errorf("after the session ended: %d software slots, %d placements held", soft, where)
	}
}

// TestGPUEdgeDegraded: a GPU that disappears makes the edge degraded in
// status and gossip, and no session goes onto it; its sessions run on.
func TestGPUEdgeDegraded(t *testing.T) {
	codecs := &fakeCodecs{}
	gpus := newFakeGPUs(l4(0), l4(1))
	ge := newGPUEdge(t, 1, gpus, codecs)
	if _, err := ge.join(t); err != nil {
		t.Fatal(err)
	}
	gpus.lose(0)
	if !ge.gpus.read() {
		t.Error("losing a GPU was not reported as a change to publish")
	}
	st := ge.status(t)
	if st.Health != string(cluster.HealthDegraded) || !strings.Contains(st.HealthReason, "GPU 0 (NVIDIA L4): lost") {
		t.Errorf("health %q (%q), want degraded naming GPU 0", st.Health, st.HealthReason)
	}
	if st.Capacity != 1+8 || st.GPUs.Devices[0].Err == "" || st.GPUs.Devices[0].NVENC {
		t.Errorf("capacity %d, GPU 0 %+v; want 9 and GPU 0 out of use", st.Capacity, st.GPUs.Devices[0])
	}
	if h := ge.meta().Health; h != cluster.HealthDegraded {
		t.Errorf("gossiped health %q", h)
	}
	if len(st.Sessions) != 1 {
		t.Errorf("the session on the lost GPU did not run on: %+v", st.Sessions)
	}
	for range 3 {
		if _, err := ge.join(t); err != nil {
			t.Fatal(err)
		}
	}
	if got := fmt.Sprint(codecs.gpus()); got != "[0 1 1 1]" {
		t.Errorf("sessions on GPUs %s, want [0 1 1 1]: none on lost GPU 0", got)
	}
	if !strings.Contains(ge.log.String(), "GPU degraded") {
		t.Errorf("log lacks the degraded warning:\n%s", ge.log)
	}
}

// TestEdgeWithoutDriver is the real path on machines without NVIDIA: New
// says so once, and the edge is an x264 edge without a GPU section.
func TestEdgeWithoutDriver(t *testing.T) {
	if _, err := gpu.Open(nil); !errors.Is(err, gpu.ErrNoDriver) {
		t.Skipf("this machine has NVML (%v)", err)
	}
	noLeaks(t)
	cfg := DefaultConfig()
	cfg.Name, cfg.Capacity = "plain", 1
	cfg.Stream.ListenIP, cfg.Stream.UDPPort, cfg.Stream.TCPPort = "127.0.0.1", 0, -1
	cat, err := builtin.Catalog()
	if err != nil {
		t.Fatal(err)
	}
	var log logBuffer
	e, err := New(cfg, cat, prometheus.NewRegistry(), slog.New(slog.NewTextHandler(&log, nil)))
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	if n := strings.Count(log.String(), "no NVIDIA driver: sessions encode with x264"); n != 1 {
		t.Errorf("no-driver line logged %d times:\n%s", n, log.String())
	}
	st := e.Status()
	if st.GPUs != nil || st.Capacity != 1 || fmt.Sprint(st.Encoders) != "[x264]" || st.Health != "ok" {
		t.Errorf("status: gpus %+v, capacity %d, encoders %v, health %s", st.GPUs, st.Capacity, st.Encoders, st.Health)
	}
	if err := e.Close(); err != nil {
		t.Errorf("Close: %v", err)
	}
	if err := e.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
}
