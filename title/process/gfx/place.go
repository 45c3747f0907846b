package gfx

import (
	"errors"
	"fmt"
	"strings"
)

// Need is what a session asks of the GPU it renders on.
type Need struct {
	APIs []string
	// Refuse turns the session away when no GPU can render it, instead
	// of rendering with Mesa on the CPU.
	Refuse bool
	// Memory is the GPU memory the game may take, in bytes.
	Memory uint64
}

// Load is one GPU's state at placement, from NVML and the edge's own
// placements.
type Load struct {
	// MemoryFree is NVML's free memory less what the edge reserved for
	// sessions that may not have allocated yet.
	MemoryFree uint64
	// Util is the GPU's utilisation in percent, NVML's last sample.
	Util int
	// Sessions is how many rendering sessions the edge placed there.
	Sessions int
	// Err says the GPU is lost or failing.
	Err string
}

// Limits bound the rendering sessions on one GPU.
type Limits struct {
	// SessionsPerGPU is the most rendering sessions on one GPU.
	SessionsPerGPU int
	// MaxUtil is the utilisation (percent) at or above which a GPU takes
	// no new session: its games would miss their frames.
	MaxUtil int
}

// ErrNoRenderer is wrapped by Choose's error when a session that must
// render on a GPU finds none with room.
var ErrNoRenderer = errors.New("no GPU can render this title now")

// Choose picks where a session renders: the GPU that renders every API it
// needs, has room under l, and has the fewest rendering sessions, then the
// lowest utilisation. Without one it falls back to Mesa, when the need
// allows it and Mesa renders the APIs, and says why in fellBack; else it
// returns an error wrapping ErrNoRenderer with each GPU's reason.
func Choose(rep Report, need Need, loads map[int]Load, l Limits) (d Driver, fellBack string, err error) {
	best := -1
	var reasons []string
	for i, g := range rep.GPUs {
		why := room(g, need, loads[g.GPU], l)
		if why != "" {
			reasons = append(reasons, fmt.Sprintf("GPU %d: %s", g.GPU, why))
			continue
		}
		if best < 0 || fewer(loads[g.GPU], loads[rep.GPUs[best].GPU]) {
			best = i
		}
	}
	if best >= 0 {
		return rep.GPUs[best], "", nil
	}
	if len(reasons) == 0 {
		reasons = []string{"this edge has no NVIDIA GPU"}
	}
	why := strings.Join(reasons, "; ")
	if need.Refuse {
		return Driver{}, "", fmt.Errorf("%w (%s)", ErrNoRenderer, why)
	}
	if ok, cpuWhy := rep.CPU.Supports(need.APIs); !ok {
		return Driver{}, "", fmt.Errorf("%w (%s; Mesa: %s)", ErrNoRenderer, why, cpuWhy)
	}
	return rep.CPU, why, nil
}

// room says why GPU g cannot take the session, or "".
func room(g Driver, need Need, ld Load, l Limits) string {
	if ld.Err != "" {
		return ld.Err
	}
	if ok, why := g.Supports(need.APIs); !ok {
		return why
	}
	switch {
	case l.SessionsPerGPU > 0 && ld.Sessions >= l.SessionsPerGPU:
		return fmt.Sprintf("full (%d of %d rendering sessions)", ld.Sessions, l.SessionsPerGPU)
	case need.Memory > 0 && ld.MemoryFree < need.Memory:
		return fmt.Sprintf("memory full (%d MiB free, the title needs %d MiB)", ld.MemoryFree>>20, need.Memory>>20)
	case l.MaxUtil > 0 && ld.Util >= l.MaxUtil:
		return fmt.Sprintf("busy (%d%% utilisation)", ld.Util)
	}
	return ""
}

func fewer(a, b Load) bool {
	if a.Sessions != b.Sessions {
		return a.Sessions < b.Sessions
	}
	return a.Util < b.Util
}
