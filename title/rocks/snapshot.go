package rocks

import (
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
)

// snapshotVersion changes whenever world's meaning changes, so an edge
// running older code refuses a state it would misread.
const snapshotVersion = 1

// maxRestoreSpeed bounds velocities in a restored state; nothing in play
// moves this fast, and a bigger number is corruption.
const maxRestoreSpeed = 5000

// Snapshot returns the whole game state as JSON: score, lives, level, the
// ship, rocks, bullets, particles and the random generator. Held controls
// and the frame clock are not included (see controls).
func (g *Game) Snapshot() ([]byte, error) {
	rng, err := g.pcg.MarshalBinary()
	if err != nil {
		return nil, fmt.Errorf("rocks: snapshot: %w", err)
	}
	w := g.w
	w.Version, w.RNG = snapshotVersion, rng
	b, err := json.Marshal(&w)
	if err != nil {
		return nil, fmt.Errorf("rocks: snapshot: %w", err)
	}
	return b, nil
}

// Restore replaces the game state with a snapshot. A state saved at another
// frame size plays on this one, its positions wrapped into the field. On
// error the game is unchanged.
func (g *Game) Restore(state []byte) error {
	var w world
	if err := json.Unmarshal(state, &w); err != nil {
		return fmt.Errorf("rocks: restore: %w", err)
	}
	if err := w.validate(); err != nil {
		return fmt.Errorf("rocks: restore: %w", err)
	}
	pcg := new(rand.PCG)
	if err := pcg.UnmarshalBinary(w.RNG); err != nil {
		return fmt.Errorf("rocks: restore rng: %w", err)
	}

	w.Width, w.Height, w.RNG = g.w.Width, g.w.Height, nil
	W, H := float64(w.Width), float64(w.Height)
	at := func(p vec) vec { return vec{wrap(p.X, W), wrap(p.Y, H)} }
	w.Ship.Pos = at(w.Ship.Pos)
	// Copy into the slices we own, whose capacity the game relies on.
	w.Rocks = append(g.w.Rocks[:0], w.Rocks...)
	w.Bullets = append(g.w.Bullets[:0], w.Bullets...)
	w.Particles = append(g.w.Particles[:0], w.Particles...)
	for i := range w.Rocks {
		w.Rocks[i].Pos = at(w.Rocks[i].Pos)
	}
	for i := range w.Bullets {
		w.Bullets[i].Pos = at(w.Bullets[i].Pos)
	}
	for i := range w.Particles {
		w.Particles[i].Pos = at(w.Particles[i].Pos)
	}
	g.w = w
	*g.pcg = *pcg
	// The next Render starts the clock afresh: time spent moving the
	// player is not game time.
	g.started, g.owed = false, 0
	return nil
}

// validate rejects states the game could not have produced, so a corrupt
// or hostile snapshot cannot make it index out of range or stall.
func (w *world) validate() error {
	switch {
	case w.Version != snapshotVersion:
		return fmt.Errorf("version %d, want %d", w.Version, snapshotVersion)
	case w.Phase < playing || w.Phase > over:
		return fmt.Errorf("phase %d", w.Phase)
	case w.Lives < 0 || w.Lives > maxLives:
		return fmt.Errorf("lives %d", w.Lives)
	case w.Level < 1 || w.Level > 1_000_000:
		return fmt.Errorf("level %d", w.Level)
	case w.Score < 0 || w.Best < 0 || w.NextLife < 0:
		return fmt.Errorf("negative score")
	case len(w.Rocks) > maxRocks || len(w.Bullets) > maxBullets || len(w.Particles) > maxParticles:
		return fmt.Errorf("%d rocks, %d bullets, %d particles: too many", len(w.Rocks), len(w.Bullets), len(w.Particles))
	}
	if w.NextLife <= w.Score {
		// Otherwise addScore would loop through every missed extra life.
		w.NextLife = (w.Score/extraLifeEvery + 1) * extraLifeEvery
	}
	if !w.Ship.ok() {
		return fmt.Errorf("ship out of range")
	}
	for _, r := range w.Rocks {
		if r.Size < 1 || r.Size >= len(rockRadius) || !moving(r.Pos, r.Vel) || !finite(r.Angle, r.Spin) {
			return fmt.Errorf("bad rock")
		}
		for _, s := range r.Shape {
			if s < 0.1 || s > 2 {
				return fmt.Errorf("bad rock shape")
			}
		}
	}
	for _, b := range w.Bullets {
		if !moving(b.Pos, b.Vel) || !finite(b.Life) {
			return fmt.Errorf("bad bullet")
		}
	}
	for _, p := range w.Particles {
		if p.Kind < 0 || p.Kind >= particleKinds || !moving(p.Pos, p.Vel) || !(p.Max > 0) || !finite(p.Life, p.Max) {
			return fmt.Errorf("bad particle")
		}
	}
	return nil
}

func (s *ship) ok() bool {
	return moving(s.Pos, s.Vel) && finite(s.Angle, s.Respawn, s.Shield, s.Cooldown)
}

// moving reports whether a position and velocity are usable.
func moving(p, v vec) bool {
	return finite(p.X, p.Y) && math.Abs(p.X) < 1e9 && math.Abs(p.Y) < 1e9 && v.len() <= maxRestoreSpeed
}

func finite(vs ...float64) bool {
	for _, v := range vs {
		if math.IsNaN(v) || math.IsInf(v, 0) || math.Abs(v) > 1e9 {
			return false
		}
	}
	return true
}
