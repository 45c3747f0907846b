package edge

import (
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"sync"
	"time"

	"stratus/edge/api"
	"stratus/edge/gpu"
	"stratus/encoder"
	"stratus/encoder/nvenc"
)

// nvencRetry is how long a GPU on which NVENC failed (would not open, or
// lost a running session) gets no new sessions. Without it every join
// would pay a failing driver call and log the same warning; with it a GPU
// that recovers is used again soon enough.
const nvencRetry = time.Minute

// encoders chooses and opens each session's video encoder and accounts
// for where sessions encode: NVENC, pinned to the GPU with the most room
// (gpu.Place), while one has room and the encoder opens there; x264
// otherwise, up to the software capacity. NVENC encoders are wrapped so a
// lost hardware session carries on in x264 (encoder.WithFallback).
//
// Its methods are safe for concurrent use.
type encoders struct {
	log      *slog.Logger
	limits   gpu.Limits
	software int // Config.Capacity: the most sessions encoding in x264
	// inventory is the edge's latest GPU reading.
	inventory func() gpu.Inventory
	openNVENC func(nvenc.Config, *slog.Logger) (encoder.Video, error)
	openX264  func(encoder.Config, *slog.Logger) (encoder.Video, error)
	// fellBack is told of every session moved from NVENC to x264.
	fellBack func()
	now      func() time.Time

	mu sync.Mutex
	// where is each session's GPU index, -1 for software.
	where map[string]int
	// taken counts sessions per GPU, those still opening included: NVML
	// sees an encoder session only once it is open.
	taken map[int]int
	soft  int
	// failed holds the GPUs benched after an NVENC failure, until when
	// and why.
	failed map[int]benched
}

type benched struct {
	until time.Time
	why   string
}

func newEncoders(cfg Config, hw hardware, inventory func() gpu.Inventory, fellBack func(), log *slog.Logger) *encoders {
	return &encoders{
		log: log, limits: cfg.gpuLimits(), software: cfg.Capacity,
		inventory: inventory, openNVENC: hw.openNVENC, openX264: hw.openX264,
		fellBack: fellBack, now: time.Now,
		where: map[string]int{}, taken: map[int]int{}, failed: map[int]benched{},
	}
}

// uuidOf names GPU index as NVML does: NVENC opens the GPU by it, since
// CUDA may number the GPUs in another order than NVML's placement.
func uuidOf(inv gpu.Inventory, index int) string {
	for _, g := range inv.GPUs {
		if g.Index == index {
			return g.UUID
		}
	}
	return ""
}

// noSlot refuses a join for which neither a GPU nor the software encoder
// has room: the edge reports itself full.
func noSlot(soft, software int, why string) error {
	msg := fmt.Sprintf("no encoder free: %d of %d software sessions", soft, software)
	if why != "" {
		msg += "; GPUs: " + why
	}
	return api.Errorf(api.CodeEdgeFull, "%s", msg)
}

// Open opens the encoder of session id and takes its slot; gpu is the GPU
// it is pinned to, -1 for software. Release gives the slot back.
func (s *encoders) Open(id string, c encoder.Config) (enc encoder.Video, gpuIndex int, err error) {
	g, why, err := s.take(id)
	if err != nil {
		return nil, -1, err
	}
	if g >= 0 {
		hw, nvErr := s.openNVENC(nvenc.Config{Config: c, GPU: g, UUID: uuidOf(s.inventory(), g), Codec: nvenc.CodecH264}, s.log.With("session", id))
		if nvErr == nil {
			return s.withFallback(id, g, hw, c), g, nil
		}
		if errors.Is(nvErr, encoder.ErrUnavailable) {
			// The GPU or its driver cannot encode (no libnvidia-encode
			// in a container without the "video" capability, say);
			// other errors, such as an invalid config, are not the GPU's.
			s.bench(g, "NVENC did not open: "+nvErr.Error())
		}
		if err := s.toSoftware(id, g, false); err != nil {
			return nil, -1, fmt.Errorf("NVENC on GPU %d did not open (%v): %w", g, nvErr, err)
		}
		s.log.Warn("NVENC did not open: this session encodes with x264", "session", id, "gpu", g, "err", nvErr)
	}
	sw, err := s.openX264(c, s.log.With("session", id))
	if err != nil {
		s.Release(id)
		return nil, -1, err
	}
	if why != "" {
		// The edge has GPUs, yet this session is not on one: say why.
		s.log.Info("session encodes with x264", "session", id, "why", why)
	}
	return sw, -1, nil
}

// take reserves a GPU for session id, or a software slot when no GPU has
// room; why says why not a GPU, when the edge has any.
func (s *encoders) take(id string) (g int, why string, err error) {
	inv := s.inventory()
	s.mu.Lock()
	defer s.mu.Unlock()
	g, ok, why := gpu.Place(s.placeable(inv), s.limits, s.taken)
	if len(inv.GPUs) == 0 {
		why = ""
	}
	switch {
	case ok:
		s.taken[g]++
		s.where[id] = g
		return g, "", nil
	case s.soft < s.software:
		s.soft++
		s.where[id] = -1
		return -1, why, nil
	}
	return -1, "", noSlot(s.soft, s.software, why)
}

// placeable is inv with the benched GPUs marked failing, so that
// gpu.Place skips them and Capacity leaves them out.
func (s *encoders) placeable(inv gpu.Inventory) gpu.Inventory {
	now := s.now()
	var out []gpu.GPU
	for i, g := range inv.GPUs {
		b, ok := s.failed[g.Index]
		if !ok || g.Err != "" {
			continue
		}
		if now.After(b.until) {
			delete(s.failed, g.Index)
			continue
		}
		if out == nil {
			out = append([]gpu.GPU(nil), inv.GPUs...)
		}
		out[i].Err = b.why
	}
	if out != nil {
		inv.GPUs = out
	}
	return inv
}

// bench keeps sessions off GPU g for nvencRetry.
func (s *encoders) bench(g int, why string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.failed[g] = benched{until: s.now().Add(nvencRetry), why: why}
}

// toSoftware moves session id from GPU g to a software slot. A session
// still setting up (running false) gets one only while there is room; a
// running session gets one regardless, because ending a player's game is
// worse than an overloaded CPU.
func (s *encoders) toSoftware(id string, g int, running bool) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.where[id] != g {
		return nil
	}
	s.taken[g]--
	if s.taken[g] <= 0 {
		delete(s.taken, g)
	}
	if !running && s.soft >= s.software {
		delete(s.where, id)
		return noSlot(s.soft, s.software, "")
	}
	s.soft++
	s.where[id] = -1
	return nil
}

// withFallback wraps session id's NVENC encoder on GPU g so that a lost
// hardware session goes on in x264 from an IDR, counted and logged.
func (s *encoders) withFallback(id string, g int, hw encoder.Video, c encoder.Config) encoder.Video {
	open := func() (encoder.Video, error) { return s.openX264(c, s.log.With("session", id)) }
	lost := func(err error) bool { return errors.Is(err, nvenc.ErrSessionLost) }
	return encoder.WithFallback(hw, open, lost, func(from, to string, err error) {
		s.bench(g, "NVENC session lost: "+err.Error())
		s.toSoftware(id, g, true)
		if s.fellBack != nil {
			s.fellBack()
		}
		s.log.Warn("encoder lost: session goes on in software", "session", id, "gpu", g, "from", from, "to", to, "err", err)
	})
}

// Release gives back session id's slot once its encoder is closed.
// Releasing an unknown session does nothing, so it is safe twice.
func (s *encoders) Release(id string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	g, ok := s.where[id]
	if !ok {
		return
	}
	delete(s.where, id)
	if g < 0 {
		s.soft--
		return
	}
	s.taken[g]--
	if s.taken[g] <= 0 {
		delete(s.taken, g)
	}
}

// Capacity is the edge's capacity: software sessions plus the NVENC
// sessions the GPUs allow, benched GPUs left out.
func (s *encoders) Capacity(inv gpu.Inventory) (software, hardware int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.software, s.placeable(inv).Capacity(s.limits)
}

// Slots is each GPU's room as admission sees it: gpu.Inventory.Slots
// with this edge's placements counted, as gpu.Place counts them.
func (s *encoders) Slots(inv gpu.Inventory) (slots []gpu.Slot, placed map[int]int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	placed = maps.Clone(s.taken)
	slots = s.placeable(inv).Slots(s.limits)
	for i := range slots {
		sl := &slots[i]
		sl.Used = max(sl.Used, placed[sl.GPU])
		switch {
		case sl.Max > 0 && sl.Used >= sl.Max:
			sl.Free, sl.Why = 0, fmt.Sprintf("encoder full (%d of %d sessions)", sl.Used, sl.Max)
		case sl.Free > 0:
			sl.Free = min(sl.Free, sl.Max-sl.Used)
		}
	}
	return slots, placed
}
