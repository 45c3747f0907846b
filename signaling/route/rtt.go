package route

import (
	"math"
	"strings"
	"time"

	"stratus/cluster"
)

const (
	// fibreKmPerMs is light in glass: c divided by a refractive index of
	// about 1.5, so roughly 200,000 km/s.
	fibreKmPerMs = 200.0
	// earthRadiusKm is the mean radius, close enough for RTT guesses.
	earthRadiusKm = 6371.0
)

// rttSource is Candidate.RTTSource as a small number, so scoring does not
// touch strings.
type rttSource uint8

const (
	srcMeasured rttSource = iota
	srcRegionMeasured
	srcLocation
	srcRegionHint
	srcUnknown
)

func (s rttSource) String() string {
	switch s {
	case srcMeasured:
		return SourceMeasured
	case srcRegionMeasured:
		return SourceRegionMeasured
	case srcLocation:
		return SourceLocation
	case srcRegionHint:
		return SourceRegionHint
	}
	return SourceUnknown
}

// rttHints is the request's RTT evidence, rearranged once per decision so
// that each edge costs at most two map lookups and no allocation.
type rttHints struct {
	// edgeRTT is Request.RTT, consulted only when it has edge keys.
	edgeRTT   map[string]time.Duration
	edgeKeys  int
	regionRTT map[string]time.Duration
	region    string
	hasLoc    bool
	// The player's longitude (radians) and the sine and cosine of their
	// latitude.
	lon, sinLat, cosLat float64
}

func newHints(req *Request) rttHints {
	h := rttHints{edgeRTT: req.RTT, region: req.Region}
	regions := 0
	for k := range req.RTT {
		if strings.HasPrefix(k, RegionRTTPrefix) {
			regions++
		} else {
			h.edgeKeys++
		}
	}
	if regions > 0 {
		h.regionRTT = make(map[string]time.Duration, regions)
		for k, v := range req.RTT {
			if name, ok := strings.CutPrefix(k, RegionRTTPrefix); ok && v >= 0 {
				h.regionRTT[name] = v
			}
		}
	}
	if loc := req.Location; loc != nil && knownLocation(*loc) {
		h.hasLoc = true
		h.lon = radians(loc.Lon)
		h.sinLat, h.cosLat = math.Sincos(radians(loc.Lat))
	}
	return h
}

// knownLocation treats 0,0 as unset: it is the zero value of a Location
// gossiped by an edge that was given none, and no edge sits in the Gulf of
// Guinea.
func knownLocation(l cluster.Location) bool {
	return (l.Lat != 0 || l.Lon != 0) && !math.IsNaN(l.Lat) && !math.IsNaN(l.Lon) &&
		math.Abs(l.Lat) <= 90 && math.Abs(l.Lon) <= 360
}

func radians(deg float64) float64 { return deg * math.Pi / 180 }

// distanceKm is the great-circle distance from the player, by the
// spherical law of cosines with the player's terms precomputed: three
// trigonometric calls per edge where haversine needs four. Its rounding
// error near zero distance is around 0.1 km, a microsecond of RTT.
func (h *rttHints) distanceKm(l cluster.Location) float64 {
	sinLat, cosLat := math.Sincos(radians(l.Lat))
	c := h.sinLat*sinLat + h.cosLat*cosLat*math.Cos(radians(l.Lon)-h.lon)
	return earthRadiusKm * math.Acos(min(max(c, -1), 1))
}

// rtt is the round trip to use for e and where it came from; the order of
// the cases is the order of trust documented in the package comment.
func (r *Router) rtt(h *rttHints, e *Edge) (time.Duration, rttSource) {
	if h.edgeKeys > 0 {
		// A negative duration is a broken measurement, not a fast edge.
		if v, ok := h.edgeRTT[e.Name]; ok && v >= 0 {
			return v, srcMeasured
		}
	}
	if h.regionRTT != nil && e.Meta.Region != "" {
		if v, ok := h.regionRTT[e.Meta.Region]; ok {
			return v, srcRegionMeasured
		}
	}
	if h.hasLoc && knownLocation(e.Meta.Location) {
		ms := 2*h.distanceKm(e.Meta.Location)/fibreKmPerMs*r.cfg.RouteFactor + r.locBaseMs
		return time.Duration(ms * float64(time.Millisecond)), srcLocation
	}
	if h.region != "" && e.Meta.Region != "" {
		if e.Meta.Region == h.region {
			return r.cfg.SameRegionRTT, srcRegionHint
		}
		return r.cfg.OtherRegionRTT, srcRegionHint
	}
	return r.cfg.UnknownRTT, srcUnknown
}
