package rocks

import "math"

// step advances the world by one fixed step of dt.
func (g *Game) step(in intent) {
	w := &g.w
	w.Tick++
	w.Hint = max(w.Hint-dt, 0)
	w.Banner = max(w.Banner-dt, 0)
	switch w.Phase {
	case over:
		// Fire restarts only once it has been let go after the delay, so
		// a player still holding the trigger sees the final score.
		w.Timer += dt
		if w.Timer >= restartDelay && !in.fire {
			w.Armed = true
		}
		if in.restart || (w.Armed && (in.fire || in.taps > 0)) {
			g.reset()
			return
		}
	case cleared:
		w.Timer -= dt
		if w.Timer <= 0 {
			w.Phase = playing
			w.Level++
			g.spawnWave()
		}
	}
	g.steer(in)
	g.move()
	g.shoot()
	g.crash()
	if w.Phase == playing && len(w.Rocks) == 0 {
		w.Phase, w.Timer = cleared, levelPause
	}
}

// steer applies the controls to the ship, or brings a dead one back.
func (g *Game) steer(in intent) {
	w := &g.w
	s := &w.Ship
	s.Thrusting = false
	if !s.Alive {
		if w.Phase == over {
			return
		}
		s.Respawn -= dt
		if s.Respawn <= 0 && (s.Respawn < respawnForce || g.clearAt(w.centre(), respawnClear)) {
			g.spawnShip()
		}
		return
	}
	s.Cooldown = max(s.Cooldown-dt, 0)
	s.Shield = max(s.Shield-dt, 0)

	s.Angle += in.turn + in.rotate*turnSpeed*dt
	switch {
	case in.face:
		s.Angle = turnToward(s.Angle, in.faceAngle, in.faceRate*dt)
	case in.aim:
		// Aim is where the player points on screen, so no wrap-around here.
		if d := (vec{in.aimX, in.aimY}).sub(s.Pos); d.len() > 1 {
			s.Angle = turnToward(s.Angle, d.angle(), in.aimRate*dt)
		}
	}
	s.Angle = math.Remainder(s.Angle, 2*math.Pi)

	if in.thrust > 0 {
		s.Vel = s.Vel.add(polar(s.Angle, thrustAccel*min(in.thrust, 1)*dt))
		s.Thrusting = true
	}
	k := drag
	if in.brake {
		k = brakeDrag
	}
	s.Vel = s.Vel.mul(max(1-k*dt, 0))
	if v := s.Vel.len(); v > maxSpeed {
		s.Vel = s.Vel.mul(maxSpeed / v)
	}

	// A tap turns the ship to face it at once and always fires, however
	// recently the last shot went: tapping is the whole of touch control.
	for range in.taps {
		if d := (vec{in.tapX, in.tapY}).sub(s.Pos); d.len() > 1 {
			s.Angle = d.angle()
		}
		g.fire()
	}
	if in.fire && s.Cooldown <= 0 {
		g.fire()
	}
}

// turnToward turns from a toward b the short way round, at most by step.
func turnToward(a, b, step float64) float64 {
	d := math.Remainder(b-a, 2*math.Pi)
	return a + max(-step, min(step, d))
}

func (g *Game) fire() {
	s := &g.w.Ship
	if len(g.w.Bullets) >= maxBullets || g.w.Phase == over {
		return
	}
	dir := polar(s.Angle, 1)
	g.w.Bullets = append(g.w.Bullets, bullet{
		Pos:  s.Pos.add(dir.mul(noseLength)),
		Vel:  s.Vel.add(dir.mul(bulletSpeed)),
		Life: bulletLife,
	})
	s.Cooldown = fireInterval
	g.sfx.shot()
}

// clearAt reports whether no rock is within r of p.
func (g *Game) clearAt(p vec, r float64) bool {
	for _, k := range g.w.Rocks {
		if g.dist(p, k.Pos) < r+rockRadius[k.Size] {
			return false
		}
	}
	return true
}

// move integrates everything one step and drops what has expired. The
// filters keep order, which keeps the simulation deterministic.
func (g *Game) move() {
	w := &g.w
	W, H := float64(w.Width), float64(w.Height)
	adv := func(p, v vec) vec { return vec{wrap(p.X+v.X*dt, W), wrap(p.Y+v.Y*dt, H)} }
	if w.Ship.Alive {
		w.Ship.Pos = adv(w.Ship.Pos, w.Ship.Vel)
	}
	for i := range w.Rocks {
		r := &w.Rocks[i]
		r.Pos = adv(r.Pos, r.Vel)
		r.Angle = math.Remainder(r.Angle+r.Spin*dt, 2*math.Pi)
	}
	bs := w.Bullets[:0]
	for _, b := range w.Bullets {
		if b.Life -= dt; b.Life > 0 {
			b.Pos = adv(b.Pos, b.Vel)
			bs = append(bs, b)
		}
	}
	w.Bullets = bs
	ps := w.Particles[:0]
	for _, p := range w.Particles {
		if p.Life -= dt; p.Life > 0 {
			p.Pos = adv(p.Pos, p.Vel)
			p.Vel = p.Vel.mul(1 - 1.5*dt)
			ps = append(ps, p)
		}
	}
	w.Particles = ps
}

// shoot resolves bullets against rocks; a bullet breaks the first rock it
// is inside.
func (g *Game) shoot() {
	w := &g.w
	bs := w.Bullets[:0]
	for _, b := range w.Bullets {
		hit := -1
		for i, r := range w.Rocks {
			if g.dist(b.Pos, r.Pos) < rockRadius[r.Size]*r.reach() {
				hit = i
				break
			}
		}
		if hit < 0 {
			bs = append(bs, b)
			continue
		}
		if w.Phase != over {
			g.addScore(rockPoints[w.Rocks[hit].Size])
		}
		g.breakRock(hit, b.Vel)
	}
	w.Bullets = bs
}

// reach is how far from its centre a rock counts as hit: its average
// outline, so shots that look like hits are hits.
func (r *rock) reach() float64 {
	sum := 0.0
	for _, s := range r.Shape {
		sum += s
	}
	return sum / rockVerts
}

// breakRock replaces rock i with two smaller ones, or removes the smallest.
// The pieces fly apart across the direction of the blow.
func (g *Game) breakRock(i int, blow vec) {
	w := &g.w
	r := w.Rocks[i]
	g.burst(r.Pos, r.Vel, 4+4*r.Size, dust, 60+40*float64(r.Size))
	g.sfx.boom(r.Size)
	if r.Size == 1 {
		w.Rocks = append(w.Rocks[:i], w.Rocks[i+1:]...)
		return
	}
	across := blow.angle() + math.Pi/2
	speed := min(r.Vel.len()*1.25+30+20*g.rng.Float64(), 260)
	n := len(w.Rocks)
	for _, side := range [2]float64{1, -1} {
		v := r.Vel.mul(0.5).add(polar(across+side*(0.3+0.5*g.rng.Float64()), side*speed))
		g.addRock(r.Size-1, r.Pos, v)
	}
	if len(w.Rocks) == n { // no room for pieces (a restored full field)
		w.Rocks = append(w.Rocks[:i], w.Rocks[i+1:]...)
		return
	}
	// Move the first piece into the broken rock's slot.
	w.Rocks[i] = w.Rocks[n]
	copy(w.Rocks[n:], w.Rocks[n+1:])
	w.Rocks = w.Rocks[:len(w.Rocks)-1]
}

// crash resolves the ship against rocks. Rock outlines are jagged, so the
// ship only dies well inside one.
func (g *Game) crash() {
	w := &g.w
	s := &w.Ship
	if !s.Alive || s.Shield > 0 || w.Phase == over {
		return
	}
	for i, r := range w.Rocks {
		if g.dist(s.Pos, r.Pos) < rockRadius[r.Size]*0.8+shipRadius {
			g.burst(s.Pos, s.Vel, 40, debris, 220)
			g.burst(s.Pos, s.Vel, 30, fire, 150)
			g.sfx.boom(3)
			g.breakRock(i, s.Vel.sub(r.Vel))
			s.Alive, s.Respawn, s.Vel = false, respawnDelay, vec{}
			w.Lives--
			if w.Lives <= 0 {
				w.Lives, w.Phase, w.Timer, w.Armed = 0, over, 0, false
				w.Bullets = w.Bullets[:0]
			}
			return
		}
	}
}
