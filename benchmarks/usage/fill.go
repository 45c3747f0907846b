package main

import (
	"context"
	"crypto/ed25519"
	"fmt"
	"math"
	"math/rand/v2"
	"time"

	"stratus/edge/usage"
	"stratus/ledger"
)

// edgeKey is an enrolled edge: its name, operator, region and node key.
type edgeKey struct {
	name, operator, region string
	key                    ed25519.PrivateKey
}

// world is the shape of the ledger filled: who played what, where, when.
type world struct {
	edges  []edgeKey
	titles []string
	days   int
	// end is the latest end a session may have; sessions end in the days
	// before it.
	end time.Time
}

// batch is what an edge sends the ledger in one push.
const batch = 1000

// fill puts n signed records into s, in batches as edges push them, and
// returns how long the puts took (signing excluded).
//
// The distribution follows a network's: titles by popularity (Zipf, a
// few titles most of the play), edges likewise (busy and quiet ones),
// sessions spread evenly over the days, lengths log-normal around 20
// minutes (a few seconds to several hours), one in twenty without a
// signed-in player.
func fill(ctx context.Context, s *ledger.Store, w world, n int, seed uint64) (time.Duration, error) {
	r := rand.New(rand.NewPCG(seed, 1))
	titleZipf := rand.NewZipf(r, 1.1, 4, uint64(len(w.titles)-1))
	edgeZipf := rand.NewZipf(r, 1.05, 8, uint64(len(w.edges)-1))
	span := time.Duration(w.days) * 24 * time.Hour
	var put time.Duration
	recs := make([]usage.Record, 0, batch)
	for i := 0; i < n; i++ {
		e := w.edges[edgeZipf.Uint64()]
		secs := math.Min(math.Exp(math.Log(1200)+r.NormFloat64()), 8*3600)
		end := w.end.Add(-time.Duration(r.Int64N(int64(span)))).Truncate(time.Millisecond)
		rec := usage.Record{
			Session: fmt.Sprintf("b%08d-%016x", i, r.Uint64()), Seq: uint64(1 + secs/60), Final: true,
			Kind: usage.KindPlayer, Title: w.titles[titleZipf.Uint64()], Edge: e.name, Operator: e.operator, Region: e.region,
			Start: end.Add(-time.Duration(secs * float64(time.Second))), End: end, Seconds: secs,
			FramesSent: int64(secs * 60), FramesPresented: int64(secs * 59.5), Bytes: int64(secs * 500_000), Encoder: "x264",
		}
		if r.IntN(20) == 0 {
			rec.Player = ""
		} else {
			rec.Player = fmt.Sprintf("player-%d", r.IntN(200_000))
		}
		rec.Sign(e.key)
		recs = append(recs, rec)
		if len(recs) == batch || i == n-1 {
			t0 := time.Now()
			if _, err := s.Put(ctx, recs); err != nil {
				return put, err
			}
			put += time.Since(t0)
			recs = recs[:0]
		}
	}
	return put, nil
}
