package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"sync"
	"time"
)

// edgeClient reads session figures from the edge API.
type edgeClient struct {
	base string
	http *http.Client
}

func newEdgeClient(base string) edgeClient {
	return edgeClient{base: base, http: &http.Client{Timeout: 5 * time.Second}}
}

// edgeSession is the part of an api.SessionInfo this harness reads. Stats is
// untyped on the wire (session.Stats and stream.Stats), so the fields are
// spelled out here rather than importing the server's packages: the harness
// sees what any API client sees.
type edgeSession struct {
	ID    string `json:"id"`
	Title string `json:"title"`
	Stats struct {
		Session sessionStats `json:"session"`
		Stream  streamStats  `json:"stream"`
	} `json:"stats"`
}

// sessionStats mirrors session.Stats.
type sessionStats struct {
	FPS           float64 `json:"fps"`
	RenderMs      float64 `json:"render_ms"`
	ConvertMs     float64 `json:"convert_ms"`
	EncodeMs      float64 `json:"encode_ms"`
	BitrateBps    float64 `json:"bitrate_bps"`
	Frames        int64   `json:"frames"`
	Skipped       int64   `json:"frames_skipped"`
	SendErrors    int64   `json:"send_errors"`
	SendLateP50Ms float64 `json:"send_late_p50_ms"`
	SendLateP99Ms float64 `json:"send_late_p99_ms"`
}

// streamStats mirrors the stream.Stats counters used here (the struct has
// no JSON tags; encoding/json matches the field names).
type streamStats struct {
	RTT           int64 // nanoseconds
	FramesSent    uint64
	FramesDropped uint64
	NACKs         uint64
	Retransmits   uint64
	PLIs          uint64
}

// sessions lists the running sessions.
func (c edgeClient) sessions(ctx context.Context) ([]edgeSession, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.base+"/v1/sessions", nil)
	if err != nil {
		return nil, err
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return nil, fmt.Errorf("edge API: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("edge API: GET /v1/sessions: %s", resp.Status)
	}
	var list []edgeSession
	if err := json.NewDecoder(resp.Body).Decode(&list); err != nil {
		return nil, fmt.Errorf("edge API: GET /v1/sessions: %w", err)
	}
	return list, nil
}

// session finds one session by id.
func (c edgeClient) session(ctx context.Context, id string) (edgeSession, error) {
	list, err := c.sessions(ctx)
	if err != nil {
		return edgeSession{}, err
	}
	for _, s := range list {
		if s.ID == id {
			return s, nil
		}
	}
	return edgeSession{}, fmt.Errorf("edge API: session %q is not running (%d others are)", id, len(list))
}

// waitIdle waits until the edge runs no sessions, so that a finished run's
// session (which ends after its tab closes) does not compete for the CPU
// with the next run.
func (c edgeClient) waitIdle(ctx context.Context, limit time.Duration) error {
	deadline := time.Now().Add(limit)
	for {
		list, err := c.sessions(ctx)
		if err != nil {
			return err
		}
		if len(list) == 0 {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("edge still runs %d session(s) after %v", len(list), limit)
		}
		if err := sleep(ctx, 100*time.Millisecond); err != nil {
			return err
		}
	}
}

// sampler polls a session's figures once a second. The edge's render,
// convert and encode times are means over its last complete second, so one
// sample a second sees each second about once.
type sampler struct {
	cancel  context.CancelFunc
	wg      sync.WaitGroup
	samples []sessionStats
}

func startSampler(ctx context.Context, c edgeClient, id string) *sampler {
	ctx, cancel := context.WithCancel(ctx)
	s := &sampler{cancel: cancel}
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		tick := time.NewTicker(time.Second)
		defer tick.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-tick.C:
			}
			if es, err := c.session(ctx, id); err == nil {
				s.samples = append(s.samples, es.Stats.Session)
			}
		}
	}()
	return s
}

// stop ends the polling and returns the samples.
func (s *sampler) stop() []sessionStats {
	s.cancel()
	s.wg.Wait()
	return s.samples
}
