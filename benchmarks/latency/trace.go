package main

import (
	"encoding/json"
	"os"
)

// traceFrame is one presented frame's requestVideoFrameCallback metadata.
// Times are wall-clock Unix milliseconds (performance.timeOrigin added);
// fields the browser did not report are nil.
type traceFrame struct {
	Render       *float64 `json:"render"`       // from the cells: Unix ms mod 2³²
	Callback     float64  `json:"callback"`     // when the callback ran
	Receive      *float64 `json:"receive"`      // last packet of the frame received
	Presentation *float64 `json:"presentation"` // handed to the compositor
	Expected     *float64 `json:"expected"`     // expected on screen
	Capture      *float64 `json:"capture"`      // sender's capture time, as the browser estimates it
	ProcessingMs *float64 `json:"processingMs"` // decoder input → frame ready
	RTP          *float64 `json:"rtp"`          // RTP timestamp, 90 kHz
	Presented    float64  `json:"presented"`    // presentedFrames counter
}

// traceStartJS adds a second requestVideoFrameCallback loop next to the
// page's own; both see the same frames.
const traceStartJS = `(() => {
  const v = stratus.video, o = performance.timeOrigin;
  const abs = (x) => (typeof x === "number" ? o + x : null);
  const num = (x) => (typeof x === "number" ? x : null);
  const t = {frames: [], on: true};
  const cb = (now, m) => {
    if (!t.on) return;
    v.requestVideoFrameCallback(cb);
    const p = stratus.readPattern();
    t.frames.push({
      render: p ? p.renderMs : null,
      callback: o + now,
      receive: abs(m.receiveTime),
      presentation: abs(m.presentationTime),
      expected: abs(m.expectedDisplayTime),
      capture: abs(m.captureTime),
      processingMs: typeof m.processingDuration === "number" ? 1000 * m.processingDuration : null,
      rtp: num(m.rtpTimestamp),
      presented: m.presentedFrames,
    });
  };
  v.requestVideoFrameCallback(cb);
  window.__latencyTrace = t;
})()`

const traceStopJS = `(() => {
  const t = window.__latencyTrace;
  if (!t) throw new Error("no trace running");
  t.on = false;
  return t.frames;
})()`

func (p *page) startTrace() error {
	_, err := eval[*struct{}](p, traceStartJS)
	return err
}

func (p *page) stopTrace() ([]traceFrame, error) {
	return eval[[]traceFrame](p, traceStopJS)
}

// writeTraceJSON writes the runs' traces, one array per run, for analysis
// elsewhere.
func writeTraceJSON(path string, rs []runResult) error {
	traces := make([][]traceFrame, len(rs))
	for i, r := range rs {
		traces[i] = r.trace
	}
	b, err := json.Marshal(traces)
	if err != nil {
		return err
	}
	return os.WriteFile(path, b, 0o644)
}
