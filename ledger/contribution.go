package ledger

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
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
// and day, weighted by its edges' checks that day. The database does the
// summing: a network's ledger holds millions of records, and reading each
// one back to total it took most of a minute at a million.
func (s *Store) Contributions(ctx context.Context, from, to time.Time) ([]Contribution, error) {
	type edgeDay struct {
		edge string
		day  int64
	}
	type tally struct {
		n, ok int64
		sum   float64
	}
	checks := map[edgeDay]tally{}
	err := s.grouped(ctx, `SELECT edge, at_ms / 86400000, COUNT(*), SUM(score), SUM(CASE WHEN ok THEN 1 ELSE 0 END)
		FROM checks WHERE 1 = 1`, "at_ms", from, to, `GROUP BY edge, at_ms / 86400000`,
		func(scan func(...any) error) error {
			var k edgeDay
			var t tally
			if err := scan(&k.edge, &k.day, &t.n, &t.sum, &t.ok); err != nil {
				return err
			}
			checks[k] = t
			return nil
		})
	if err != nil {
		return nil, err
	}

	type opDay struct {
		op  string
		day int64
	}
	out := map[opDay]*Contribution{}
	edgesOf := map[opDay][]string{}
	err = s.grouped(ctx, `SELECT operator, edge, end_ms / 86400000, kind, COUNT(*), SUM(seconds)
		FROM usage WHERE 1 = 1`, "end_ms", from, to, `GROUP BY operator, edge, end_ms / 86400000, kind`,
		func(scan func(...any) error) error {
			var k opDay
			var edge, kind string
			var n int64
			var seconds float64
			if err := scan(&k.op, &edge, &k.day, &kind, &n, &seconds); err != nil {
				return err
			}
			c := out[k]
			if c == nil {
				c = &Contribution{Operator: k.op, Day: day(time.UnixMilli(k.day * 86400000))}
				out[k] = c
			}
			if !slices.Contains(edgesOf[k], edge) {
				edgesOf[k] = append(edgesOf[k], edge)
			}
			if kind == "check" {
				c.Checks += int(n)
				c.CheckedMinutes += seconds / 60
			} else {
				c.Sessions += int(n)
				c.PlayedMinutes += seconds / 60
			}
			return nil
		})
	if err != nil {
		return nil, err
	}
	list := make([]Contribution, 0, len(out))
	for k, c := range out {
		var n, ok int64
		var sum float64
		for _, edge := range edgesOf[k] {
			t := checks[edgeDay{edge, k.day}]
			n, ok, sum = n+t.n, ok+t.ok, sum+t.sum
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

// grouped runs a GROUP BY query, with args, over the rows whose col is in
// [from, to) (zero: no bound), and hands each result row to each.
func (s *Store) grouped(ctx context.Context, query, col string, from, to time.Time, groupBy string, each func(scan func(...any) error) error, args ...any) error {
	if !from.IsZero() {
		query += ` AND ` + col + ` >= ?`
		args = append(args, from.UnixMilli())
	}
	if !to.IsZero() {
		query += ` AND ` + col + ` < ?`
		args = append(args, to.UnixMilli())
	}
	rows, err := s.db.QueryContext(ctx, s.q(query+` `+groupBy), args...)
	return eachRow(rows, err, each)
}

// eachRow hands each row of a query's result to each, then closes it.
func eachRow(rows *sql.Rows, err error, each func(scan func(...any) error) error) error {
	if err != nil {
		return fmt.Errorf("ledger: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		if err := each(rows.Scan); err != nil {
			return fmt.Errorf("ledger: %w", err)
		}
	}
	return rows.Err()
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
