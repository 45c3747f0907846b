package gpu

import (
	"fmt"
	"slices"
	"strings"
)

// Limits bounds how many sessions admission puts on one GPU. The edge
// takes them from its configuration: what a GPU can carry depends on the
// card, the driver and the stream's resolution, which NVML does not tell.
type Limits struct {
	// SessionsPerGPU is the most NVENC sessions allowed on one GPU,
	// counting every process's sessions, because the cap it stands for is
	// per GPU: GeForce drivers refuse encoder sessions beyond a fixed
	// number (3 to 8, by driver), while data-centre cards such as the L4
	// have no cap but run out of throughput.
	SessionsPerGPU int
	// MemoryPerSession is the GPU memory one session needs, in bytes:
	// encoder surfaces plus the title's frame buffers.
	MemoryPerSession uint64
}

// DefaultLimits suit a GeForce card on a current driver (8 concurrent
// encoder sessions) streaming 720p60.
func DefaultLimits() Limits {
	return Limits{SessionsPerGPU: 8, MemoryPerSession: 256 << 20}
}

// Slot is one GPU's room for sessions under Limits.
type Slot struct {
	GPU  int    `json:"gpu"`
	Name string `json:"name,omitempty"`
	// Max is how many sessions the GPU holds at most under the limits
	// (its memory included); 0 when it cannot encode at all.
	Max int `json:"max"`
	// Used is the sessions counted against the GPU: those NVML sees open,
	// or those the caller says it placed, whichever is more.
	Used int `json:"used"`
	// Free is how many more sessions it can take now.
	Free int `json:"free"`
	// Why says what stops the GPU taking more, when Free is 0.
	Why string `json:"why,omitempty"`
}

// Slots lists each GPU's room for sessions, counting the encoder sessions
// NVML sees open as used.
func (inv Inventory) Slots(l Limits) []Slot {
	return inv.slots(l, nil)
}

// Capacity is how many NVENC sessions the edge can hold in total; 0 means
// every session encodes in software. It counts total rather than free
// memory, so it does not shrink as the edge's own sessions fill the GPUs.
func (inv Inventory) Capacity(l Limits) int {
	n := 0
	for _, s := range inv.slots(l, nil) {
		n += s.Max
	}
	return n
}

// Place chooses the GPU for a new session, given how many sessions the
// caller has already put on each GPU (taken, by index; nil for none). It
// spreads sessions: the GPU with the fewest sessions wins, then the one
// whose encoder is least busy. Only GPUs with NVENC, encoder capacity left,
// free memory for one more session and room under SessionsPerGPU qualify;
// a lost or failing GPU never does. Without one it returns ok false, gpu
// -1 and why none would do, for the log and the player's error.
//
// taken matters because the inventory can be older than the caller's last
// placement: a session placed a moment ago may not have opened its encoder
// yet.
func Place(inv Inventory, l Limits, taken map[int]int) (gpu int, ok bool, why string) {
	if len(inv.GPUs) == 0 {
		return -1, false, "no GPUs"
	}
	slots := inv.slots(l, taken)
	best := -1
	for i, s := range slots {
		if s.Free == 0 {
			continue
		}
		if best < 0 || less(s, inv.GPUs[i], slots[best], inv.GPUs[best]) {
			best = i
		}
	}
	if best >= 0 {
		return slots[best].GPU, true, ""
	}
	if m := noNVENC(inv.GPUs); m != "" {
		return -1, false, m
	}
	reasons := make([]string, len(slots))
	for i, s := range slots {
		reasons[i] = inv.GPUs[i].label() + ": " + s.Why
	}
	return -1, false, strings.Join(reasons, "; ")
}

// less orders candidates for Place: fewer sessions, then a less busy
// encoder, then the lower index so equal GPUs fill in a stable order.
func less(a Slot, ga GPU, b Slot, gb GPU) bool {
	if a.Used != b.Used {
		return a.Used < b.Used
	}
	if ga.EncoderUtil != gb.EncoderUtil {
		return ga.EncoderUtil < gb.EncoderUtil
	}
	return a.GPU < b.GPU
}

// noNVENC names the models when every GPU is healthy and none has an
// encoder engine (an H100 box, say): one message then says it all.
func noNVENC(gpus []GPU) string {
	var models []string
	for _, g := range gpus {
		if g.HasNVENC || g.Err != "" {
			return ""
		}
		if !slices.Contains(models, g.Name) {
			models = append(models, g.Name)
		}
	}
	return fmt.Sprintf("no GPU has an NVENC engine (%s)", strings.Join(models, ", "))
}

func (inv Inventory) slots(l Limits, taken map[int]int) []Slot {
	out := make([]Slot, len(inv.GPUs))
	for i, g := range inv.GPUs {
		s := Slot{GPU: g.Index, Name: g.Name, Used: max(g.EncoderSessions, taken[g.Index])}
		s.Max, s.Why = most(g, l)
		if s.Max > 0 {
			s.Free, s.Why = room(g, l, s)
		}
		out[i] = s
	}
	return out
}

// most is how many sessions g can hold at most under l, or 0 and why not.
func most(g GPU, l Limits) (int, string) {
	switch {
	case g.Err != "":
		return 0, g.Err
	case !g.HasNVENC:
		return 0, "no NVENC engine"
	case l.SessionsPerGPU <= 0:
		return 0, "the limits allow no sessions per GPU"
	}
	n := l.SessionsPerGPU
	if l.MemoryPerSession > 0 {
		n = min(n, int(g.MemoryTotal/l.MemoryPerSession))
		if n == 0 {
			return 0, fmt.Sprintf("too little memory (%d MiB, a session needs %d MiB)", mib(g.MemoryTotal), mib(l.MemoryPerSession))
		}
	}
	return n, ""
}

// room is how many more sessions g takes now, or 0 and why not.
func room(g GPU, l Limits, s Slot) (int, string) {
	if s.Used >= s.Max {
		return 0, fmt.Sprintf("encoder full (%d of %d sessions)", s.Used, s.Max)
	}
	if g.EncoderCapacity <= 0 {
		return 0, fmt.Sprintf("encoder full (no capacity left, %d sessions open)", s.Used)
	}
	n := s.Max - s.Used
	if l.MemoryPerSession > 0 {
		free := g.MemoryFree()
		if free < l.MemoryPerSession {
			return 0, fmt.Sprintf("memory full (%d MiB free, a session needs %d MiB)", mib(free), mib(l.MemoryPerSession))
		}
		n = min(n, int(free/l.MemoryPerSession))
	}
	return n, ""
}

func mib(b uint64) uint64 { return b >> 20 }
