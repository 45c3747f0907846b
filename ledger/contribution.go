package ledger

import (
	"context"
	"fmt"
	"sort"
	"time"
)

// PutCheck records one check of edge: its score (0..1, checker/qos.Score)
// and whether it measured at all, for the contribution's weights.
func (s *Store) PutCheck(ctx context.Context, edge, checker string, at time.Time, score float64, ok bool) error {
	_, err := s.db.ExecContext(ctx, s.q(`INSERT INTO checks (edge, checker, at_ms, score, ok) VALUES (?, ?, ?, ?, ?)`),
		edge, checker, at.UnixMilli(), score, ok)
	if err != nil {
		return fmt.Errorf("ledger: %w", err)
	}
	return nil
}

// Contribution is what one operator delivered on one day (UTC).
type Contribution struct {
	Operator string `json:"operator"`
	Day      string `json:"day"` // 2006-01-02
	Sessions int    `json:"sessions"`
	// PlayedMinutes are the players' session-minutes; checks are not
	// play and count in CheckedMinutes only.
	PlayedMinutes  float64 `json:"played_minutes"`
	Checks         int     `json:"checks"`
	CheckedMinutes float64 `json:"checked_minutes"`
	// Score is the mean of its edges' check scores that day, and
	// Availability the share of those checks that measured at all; both
	// 1 where no check ran (nothing held against it).
	Score        float64 `json:"score"`
	Availability float64 `json:"availability"`
	// Weighted is PlayedMinutes × Score × Availability: what the day
	// earns.
	Weighted float64 `json:"weighted_minutes"`
}

// Contributions totals the sessions that ended in [from, to) per operator
// and day, weighted by its edges' checks that day.
func (s *Store) Contributions(ctx context.Context, from, to time.Time) ([]Contribution, error) {
	entries, err := s.Query(ctx, Filter{From: from, To: to})
	if err != nil {
		return nil, err
	}
	// The checks of each edge and day in the period.
	type edgeDay struct{ edge, day string }
	type tally struct {
		n, ok int
		sum   float64
	}
	checks := map[edgeDay]*tally{}
	q := `SELECT edge, at_ms, score, ok FROM checks WHERE 1 = 1`
	var args []any
	if !from.IsZero() {
		q += ` AND at_ms >= ?`
		args = append(args, from.UnixMilli())
	}
	if !to.IsZero() {
		q += ` AND at_ms < ?`
		args = append(args, to.UnixMilli())
	}
	rows, err := s.db.QueryContext(ctx, s.q(q), args...)
	if err != nil {
		return nil, fmt.Errorf("ledger: %w", err)
	}
	for rows.Next() {
		var edge string
		var at int64
		var score float64
		var ok bool
		if err := rows.Scan(&edge, &at, &score, &ok); err != nil {
			rows.Close()
			return nil, err
		}
		k := edgeDay{edge, day(time.UnixMilli(at))}
		t := checks[k]
		if t == nil {
			t = &tally{}
			checks[k] = t
		}
		t.n++
		t.sum += score
		if ok {
			t.ok++
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}

	type opDay struct{ op, day string }
	out := map[opDay]*Contribution{}
	edgesOf := map[opDay]map[string]bool{}
	for _, e := range entries {
		k := opDay{e.Operator, day(e.End)}
		c := out[k]
		if c == nil {
			c = &Contribution{Operator: e.Operator, Day: k.day}
			out[k] = c
			edgesOf[k] = map[string]bool{}
		}
		edgesOf[k][e.Edge] = true
		if e.LedgerKind == "check" {
			c.Checks++
			c.CheckedMinutes += e.Seconds / 60
			continue
		}
		c.Sessions++
		c.PlayedMinutes += e.Seconds / 60
	}
	list := make([]Contribution, 0, len(out))
	for k, c := range out {
		var n, ok int
		var sum float64
		for edge := range edgesOf[k] {
			if t := checks[edgeDay{edge, k.day}]; t != nil {
				n, ok, sum = n+t.n, ok+t.ok, sum+t.sum
			}
		}
		c.Score, c.Availability = 1, 1
		if n > 0 {
			c.Score, c.Availability = sum/float64(n), float64(ok)/float64(n)
		}
		c.Weighted = c.PlayedMinutes * c.Score * c.Availability
		list = append(list, *c)
	}
	sort.Slice(list, func(i, j int) bool {
		if list[i].Day != list[j].Day {
			return list[i].Day < list[j].Day
		}
		return list[i].Operator < list[j].Operator
	})
	return list, nil
}

func day(t time.Time) string { return t.UTC().Format("2006-01-02") }

// Check is one check of an edge as the ledger keeps it.
type Check struct {
	Edge    string    `json:"edge"`
	Checker string    `json:"checker"`
	At      time.Time `json:"at"`
	Score   float64   `json:"score"`
	OK      bool      `json:"ok"`
}

// MaxChecks bounds what Checks returns: an edge's status shows the
// recent ones, not its history.
const MaxChecks = 1000

// Checks returns edge's checks in [from, to) (zero: no bound), newest
// first, at most limit (0 or more than MaxChecks: MaxChecks).
func (s *Store) Checks(ctx context.Context, edge string, from, to time.Time, limit int) ([]Check, error) {
	q := `SELECT checker, at_ms, score, ok FROM checks WHERE edge = ?`
	args := []any{edge}
	if !from.IsZero() {
		q += ` AND at_ms >= ?`
		args = append(args, from.UnixMilli())
	}
	if !to.IsZero() {
		q += ` AND at_ms < ?`
		args = append(args, to.UnixMilli())
	}
	if limit <= 0 || limit > MaxChecks {
		limit = MaxChecks
	}
	q += fmt.Sprintf(` ORDER BY at_ms DESC LIMIT %d`, limit)
	rows, err := s.db.QueryContext(ctx, s.q(q), args...)
	if err != nil {
		return nil, fmt.Errorf("ledger: %w", err)
	}
	defer rows.Close()
	out := []Check{}
	for rows.Next() {
		c := Check{Edge: edge}
		var at int64
		if err := rows.Scan(&c.Checker, &at, &c.Score, &c.OK); err != nil {
			return nil, err
		}
		c.At = time.UnixMilli(at).UTC()
		out = append(out, c)
	}
	return out, rows.Err()
}
