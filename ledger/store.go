package ledger

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"path/filepath"
	"strings"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // the database/sql driver "pgx"
	_ "modernc.org/sqlite"             // the database/sql driver "sqlite"

	"stratus/edge/usage"
)

// Store is the ledger's database. Its methods may be called from any
// goroutine.
type Store struct {
	db *sql.DB
	// pg: PostgreSQL, whose placeholders are $1, $2… where SQLite's are ?.
	pg bool
}

// migrations are the schema's versions, applied in order once each; a
// released one is never edited, only followed by another.
var migrations = []string{
	`CREATE TABLE usage (
		session TEXT PRIMARY KEY,
		seq BIGINT NOT NULL,
		final BOOLEAN NOT NULL,
		kind TEXT NOT NULL,
		title TEXT NOT NULL,
		edge TEXT NOT NULL,
		operator TEXT NOT NULL,
		region TEXT NOT NULL,
		player TEXT NOT NULL,
		start_ms BIGINT NOT NULL,
		end_ms BIGINT NOT NULL,
		seconds DOUBLE PRECISION NOT NULL,
		record TEXT NOT NULL,
		received_ms BIGINT NOT NULL
	)`,
	`CREATE INDEX usage_end ON usage (end_ms)`,
	`CREATE INDEX usage_operator ON usage (operator, end_ms)`,
	// The sessions checkers played, which may be reported before their
	// edge sends the record.
	`CREATE TABLE check_sessions (session TEXT PRIMARY KEY)`,
	// Every check's score, for the weights of the contribution.
	`CREATE TABLE checks (edge TEXT NOT NULL, checker TEXT NOT NULL, at_ms BIGINT NOT NULL,
		score DOUBLE PRECISION NOT NULL, ok BOOLEAN NOT NULL)`,
	`CREATE INDEX checks_at ON checks (at_ms, edge)`,
	// The studio catalog (see catalog.go): one row per title, the
	// studio package's record as it keeps it, and the catalog's one
	// revision, which every change moves forward.
	`CREATE TABLE catalog_titles (id TEXT PRIMARY KEY, studio TEXT NOT NULL, record TEXT NOT NULL)`,
	`CREATE INDEX catalog_titles_studio ON catalog_titles (studio)`,
	`CREATE TABLE catalog_revision (rev BIGINT NOT NULL)`,
	`INSERT INTO catalog_revision (rev) VALUES (0)`,
	// GET /v1/usage?edge= and ?title= (an edge's or a title's records):
	// without these they walked every record in end order, 11 s for one
	// edge's in a ledger of a million (benchmarks/README.md).
	`CREATE INDEX usage_edge ON usage (edge, end_ms)`,
	`CREATE INDEX usage_title ON usage (title, end_ms)`,
	// What signaling nodes sharing the ledger tell each other (see
	// shared.go): the checkers' signed reports each took and the
	// refusals each judged lies, numbered from shared_seq so that ids
	// commit in order.
	`CREATE TABLE shared_seq (name TEXT PRIMARY KEY, n BIGINT NOT NULL)`,
	`INSERT INTO shared_seq (name, n) VALUES ('check_reports', 0), ('refusals', 0)`,
	`CREATE TABLE check_reports (id BIGINT PRIMARY KEY, node TEXT NOT NULL, checker TEXT NOT NULL,
		at_ms BIGINT NOT NULL, report TEXT NOT NULL, sig TEXT NOT NULL)`,
	`CREATE UNIQUE INDEX check_reports_sig ON check_reports (sig)`,
	`CREATE INDEX check_reports_at ON check_reports (at_ms)`,
	`CREATE TABLE refusals (id BIGINT PRIMARY KEY, edge TEXT NOT NULL, node TEXT NOT NULL,
		at_ms BIGINT NOT NULL, sig TEXT NOT NULL)`,
	`CREATE INDEX refusals_at ON refusals (at_ms)`,
}

// Open opens the ledger dsn names, bringing its schema up to date: a
// PostgreSQL URL (postgres://…), which several signaling nodes may share,
// or "" for SQLite in dir/ledger.db, created as needed.
func Open(ctx context.Context, dsn, dir string) (*Store, error) {
	if strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://") {
		return openPostgres(ctx, dsn)
	}
	if dsn != "" {
		return nil, fmt.Errorf("ledger: %q is not a postgres:// URL (leave it empty for SQLite in the data directory)", redact(dsn))
	}
	path := filepath.Join(dir, "ledger.db")
	// WAL lets readers (stratus usage) run beside the writer; the busy
	// timeout rides out the short write locks instead of failing. It
	// comes first, since the pragmas run in order: switching a new file
	// to WAL takes a lock that another node starting on the same data
	// directory may hold.
	db, err := sql.Open("sqlite", "file:"+path+"?_pragma=busy_timeout(5000)&_pragma=journal_mode(WAL)&_pragma=synchronous(NORMAL)")
	if err != nil {
		return nil, fmt.Errorf("ledger: %w", err)
	}
	// One connection: SQLite takes one writer at a time anyway.
	db.SetMaxOpenConns(1)
	return ready(ctx, &Store{db: db})
}

// openPostgres opens a PostgreSQL ledger through pgx.
func openPostgres(ctx context.Context, dsn string) (*Store, error) {
	db, err := sql.Open("pgx", dsn)
	if err != nil {
		return nil, fmt.Errorf("ledger: %s: %w", redact(dsn), err)
	}
	// A signaling node writes a batch at a time; a few connections serve
	// the operator's queries beside it.
	db.SetMaxOpenConns(4)
	pctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := db.PingContext(pctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("ledger: %s: %w", redact(dsn), err)
	}
	return ready(ctx, &Store{db: db, pg: true})
}

// ready migrates s, closing it on failure.
func ready(ctx context.Context, s *Store) (*Store, error) {
	if err := s.migrate(ctx); err != nil {
		s.db.Close()
		return nil, err
	}
	return s, nil
}

// redact hides a URL's password, for errors and logs.
func redact(dsn string) string {
	if u, err := url.Parse(dsn); err == nil {
		return u.Redacted()
	}
	return "(unparsable URL)"
}

// q adapts a query written with ? placeholders to the database.
func (s *Store) q(query string) string {
	if !s.pg {
		return query
	}
	var b strings.Builder
	n := 0
	for _, c := range query {
		if c == '?' {
			n++
			fmt.Fprintf(&b, "$%d", n)
			continue
		}
		b.WriteRune(c)
	}
	return b.String()
}

func (s *Store) migrate(ctx context.Context) (err error) {
	// One connection for the whole migration: the lock below belongs to
	// it, on either database.
	conn, err := s.db.Conn(ctx)
	if err != nil {
		return fmt.Errorf("ledger: schema: %w", err)
	}
	defer conn.Close()
	if s.pg {
		// Two signaling nodes starting at once must not both migrate.
		// The lock belongs to a session, so it is taken and given back
		// on this connection: on the pool's next free one the unlock
		// could miss it, leaving the lock held and the other node
		// waiting as long as the connection lives.
		if _, err := conn.ExecContext(ctx, `SELECT pg_advisory_lock(7424701)`); err != nil {
			return fmt.Errorf("ledger: schema lock: %w", err)
		}
		defer conn.ExecContext(context.Background(), `SELECT pg_advisory_unlock(7424701)`)
	} else {
		// Nor two nodes on one data directory: the migration is one
		// transaction that holds SQLite's write lock from its start,
		// the second node waiting (busy_timeout) and then finding the
		// schema up to date.
		if _, err := conn.ExecContext(ctx, `BEGIN IMMEDIATE`); err != nil {
			return fmt.Errorf("ledger: schema lock: %w", err)
		}
		defer func() {
			end := `COMMIT`
			if err != nil {
				end = `ROLLBACK`
			}
			if _, cerr := conn.ExecContext(context.Background(), end); cerr != nil && err == nil {
				err = fmt.Errorf("ledger: schema: %w", cerr)
			}
		}()
	}
	if _, err := conn.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)`); err != nil {
		return fmt.Errorf("ledger: schema: %w", err)
	}
	var v int
	err = conn.QueryRowContext(ctx, `SELECT version FROM schema_version`).Scan(&v)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		if _, err := conn.ExecContext(ctx, `INSERT INTO schema_version (version) VALUES (0)`); err != nil {
			return fmt.Errorf("ledger: schema: %w", err)
		}
	case err != nil:
		return fmt.Errorf("ledger: schema: %w", err)
	}
	if v > len(migrations) {
		return fmt.Errorf("ledger: the database is at schema version %d, this build knows %d (a newer release's?)", v, len(migrations))
	}
	for i := v; i < len(migrations); i++ {
		if err := s.apply(ctx, conn, i); err != nil {
			return fmt.Errorf("ledger: migration %d: %w", i+1, err)
		}
	}
	return nil
}

// apply applies migration i on conn: on PostgreSQL in a transaction of
// its own, on SQLite inside migrate's.
func (s *Store) apply(ctx context.Context, conn *sql.Conn, i int) error {
	exec := conn.ExecContext
	var tx *sql.Tx
	if s.pg {
		var err error
		if tx, err = conn.BeginTx(ctx, nil); err != nil {
			return err
		}
		defer tx.Rollback()
		exec = tx.ExecContext
	}
	if _, err := exec(ctx, migrations[i]); err != nil {
		return err
	}
	if _, err := exec(ctx, s.q(`UPDATE schema_version SET version = ?`), i+1); err != nil {
		return err
	}
	if tx != nil {
		return tx.Commit()
	}
	return nil
}

// Put records recs, each replacing its session's record only when newer
// (a higher sequence number). It returns how many changed the ledger.
func (s *Store) Put(ctx context.Context, recs []usage.Record) (int, error) {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return 0, err
	}
	defer tx.Rollback()
	stmt, err := tx.PrepareContext(ctx, s.q(`INSERT INTO usage
		(session, seq, final, kind, title, edge, operator, region, player, start_ms, end_ms, seconds, record, received_ms)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (session) DO UPDATE SET seq = excluded.seq, final = excluded.final, kind = excluded.kind,
			title = excluded.title, edge = excluded.edge, operator = excluded.operator, region = excluded.region, player = excluded.player,
			start_ms = excluded.start_ms, end_ms = excluded.end_ms, seconds = excluded.seconds, record = excluded.record, received_ms = excluded.received_ms
		WHERE excluded.seq > usage.seq`))
	if err != nil {
		return 0, fmt.Errorf("ledger: %w", err)
	}
	defer stmt.Close()
	now := time.Now().UnixMilli()
	changed := 0
	for _, r := range recs {
		b, err := json.Marshal(r)
		if err != nil {
			return 0, err
		}
		res, err := stmt.ExecContext(ctx, r.Session, int64(r.Seq), r.Final, r.Kind, r.Title, r.Edge, r.Operator, r.Region, r.Player,
			r.Start.UnixMilli(), r.End.UnixMilli(), r.Seconds, string(b), now)
		if err != nil {
			return 0, fmt.Errorf("ledger: %w", err)
		}
		if n, _ := res.RowsAffected(); n > 0 {
			changed++
		}
	}
	if _, err := tx.ExecContext(ctx, `UPDATE usage SET kind = 'check'
		WHERE kind <> 'check' AND session IN (SELECT session FROM check_sessions)`); err != nil {
		return 0, fmt.Errorf("ledger: %w", err)
	}
	return changed, tx.Commit()
}

// MarkCheck records that session was a checker's, not a player's: it is
// listed as a check and not counted as play.
func (s *Store) MarkCheck(ctx context.Context, session string) error {
	if _, err := s.db.ExecContext(ctx, s.q(`INSERT INTO check_sessions (session) VALUES (?) ON CONFLICT DO NOTHING`), session); err != nil {
		return fmt.Errorf("ledger: %w", err)
	}
	_, err := s.db.ExecContext(ctx, s.q(`UPDATE usage SET kind = 'check' WHERE session = ?`), session)
	return err
}

// Filter selects records: sessions that ended in [From, To) (zero: no
// bound), of one operator, edge or title when set, and of one of Titles
// when Titles is not nil (an empty, non-nil Titles selects nothing: a
// studio without titles has no usage).
type Filter struct {
	From, To              time.Time
	Operator, Edge, Title string
	Titles                []string
	// Limit caps the records returned (0: MaxRecords).
	Limit int
}

// MaxRecords bounds one listing: a million records is some 500 MB of
// JSON, the most one answer should ever carry, streamed or not.
const MaxRecords = 1_000_000

// MaxTitles bounds Filter.Titles: far more than one studio's catalog
// holds, and well under the bound parameters SQLite takes in one query
// (32766).
const MaxTitles = 10_000

// where is f's conditions on the usage table, each starting with AND;
// none reports a filter that selects nothing (an empty Titles).
func (f Filter) where() (where string, args []any, none bool, err error) {
	if !f.From.IsZero() {
		where += ` AND end_ms >= ?`
		args = append(args, f.From.UnixMilli())
	}
	if !f.To.IsZero() {
		where += ` AND end_ms < ?`
		args = append(args, f.To.UnixMilli())
	}
	for _, c := range []struct{ col, v string }{{"operator", f.Operator}, {"edge", f.Edge}, {"title", f.Title}} {
		if c.v != "" {
			where += ` AND ` + c.col + ` = ?`
			args = append(args, c.v)
		}
	}
	if f.Titles != nil {
		if len(f.Titles) == 0 {
			return "", nil, true, nil
		}
		if len(f.Titles) > MaxTitles {
			return "", nil, false, fmt.Errorf("ledger: %d titles in one query, at most %d", len(f.Titles), MaxTitles)
		}
		where += ` AND title IN (?` + strings.Repeat(`, ?`, len(f.Titles)-1) + `)`
		for _, t := range f.Titles {
			args = append(args, t)
		}
	}
	return where, args, false, nil
}

// Entry is a record with the ledger's own view of it.
type Entry struct {
	usage.Record
	// Kind is the ledger's: check for the sessions its checkers played.
	LedgerKind string `json:"ledger_kind"`
}

// Query returns the records f selects, oldest end first, all at once:
// for a few. Each walks any number of them.
func (s *Store) Query(ctx context.Context, f Filter) ([]Entry, error) {
	var out []Entry
	err := s.Each(ctx, f, func(e Entry) error {
		out = append(out, e)
		return nil
	})
	return out, err
}

// Close closes the database.
func (s *Store) Close() error { return s.db.Close() }
