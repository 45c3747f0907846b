package route

import (
	"math"
	"slices"
)

// radixMin is the list length from which sortKeys uses radix passes; below
// it a comparison sort is as fast.
const radixMin = 256

// sortKeys sorts keys into the order compareKeys defines. Comparison
// sorting 10,000 keys costs about 140,000 calls of compareKeys, which
// was the largest part of an explain decision; instead the keys are
// sorted by radix on (class, score) and only runs of equal pairs, which
// are rare, are compared by name.
//
// Scores are finite and ≥ 0, so their IEEE-754 bit patterns order like the
// numbers; a key outside that range sends the whole list to the
// comparison sort, which orders anything.
func sortKeys(keys []key, edges []Edge) {
	cmpKeys := func(a, b key) int { return compareKeys(edges, a, b) }
	if len(keys) < radixMin {
		slices.SortFunc(keys, cmpKeys)
		return
	}
	// One counting pass for all digits: the 8 bytes of the score, least
	// significant first, then the class as the most significant digit.
	const digits = 9
	var counts [digits][256]int32
	for _, k := range keys {
		if !(k.score >= 0 && k.score <= math.MaxFloat64) {
			slices.SortFunc(keys, cmpKeys)
			return
		}
		bits := math.Float64bits(k.score)
		for d := range 8 {
			counts[d][byte(bits>>(8*d))]++
		}
		counts[8][k.class]++
	}
	src, dst := keys, make([]key, len(keys))
	for d := range digits {
		c := &counts[d]
		// A digit that is the same in every key does not reorder anything.
		if slices.Contains(c[:], int32(len(keys))) {
			continue
		}
		var pos [256]int32
		sum := int32(0)
		for i, n := range c {
			pos[i] = sum
			sum += n
		}
		for _, k := range src {
			var b byte
			if d < 8 {
				b = byte(math.Float64bits(k.score) >> (8 * d))
			} else {
				b = k.class
			}
			dst[pos[b]] = k
			pos[b]++
		}
		src, dst = dst, src
	}
	if &src[0] != &keys[0] {
		copy(keys, src)
	}
	// Each pass was stable, so keys are ordered by (class, score) and
	// within equal pairs still in input order: sort those runs by name.
	for i := 0; i < len(keys); {
		j := i + 1
		for j < len(keys) && keys[j].class == keys[i].class && keys[j].score == keys[i].score {
			j++
		}
		if j-i > 1 {
			slices.SortFunc(keys[i:j], cmpKeys)
		}
		i = j
	}
}
