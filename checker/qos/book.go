package qos

import (
	"sync"
	"time"
)

// Standing is an edge's quality of service as the checkers last saw it.
type Standing struct {
	// Score is 0 (failing) to 1 (as good as checks can tell), over the
	// recent checks (see Score).
	Score     float64   `json:"score"`
	FPS       float64   `json:"fps"`
	G2GMs     float64   `json:"g2g_ms"`
	InputMs   float64   `json:"input_ms"`
	JoinMs    float64   `json:"join_ms"`
	Loss      float64   `json:"loss"`
	CheckedAt time.Time `json:"checked_at"`
	Checker   string    `json:"checker"`
	// Checks is how many recent checks the score stands on; Error the
	// latest one's failure, if it failed.
	Checks int    `json:"checks"`
	Error  string `json:"error,omitempty"`
	// Refused is how many joins the edge refused lately while it
	// advertised free slots, as the signaling node judged them (package
	// signaling); enough of them make the score 0, whatever the checks.
	Refused int `json:"refused"`
}

// Book keeps the recent checks of every edge. Its methods may be called
// from any goroutine.
type Book struct {
	// keep is how many checks of an edge count; maxAge how old one may
	// be; fps the rate a healthy edge delivers the checked title at.
	keep   int
	maxAge time.Duration
	fps    float64
	now    func() time.Time

	mu sync.Mutex
	by map[string][]entry // oldest first
}

type entry struct {
	Report
	checker string
}

// NewBook keeps keep checks per edge, none older than maxAge, and scores
// frame rates against fps.
func NewBook(keep int, maxAge time.Duration, fps float64) *Book {
	return &Book{keep: keep, maxAge: maxAge, fps: fps, now: time.Now, by: map[string][]entry{}}
}

// maxEdges bounds the book: reports for edges beyond it are dropped,
// whatever a checker sends.
const maxEdges = 100_000

// Add records a check. A skipped check (the edge had no room) says
// nothing of its quality and is not kept.
func (b *Book) Add(checker string, rep Report) {
	if rep.Skipped != "" {
		return
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	list, ok := b.by[rep.Edge]
	if !ok && len(b.by) >= maxEdges {
		return
	}
	list = append(list, entry{Report: rep, checker: checker})
	if len(list) > b.keep {
		list = list[len(list)-b.keep:]
	}
	b.by[rep.Edge] = list
}

// Standing is edge's standing, false when no recent check exists.
func (b *Book) Standing(edge string) (Standing, bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	var recent []entry
	for _, e := range b.by[edge] {
		if b.now().Sub(e.At) <= b.maxAge {
			recent = append(recent, e)
		}
	}
	if len(recent) == 0 {
		return Standing{}, false
	}
	last := recent[len(recent)-1]
	st := Standing{FPS: last.FPS, G2GMs: last.G2G.P99, InputMs: last.Input.P50, JoinMs: last.JoinMs, Loss: last.Loss,
		CheckedAt: last.At, Checker: last.checker, Checks: len(recent), Error: last.Error}
	var sum float64
	for _, e := range recent {
		sum += Score(e.Report, b.fps)
	}
	st.Score = sum / float64(len(recent))
	return st, true
}

// Edges lists the edges with recent checks.
func (b *Book) Edges() []string {
	b.mu.Lock()
	defer b.mu.Unlock()
	out := make([]string, 0, len(b.by))
	for name := range b.by {
		out = append(out, name)
	}
	return out
}

// Score rates one check from 0 to 1: a failed check is 0; otherwise the
// share of the expected frame rate delivered, times the worse of the
// glass-to-glass and input-to-display marks, times the loss mark. The
// marks are 1 where players notice nothing (glass-to-glass p99 up to
// 50 ms, input-to-display p50 up to 60 ms, no loss) and fall linearly to 0
// where play is no longer worth it (250 ms, 300 ms, 10% loss).
func Score(rep Report, fps float64) float64 {
	if !rep.OK {
		return 0
	}
	rate := 1.0
	if fps > 0 {
		rate = min(1, rep.FPS/fps)
	}
	g2g := mark(rep.G2G.P99, 50, 250)
	in := mark(rep.Input.P50, 60, 300)
	loss := mark(rep.Loss, 0, 0.1)
	return rate * min(g2g, in) * loss
}

// mark is 1 up to good, 0 from bad on, linear between.
func mark(v, good, bad float64) float64 {
	switch {
	case v <= good:
		return 1
	case v >= bad:
		return 0
	}
	return (bad - v) / (bad - good)
}
