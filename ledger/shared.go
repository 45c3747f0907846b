package ledger

import (
	"context"
	"database/sql"
	"encoding/base64"
	"errors"
	"fmt"
	"time"
)

// Signaling nodes that share one ledger share what each learns of the
// edges: the checkers' signed reports each took (check_reports) and the
// refusals each judged lies (refusals). Each node writes its own rows and
// follows the others' by id. The ledger only keeps them: the rows carry
// their signatures so that every reader checks them, as it would a POST.
//
// Ids come from shared_seq, whose row each insert's transaction updates
// first: its lock (a row lock on PostgreSQL, the write lock on SQLite)
// holds the next insert until this one commits, so ids become visible in
// order, and a follower that has read up to id n never later finds a
// smaller one committed behind it. A PostgreSQL sequence would not promise
// that: its numbers are handed out at insert and committed in any order.

// CheckReport is a checker's signed report (checker/qos.Signed) as one
// signaling node took it.
type CheckReport struct {
	ID int64
	// Node took the report; At is when, by its clock (for pruning).
	Node, Checker string
	At            time.Time
	// Report is the report's JSON as the checker signed it.
	Report, Sig []byte
}

// Refusal is a join that Edge refused while it advertised free slots, which
// Node judged a lie; At is when the edge refused, by Node's clock. Sig is
// Node's signature over the three.
type Refusal struct {
	ID         int64
	Edge, Node string
	At         time.Time
	Sig        []byte
}

// MaxSharedBatch bounds the rows one read of either table returns.
const MaxSharedBatch = 10_000

// The shared tables, each with its row in shared_seq of the same name.
const (
	tableChecks   = "check_reports"
	tableRefusals = "refusals"
)

// AddCheckReport records r, returning its id; 0 when a row with the same
// signature is there already (the same report, sent twice).
func (s *Store) AddCheckReport(ctx context.Context, r CheckReport) (int64, error) {
	return s.insertShared(ctx, tableChecks, `INSERT INTO check_reports (id, node, checker, at_ms, report, sig)
		VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`,
		r.Node, r.Checker, r.At.UnixMilli(), string(r.Report), base64.StdEncoding.EncodeToString(r.Sig))
}

// AddRefusal records r, returning its id.
func (s *Store) AddRefusal(ctx context.Context, r Refusal) (int64, error) {
	return s.insertShared(ctx, tableRefusals, `INSERT INTO refusals (id, edge, node, at_ms, sig) VALUES (?, ?, ?, ?, ?)`,
		r.Edge, r.Node, r.At.UnixMilli(), base64.StdEncoding.EncodeToString(r.Sig))
}

// insertShared runs insert, whose first placeholder is the id, with the
// next id of table.
func (s *Store) insertShared(ctx context.Context, table, insert string, args ...any) (int64, error) {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return 0, fmt.Errorf("ledger: %s: %w", table, err)
	}
	defer tx.Rollback()
	var id int64
	if err := tx.QueryRowContext(ctx, s.q(`UPDATE shared_seq SET n = n + 1 WHERE name = ? RETURNING n`), table).Scan(&id); err != nil {
		return 0, fmt.Errorf("ledger: %s id: %w", table, err)
	}
	res, err := tx.ExecContext(ctx, s.q(insert), append([]any{id}, args...)...)
	if err != nil {
		return 0, fmt.Errorf("ledger: %s: %w", table, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return 0, nil // the rollback gives the id back
	}
	if err := tx.Commit(); err != nil {
		return 0, fmt.Errorf("ledger: %s: %w", table, err)
	}
	return id, nil
}

// CheckReportsAfter returns up to limit reports with ids above after,
// lowest first.
func (s *Store) CheckReportsAfter(ctx context.Context, after int64, limit int) ([]CheckReport, error) {
	var out []CheckReport
	err := s.readShared(ctx, `SELECT id, node, checker, at_ms, report, sig FROM check_reports`, after, limit,
		func(scan func(...any) error) error {
			var r CheckReport
			var at int64
			var rep, sig string
			if err := scan(&r.ID, &r.Node, &r.Checker, &at, &rep, &sig); err != nil {
				return err
			}
			r.At, r.Report = time.UnixMilli(at), []byte(rep)
			// A signature that is not base64 stays empty: it fails the
			// reader's check like any other bad one.
			r.Sig, _ = base64.StdEncoding.DecodeString(sig)
			out = append(out, r)
			return nil
		})
	return out, err
}

// RefusalsAfter returns up to limit refusals with ids above after, lowest
// first.
func (s *Store) RefusalsAfter(ctx context.Context, after int64, limit int) ([]Refusal, error) {
	var out []Refusal
	err := s.readShared(ctx, `SELECT id, edge, node, at_ms, sig FROM refusals`, after, limit,
		func(scan func(...any) error) error {
			var r Refusal
			var at int64
			var sig string
			if err := scan(&r.ID, &r.Edge, &r.Node, &at, &sig); err != nil {
				return err
			}
			r.At = time.UnixMilli(at)
			r.Sig, _ = base64.StdEncoding.DecodeString(sig)
			out = append(out, r)
			return nil
		})
	return out, err
}

func (s *Store) readShared(ctx context.Context, query string, after int64, limit int, each func(scan func(...any) error) error) error {
	if limit <= 0 || limit > MaxSharedBatch {
		return fmt.Errorf("ledger: a batch of %d rows, want 1 to %d", limit, MaxSharedBatch)
	}
	rows, err := s.db.QueryContext(ctx, s.q(query+fmt.Sprintf(` WHERE id > ? ORDER BY id LIMIT %d`, limit)), after)
	return eachRow(rows, err, each)
}

// SharedCursor is a position in both shared tables: the last id read of
// each.
type SharedCursor struct {
	Checks, Refusals int64
}

// SharedSince returns where a node that starts reads from, to take in the
// rows written from since on (from: the id before the first of them), and
// the latest ids now (latest).
func (s *Store) SharedSince(ctx context.Context, since time.Time) (from, latest SharedCursor, err error) {
	for _, t := range []struct {
		table        string
		from, latest *int64
	}{{tableChecks, &from.Checks, &latest.Checks}, {tableRefusals, &from.Refusals, &latest.Refusals}} {
		var first sql.NullInt64
		if err := s.db.QueryRowContext(ctx, `SELECT MAX(id) FROM `+t.table).Scan(&first); err != nil {
			return from, latest, fmt.Errorf("ledger: %s: %w", t.table, err)
		}
		*t.latest = first.Int64
		err := s.db.QueryRowContext(ctx, s.q(`SELECT MIN(id) FROM `+t.table+` WHERE at_ms >= ?`), since.UnixMilli()).Scan(&first)
		switch {
		case errors.Is(err, sql.ErrNoRows) || (err == nil && !first.Valid):
			*t.from = *t.latest
		case err != nil:
			return from, latest, fmt.Errorf("ledger: %s: %w", t.table, err)
		default:
			*t.from = first.Int64 - 1
		}
	}
	return from, latest, nil
}

// PruneShared deletes the rows of both shared tables from before before,
// returning how many.
func (s *Store) PruneShared(ctx context.Context, before time.Time) (int64, error) {
	var total int64
	for _, table := range []string{tableChecks, tableRefusals} {
		res, err := s.db.ExecContext(ctx, s.q(`DELETE FROM `+table+` WHERE at_ms < ?`), before.UnixMilli())
		if err != nil {
			return total, fmt.Errorf("ledger: pruning %s: %w", table, err)
		}
		n, _ := res.RowsAffected()
		total += n
	}
	return total, nil
}
