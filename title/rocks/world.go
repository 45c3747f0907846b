package rocks

import "math"

// Tuning, in pixels and seconds. The numbers are for a 1280×720 field; a
// larger frame simply gives more room.
const (
	dt = 1.0 / 60 // seconds per step; matches stepDur

	shipRadius   = 15.0
	turnSpeed    = 4.8 // rad/s
	thrustAccel  = 540.0
	drag         = 0.5 // per second, so the ship coasts but settles
	brakeDrag    = 3.0
	maxSpeed     = 480.0
	bulletSpeed  = 720.0
	bulletLife   = 0.95
	fireInterval = 0.16
	noseLength   = 24.0

	startLives     = 3
	maxLives       = 9
	extraLifeEvery = 10000
	respawnDelay   = 2.0
	respawnClear   = 160.0 // a respawn waits for this much room …
	respawnForce   = -3.0  // … but not longer than this past the delay
	shieldTime     = 2.5
	levelPause     = 2.0
	levelBanner    = 2.0
	hintTime       = 10.0
	restartDelay   = 1.2 // game over ignores fire this long, so a last shot doesn't restart

	maxWave   = 11
	rockVerts = 11

	// A big rock is never more than four pieces at once, so this bound
	// never binds in play; it is what a restored state may hold.
	maxRocks     = maxWave * 7
	maxBullets   = 8
	maxParticles = 384
)

// Rock sizes are 1 (small) to 3 (big); these tables are indexed by size.
var (
	rockRadius = [4]float64{0, 15, 28, 52}
	rockPoints = [4]int{0, 100, 50, 20}
)

type phase int

const (
	playing phase = iota
	cleared       // wave shot down; the next starts after a pause
	over
)

type vec struct {
	X float64 `json:"x"`
	Y float64 `json:"y"`
}

func (a vec) add(b vec) vec             { return vec{a.X + b.X, a.Y + b.Y} }
func (a vec) sub(b vec) vec             { return vec{a.X - b.X, a.Y - b.Y} }
func (a vec) mul(k float64) vec         { return vec{a.X * k, a.Y * k} }
func (a vec) len() float64              { return math.Hypot(a.X, a.Y) }
func polar(angle, r float64) vec        { return vec{r * math.Cos(angle), r * math.Sin(angle)} }
func (a vec) angle() float64            { return math.Atan2(a.Y, a.X) }
func wrapDelta(d, size float64) float64 { return d - size*math.Round(d/size) }

// wrap maps v into [0, size). The check catches a tiny negative v, whose
// wrapped value rounds up to size itself.
func wrap(v, size float64) float64 {
	r := v - size*math.Floor(v/size)
	if r >= size || r < 0 {
		return 0
	}
	return r
}

// ship angles are radians with y down, so -π/2 points up the screen.
type ship struct {
	Pos       vec     `json:"pos"`
	Vel       vec     `json:"vel"`
	Angle     float64 `json:"angle"`
	Alive     bool    `json:"alive"`
	Respawn   float64 `json:"respawn"`  // seconds until a dead ship returns
	Shield    float64 `json:"shield"`   // seconds of invulnerability left
	Cooldown  float64 `json:"cooldown"` // seconds until the gun is ready
	Thrusting bool    `json:"thrusting"`
}

type rock struct {
	Pos   vec     `json:"pos"`
	Vel   vec     `json:"vel"`
	Angle float64 `json:"angle"`
	Spin  float64 `json:"spin"`
	Size  int     `json:"size"`
	// Shape scales the radius at each vertex, so every rock looks different.
	Shape [rockVerts]float64 `json:"shape"`
}

type bullet struct {
	Pos  vec     `json:"pos"`
	Vel  vec     `json:"vel"`
	Life float64 `json:"life"`
}

type particleKind int

const (
	dust particleKind = iota
	fire
	debris
	particleKinds
)

type particle struct {
	Pos  vec          `json:"pos"`
	Vel  vec          `json:"vel"`
	Life float64      `json:"life"`
	Max  float64      `json:"max"`
	Kind particleKind `json:"kind"`
}

// world is the whole game state, and exactly what a snapshot holds.
type world struct {
	Version   int        `json:"version"`
	Width     int        `json:"width"`
	Height    int        `json:"height"`
	Tick      uint64     `json:"tick"`
	Phase     phase      `json:"phase"`
	Timer     float64    `json:"timer"`  // cleared: seconds to the next wave; over: seconds since
	Armed     bool       `json:"armed"`  // over: fire now restarts
	Banner    float64    `json:"banner"` // seconds left showing the level number
	Hint      float64    `json:"hint"`   // seconds left showing the controls
	Score     int        `json:"score"`
	Best      int        `json:"best"`
	Lives     int        `json:"lives"`
	Level     int        `json:"level"`
	NextLife  int        `json:"nextLife"`
	Ship      ship       `json:"ship"`
	Rocks     []rock     `json:"rocks"`
	Bullets   []bullet   `json:"bullets"`
	Particles []particle `json:"particles"`
	RNG       []byte     `json:"rng"`
}

func (w *world) centre() vec { return vec{float64(w.Width) / 2, float64(w.Height) / 2} }

// reset starts a new game, keeping the best score.
func (g *Game) reset() {
	w := &g.w
	w.Phase, w.Timer, w.Armed = playing, 0, false
	w.Score, w.Lives, w.Level, w.NextLife = 0, startLives, 1, extraLifeEvery
	w.Hint = hintTime
	w.Rocks, w.Bullets, w.Particles = w.Rocks[:0], w.Bullets[:0], w.Particles[:0]
	g.spawnShip()
	g.spawnWave()
}

func (g *Game) spawnShip() {
	g.w.Ship = ship{Pos: g.w.centre(), Angle: -math.Pi / 2, Alive: true, Shield: shieldTime}
}

// spawnWave fills the field with big rocks, none close to the ship.
func (g *Game) spawnWave() {
	w := &g.w
	w.Banner = levelBanner
	n := min(3+w.Level, maxWave)
	speedUp := min(1+0.1*float64(w.Level-1), 3)
	for range n {
		var p vec
		for try := 0; try < 20; try++ {
			p = vec{g.rng.Float64() * float64(w.Width), g.rng.Float64() * float64(w.Height)}
			if g.dist(p, w.Ship.Pos) > 240 {
				break
			}
		}
		v := polar(g.rng.Float64()*2*math.Pi, (30+g.rng.Float64()*45)*speedUp)
		g.addRock(3, p, v)
	}
}

func (g *Game) addRock(size int, p, v vec) {
	if len(g.w.Rocks) >= maxRocks {
		return
	}
	r := rock{Pos: p, Vel: v, Angle: g.rng.Float64() * 2 * math.Pi, Spin: (g.rng.Float64() - 0.5) * 2, Size: size}
	for i := range r.Shape {
		r.Shape[i] = 0.75 + 0.4*g.rng.Float64()
	}
	g.w.Rocks = append(g.w.Rocks, r)
}

// dist is the distance on the torus: things near opposite edges are close.
func (g *Game) dist(a, b vec) float64 {
	d := a.sub(b)
	return math.Hypot(wrapDelta(d.X, float64(g.w.Width)), wrapDelta(d.Y, float64(g.w.Height)))
}

func (g *Game) burst(p, base vec, n int, kind particleKind, speed float64) {
	for range n {
		if len(g.w.Particles) >= maxParticles {
			return
		}
		life := 0.35 + 0.6*g.rng.Float64()
		v := polar(g.rng.Float64()*2*math.Pi, speed*(0.2+0.8*g.rng.Float64()))
		g.w.Particles = append(g.w.Particles, particle{Pos: p, Vel: v.add(base.mul(0.4)), Life: life, Max: life, Kind: kind})
	}
}

func (g *Game) addScore(n int) {
	w := &g.w
	w.Score += n
	for w.Score >= w.NextLife {
		w.Lives = min(w.Lives+1, maxLives)
		w.NextLife += extraLifeEvery
	}
	w.Best = max(w.Best, w.Score)
}
