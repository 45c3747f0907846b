package route

import (
	"errors"
	"fmt"
	"math"
	"time"
)

// Config holds the weights of the score and the RTT guesses used when the
// page measured nothing. The zero value is not useful; start from
// DefaultConfig.
type Config struct {
	// LoadWeightMs is what a fully loaded edge (Load 1) costs, in
	// milliseconds of RTT. A saturated CPU or GPU delays rendering and
	// encoding by about a frame (16.7 ms at 60 fps), so 20 ms: a load gap
	// of 0.1 (2 ms) settles near-ties between equally near edges, but an
	// idle edge 50 ms farther away never beats a busy near one.
	LoadWeightMs float64
	// FullnessWeightMs is what a full edge (every slot taken) costs. It
	// spreads players over edges before they fill, which keeps slots free
	// everywhere for failovers. 10 ms: half the load weight, since a taken
	// slot does not slow its neighbours by itself (Load measures that).
	FullnessWeightMs float64
	// QoSWeightMs is what an edge that fails every check (QoSShortfall 1)
	// costs: 200 ms, more than the other-region guess, so that players
	// go to the next region rather than to an edge checks show broken,
	// while a small shortfall (0.1: a few frames short) weighs like load.
	QoSWeightMs float64
	// SameRegionRTT is the guess for an edge in the player's region when
	// nothing better is known: 20 ms is a typical metro-to-regional-PoP
	// round trip.
	SameRegionRTT time.Duration
	// OtherRegionRTT is the guess for an edge in another region: 120 ms,
	// about a continental or transatlantic round trip; large enough that
	// a same-region edge wins even when fully loaded and full
	// (20 + 20 + 10 < 120).
	OtherRegionRTT time.Duration
	// UnknownRTT is used when there is no clue at all (no measurement,
	// locations or regions). 150 ms: worse than any guess, so that edges
	// with evidence are preferred, yet still a usable game stream when
	// it is the only choice.
	UnknownRTT time.Duration
	// RouteFactor is how much longer than the great circle real fibre
	// paths are: 1.5 is the usual rule of thumb for inter-city routes.
	RouteFactor float64
	// LocationBaseRTT is added to every distance estimate for access
	// networks, switching and the edge's own stack: 5 ms, so an edge in
	// the player's city is not estimated at 0.
	LocationBaseRTT time.Duration
}

// DefaultConfig returns the defaults explained on each field.
func DefaultConfig() Config {
	return Config{
		LoadWeightMs:     20,
		FullnessWeightMs: 10,
		QoSWeightMs:      200,
		SameRegionRTT:    20 * time.Millisecond,
		OtherRegionRTT:   120 * time.Millisecond,
		UnknownRTT:       150 * time.Millisecond,
		RouteFactor:      1.5,
		LocationBaseRTT:  5 * time.Millisecond,
	}
}

// Validate reports every problem at once.
func (c Config) Validate() error {
	var errs []error
	weight := func(name string, v float64) {
		if math.IsNaN(v) || math.IsInf(v, 0) || v < 0 {
			errs = append(errs, fmt.Errorf("route: %s %v must be a finite number ≥ 0", name, v))
		}
	}
	weight("load weight", c.LoadWeightMs)
	weight("fullness weight", c.FullnessWeightMs)
	weight("qos weight", c.QoSWeightMs)
	if c.SameRegionRTT < 0 {
		errs = append(errs, fmt.Errorf("route: same-region RTT %v must be ≥ 0", c.SameRegionRTT))
	}
	// The region guesses must rank the player's own region first, or the
	// guess would contradict the region tier.
	if c.OtherRegionRTT < c.SameRegionRTT {
		errs = append(errs, fmt.Errorf("route: other-region RTT %v must be ≥ same-region RTT %v", c.OtherRegionRTT, c.SameRegionRTT))
	}
	if c.UnknownRTT <= 0 {
		errs = append(errs, fmt.Errorf("route: unknown RTT %v must be positive", c.UnknownRTT))
	}
	// A path cannot be shorter than the great circle.
	if math.IsNaN(c.RouteFactor) || math.IsInf(c.RouteFactor, 0) || c.RouteFactor < 1 {
		errs = append(errs, fmt.Errorf("route: route factor %v must be a finite number ≥ 1", c.RouteFactor))
	}
	if c.LocationBaseRTT < 0 {
		errs = append(errs, fmt.Errorf("route: location base RTT %v must be ≥ 0", c.LocationBaseRTT))
	}
	return errors.Join(errs...)
}
