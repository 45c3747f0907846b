package ledger

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
)

// PageRows is how many records Each reads from the database at a time.
// Each page is read whole and its rows closed before the caller sees them,
// so that a listing paced by a slow reader never holds a connection: on
// SQLite the node has only one, which the edges' writes need too. At a
// few hundred bytes a record a page is a few MB.
const PageRows = 5000

// Raw is a stored record as the ledger keeps it: Record is the record's
// JSON exactly as Put wrote it (json.Marshal of a usage.Record, which is
// what its signature covers once the signature is taken out), beside the
// ledger's kind and the title it filters on. Whoever only passes a record
// on can write Record as it is, without decoding and encoding it again.
type Raw struct {
	Record []byte
	Kind   string
	Title  string
}

// Entry decodes r.
func (r Raw) Entry() (Entry, error) {
	e := Entry{LedgerKind: r.Kind}
	if err := json.Unmarshal(r.Record, &e.Record); err != nil {
		return Entry{}, fmt.Errorf("ledger: a stored record: %w", err)
	}
	return e, nil
}

// EachRaw calls fn with each record f selects, oldest end first, at most
// f.Limit of them (0: MaxRecords), stopping at fn's first error, which it
// returns. Memory stays at one page (PageRows) however many records match.
//
// The listing is read a page at a time, not as one snapshot: a session
// whose record an edge replaces while the listing runs may be listed
// twice, its older record and then, further on, its newer one (a newer
// checkpoint ends later).
func (s *Store) EachRaw(ctx context.Context, f Filter, fn func(Raw) error) error {
	where, args, none, err := f.where()
	if err != nil || none {
		return err
	}
	limit := f.Limit
	if limit <= 0 || limit > MaxRecords {
		limit = MaxRecords
	}
	// Pages follow (end_ms, session), the listing's order, from the last
	// row of the one before: each starts at its place in the index
	// instead of skipping the rows already listed.
	first := s.q(`SELECT record, kind, title, end_ms, session FROM usage WHERE 1 = 1` + where + ` ORDER BY end_ms, session LIMIT ?`)
	if f.Titles != nil && !s.pg {
		// A list of titles: SQLite would take each title's records
		// through usage_title and sort all that remain for every page,
		// a studio of 700,000 records sorting 140 times. The first page
		// keeps that plan, quickest when one page holds them all; the
		// others walk usage_end in order from the last row, the unary +
		// keeping title off its index, once over the period in all.
		where = strings.Replace(where, ` AND title IN (`, ` AND +title IN (`, 1)
	}
	next := s.q(`SELECT record, kind, title, end_ms, session FROM usage WHERE 1 = 1` + where +
		` AND end_ms >= ? AND (end_ms > ? OR session > ?) ORDER BY end_ms, session LIMIT ?`)
	var lastEnd int64
	var lastSession string
	page := make([]Raw, 0, min(PageRows, limit))
	for done := 0; done < limit; {
		n := min(PageRows, limit-done)
		q, qargs := first, append(args[:len(args):len(args)], n)
		if done > 0 {
			q, qargs = next, append(args[:len(args):len(args)], lastEnd, lastEnd, lastSession, n)
		}
		page, err = s.page(ctx, page[:0], q, qargs, &lastEnd, &lastSession)
		if err != nil {
			return err
		}
		for _, r := range page {
			if err := fn(r); err != nil {
				return err
			}
		}
		done += len(page)
		if len(page) < n {
			return nil
		}
	}
	return nil
}

// page reads one page of rows into into, closing them before it returns,
// and leaves the last row's place in lastEnd and lastSession.
func (s *Store) page(ctx context.Context, into []Raw, q string, args []any, lastEnd *int64, lastSession *string) ([]Raw, error) {
	rows, err := s.db.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("ledger: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var r Raw
		var raw string
		if err := rows.Scan(&raw, &r.Kind, &r.Title, lastEnd, lastSession); err != nil {
			return nil, fmt.Errorf("ledger: %w", err)
		}
		r.Record = []byte(raw)
		into = append(into, r)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("ledger: %w", err)
	}
	return into, nil
}

// Each is EachRaw with each record decoded.
func (s *Store) Each(ctx context.Context, f Filter, fn func(Entry) error) error {
	return s.EachRaw(ctx, f, func(r Raw) error {
		e, err := r.Entry()
		if err != nil {
			return err
		}
		return fn(e)
	})
}
