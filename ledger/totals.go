package ledger

import (
	"context"
	"fmt"
	"sort"
	"time"
)

// Total is the play and the checks of one group of records.
type Total struct {
	Key            string  `json:"key"`
	Sessions       int     `json:"sessions"`
	PlayedMinutes  float64 `json:"played_minutes"`
	Checks         int     `json:"checks"`
	CheckedMinutes float64 `json:"checked_minutes"`
}

// Totals sums the records f selects per edge or per title (by), in the
// database, sorted by key: a report over millions of records reads one row
// per group instead of every record.
func (s *Store) Totals(ctx context.Context, f Filter, by string) ([]Total, error) {
	if by != "edge" && by != "title" {
		return nil, fmt.Errorf("ledger: totals by %q: want edge or title", by)
	}
	where, args, none, err := f.where()
	if err != nil || none {
		return []Total{}, err
	}
	sums := map[string]*Total{}
	err = s.grouped(ctx, `SELECT `+by+`, kind, COUNT(*), SUM(seconds) FROM usage WHERE 1 = 1`+where,
		"", time.Time{}, time.Time{}, `GROUP BY `+by+`, kind`, func(scan func(...any) error) error {
			var key, kind string
			var n int64
			var seconds float64
			if err := scan(&key, &kind, &n, &seconds); err != nil {
				return err
			}
			t := sums[key]
			if t == nil {
				t = &Total{Key: key}
				sums[key] = t
			}
			t.Add(kind, int(n), seconds)
			return nil
		}, args...)
	if err != nil {
		return nil, err
	}
	return SortTotals(sums), nil
}

// Add counts n records of kind (check or play) lasting seconds in all.
func (t *Total) Add(kind string, n int, seconds float64) {
	if kind == "check" {
		t.Checks += n
		t.CheckedMinutes += seconds / 60
		return
	}
	t.Sessions += n
	t.PlayedMinutes += seconds / 60
}

// SortTotals lists sums by key.
func SortTotals(sums map[string]*Total) []Total {
	out := make([]Total, 0, len(sums))
	for _, t := range sums {
		out = append(out, *t)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Key < out[j].Key })
	return out
}
