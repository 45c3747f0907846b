package edge

import (
	"net/http"

	"github.com/pion/webrtc/v4"

	"stratus/edge/api"
	"stratus/trust"
)

// maxBody bounds an edge API request; an SDP offer is a few KiB.
const maxBody = 256 << 10

// Handler serves the edge API, health endpoints and metrics-free status.
// The control calls (titles, sessions, status, drain) need the operator's
// token or a signaling node's ticket (trust.Control); the RTT probe and
// health checks, which pages and load balancers call, need nothing.
func (e *Edge) Handler() http.Handler {
	mux := http.NewServeMux()
	ctl := http.NewServeMux()
	mux.Handle("/v1/", e.control.Require(ctl))
	e.controlRoutes(ctl)
	if e.cfg.ProbeURL == "" {
		mux.HandleFunc("GET /v1/probe", e.handleProbe)
	}
	mux.HandleFunc("GET /healthz", healthz)
	mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, r *http.Request) {
		st := e.Status()
		if st.Free == 0 {
			http.Error(w, "full", http.StatusServiceUnavailable)
			return
		}
		w.Write([]byte("ready\n"))
	})
	return mux
}

// RequireControl wraps h with the control API's check (the operator's
// token or a signaling node's ticket), for what the process serves beside
// the edge API on its listener (/metrics).
func (e *Edge) RequireControl(h http.Handler) http.Handler { return e.control.Require(h) }

// ProbeHandler serves what anyone may call, on a listener of its own
// (Config.ProbeURL): the RTT probe pages measure and the liveness check.
func (e *Edge) ProbeHandler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /v1/probe", e.handleProbe)
	mux.HandleFunc("GET /healthz", healthz)
	return mux
}

func healthz(w http.ResponseWriter, r *http.Request) { w.Write([]byte("ok\n")) }

func (e *Edge) controlRoutes(mux *http.ServeMux) {
	mux.HandleFunc("GET /v1/titles", e.handleTitles)
	mux.HandleFunc("POST /v1/sessions", e.handleCreate)
	mux.HandleFunc("POST /v1/standbys", e.handleStandby)
	mux.HandleFunc("GET /v1/sessions", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, e.Status().Sessions)
	})
	mux.HandleFunc("POST /v1/sessions/{id}/candidates", e.handleCandidate)
	mux.HandleFunc("DELETE /v1/sessions/{id}", func(w http.ResponseWriter, r *http.Request) {
		if err := e.Stop(r.PathValue("id")); err != nil {
			writeError(w, err)
			return
		}
		w.WriteHeader(http.StatusNoContent)
	})
	mux.HandleFunc("GET /v1/status", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, e.Status())
	})
	mux.HandleFunc("POST /v1/drain", func(w http.ResponseWriter, r *http.Request) {
		e.startDrain()
		w.WriteHeader(http.StatusAccepted)
	})
	mux.HandleFunc("POST /v1/undrain", func(w http.ResponseWriter, r *http.Request) {
		e.Undrain() // idempotent: an edge in service stays so
		w.WriteHeader(http.StatusNoContent)
	})
}

func (e *Edge) handleTitles(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, e.titles.list(r.URL.Query().Get("all") == "1"))
}

func (e *Edge) handleCreate(w http.ResponseWriter, r *http.Request) {
	e.createFrom(w, r, e.Start)
}

// handleStandby admits a standby. Its ticket names /v1/standbys, so a
// signaling node's ticket for a join cannot be turned into a standby, nor
// one for a standby into a played session.
func (e *Edge) handleStandby(w http.ResponseWriter, r *http.Request) {
	e.createFrom(w, r, e.StartStandby)
}

// createFrom reads a create request and starts it with start, a session or a
// standby.
func (e *Edge) createFrom(w http.ResponseWriter, r *http.Request, start func(api.CreateRequest) (api.CreateResponse, error)) {
	var req api.CreateRequest
	if !readJSON(w, r, &req) {
		return
	}
	// A ticket is for one title: a signaling node's call cannot be turned
	// into a session of another.
	if subject, ok := trust.TicketSubject(r.Context()); ok && subject != req.Title {
		writeError(w, api.Errorf(api.CodeForbidden, "ticket is for title %q, not %q", subject, req.Title))
		return
	}
	resp, err := start(req)
	if err != nil {
		writeError(w, err)
		return
	}
	writeJSON(w, http.StatusCreated, resp)
}

func (e *Edge) handleCandidate(w http.ResponseWriter, r *http.Request) {
	var c api.Candidate
	if !readJSON(w, r, &c) {
		return
	}
	if err := e.AddCandidate(r.PathValue("id"), c); err != nil {
		writeError(w, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func toICE(c api.Candidate) webrtc.ICECandidateInit {
	return webrtc.ICECandidateInit{Candidate: c.Candidate, SDPMid: c.SDPMid, SDPMLineIndex: c.SDPMLineIndex}
}

func readJSON(w http.ResponseWriter, r *http.Request, v any) bool {
	return api.ReadJSON(w, r, maxBody, v)
}

func writeJSON(w http.ResponseWriter, status int, v any) { api.WriteJSON(w, status, v) }

func writeError(w http.ResponseWriter, err error) { api.WriteError(w, err) }

// Status reports the edge's health, load and sessions.
func (e *Edge) Status() api.Status {
	rs := e.sessions.list()
	reserved := e.admit.count()
	health, why := e.health()
	capacity := e.capacity()
	st := api.Status{
		Name: e.cfg.Name, Region: e.cfg.Region, Health: string(health), HealthReason: why,
		Capacity: capacity, Active: reserved, Free: max(capacity-reserved, 0), Standbys: e.standbys.len(),
		Encoders: []string{"x264"}, Started: e.started, Probe: e.probeURL(),
		Sessions: make([]api.SessionInfo, 0, len(rs)),
		GPUs:     e.gpuStatus(),
	}
	if st.GPUs != nil && st.GPUs.NVENCCapacity > 0 {
		st.Encoders = append(st.Encoders, "nvenc")
	}
	if a := e.engine.UDPAddr(); a != nil {
		st.MediaUDP = a.String()
	}
	if a := e.engine.TCPAddr(); a != nil {
		st.MediaTCP = a.String()
	}
	for _, r := range rs {
		s := r.sess.Load()
		if s == nil {
			continue
		}
		ss := s.Stats()
		st.Sessions = append(st.Sessions, api.SessionInfo{
			ID: r.id, Title: r.title, Player: r.player, Edge: e.cfg.Name, Region: e.cfg.Region,
			Started: r.started, State: r.connState().String(),
			Encoder: r.enc.Name(), Renderer: r.renderer, FPS: ss.FPS,
			Stats: struct {
				Session any `json:"session"`
				Stream  any `json:"stream"`
			}{ss, r.peer.Stats()},
		})
	}
	return st
}
