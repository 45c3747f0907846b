package ledger

import (
	"encoding/json"
	"errors"
	"fmt"
	"testing"
	"time"

	"stratus/edge/usage"
)

// A listing longer than a page comes whole and in order, ties on the end
// broken by session across page boundaries, within its limit.
func TestEachPages(t *testing.T) {
	checkEach(t, "", t.TempDir())
}

// checkEach runs Each's checks on the database dsn names.
func checkEach(t *testing.T, dsn, dir string) {
	s, err := Open(t.Context(), dsn, dir)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	const n = 2*PageRows + 7
	t0 := time.Now().Add(-time.Hour).Truncate(time.Millisecond)
	var recs []usage.Record
	for i := range n {
		// Three records share each end, so that pages break inside ties;
		// sessions count down, so that end order is not insertion order.
		r := rec(fmt.Sprintf("s%06d", n-i), 1, fmt.Sprintf("e%d", i%2), t0.Add(time.Duration(i/3)*time.Millisecond))
		recs = append(recs, r)
		if len(recs) == 1000 || i == n-1 {
			if _, err := s.Put(t.Context(), recs); err != nil {
				t.Fatal(err)
			}
			recs = recs[:0]
		}
	}
	stop := errors.New("enough")
	for _, c := range []struct {
		name    string
		f       Filter
		stopAt  int // fn fails at this record (0: never)
		want    int
		wantErr error
	}{
		{"all", Filter{}, 0, n, nil},
		{"one edge", Filter{Edge: "e1"}, 0, n / 2, nil},
		{"a limit across pages", Filter{Limit: PageRows + 1}, 0, PageRows + 1, nil},
		{"a limit of one page", Filter{Limit: PageRows}, 0, PageRows, nil},
		{"from a time", Filter{From: t0.Add(time.Duration(n/3-10) * time.Millisecond)}, 0, n - 3*(n/3-10), nil},
		{"stopped by the caller", Filter{}, PageRows + 3, PageRows + 3, stop},
		{"no titles", Filter{Titles: []string{}}, 0, 0, nil},
		{"a list of titles", Filter{Titles: []string{"other", "rocks"}}, 0, n, nil},
		{"a list of titles, from a time", Filter{Titles: []string{"rocks"}, From: t0.Add(time.Duration(n/3-10) * time.Millisecond)}, 0, n - 3*(n/3-10), nil},
	} {
		got := 0
		var lastEnd time.Time
		lastSession := ""
		err := s.Each(t.Context(), c.f, func(e Entry) error {
			got++
			if e.End.Before(lastEnd) || (e.End.Equal(lastEnd) && e.Session <= lastSession) {
				return fmt.Errorf("record %d: %s at %s after %s at %s", got, e.Session, e.End, lastSession, lastEnd)
			}
			lastEnd, lastSession = e.End, e.Session
			if got == c.stopAt {
				return stop
			}
			return nil
		})
		if !errors.Is(err, c.wantErr) || got != c.want {
			t.Errorf("%s: %d records (%v), want %d (%v)", c.name, got, err, c.want, c.wantErr)
		}
	}
	// The stored bytes are the record's JSON as it was signed.
	err = s.EachRaw(t.Context(), Filter{Limit: 1}, func(r Raw) error {
		e, err := r.Entry()
		if err != nil {
			return err
		}
		if r.Kind != "player" || r.Title != e.Title || string(r.Record) != string(mustJSON(t, e.Record)) {
			t.Errorf("raw %s %s %s, decoded %+v", r.Kind, r.Title, r.Record, e)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func mustJSON(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
