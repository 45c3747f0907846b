package usage

import (
	"bufio"
	"bytes"
	"crypto/ed25519"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"sort"
	"sync"
	"time"
)

// maxLine bounds one journal line: a record is a few hundred bytes.
const maxLine = 64 << 10

// Retention is how long a finished session's record stays in the journal:
// 90 days leaves the ledger a quarter to collect it, and bounds the
// journal (an edge of 8 slots playing half-hour sessions around the clock
// keeps about 35,000 records, some 17 MB, in memory and on disk).
const Retention = 90 * 24 * time.Hour

// Journal is an edge's usage records in its data directory. Its methods
// may be called from any goroutine.
type Journal struct {
	path string
	key  ed25519.PrivateKey
	log  *slog.Logger

	mu     sync.Mutex
	f      *os.File
	latest map[string]Record // the newest record of each session
}

// Open opens (or creates) dir/usage.jsonl. Sessions whose last record is
// not final (the edge died) get a final one now, marked interrupted, and
// the journal is rewritten with one record a session.
func Open(dir string, key ed25519.PrivateKey, log *slog.Logger) (*Journal, error) {
	j := &Journal{path: filepath.Join(dir, "usage.jsonl"), key: key, log: log, latest: map[string]Record{}}
	bad, err := j.load()
	if err != nil {
		return nil, err
	}
	closed := 0
	for id, r := range j.latest {
		if r.Final && time.Since(r.End) > Retention {
			delete(j.latest, id)
			continue
		}
		if !r.Final {
			r.Seq++
			r.Final, r.Interrupted = true, true
			r.Sign(key)
			j.latest[id] = r
			closed++
		}
	}
	if err := j.rewrite(); err != nil {
		return nil, err
	}
	if closed > 0 || bad > 0 {
		log.Warn("usage: journal recovered", "sessions_closed_as_interrupted", closed, "unreadable_lines", bad, "path", j.path)
	}
	return j, nil
}

// load reads the journal into latest; it returns how many lines could not
// be read (a line cut short by a crash).
func (j *Journal) load() (bad int, err error) {
	data, err := os.ReadFile(j.path)
	if errors.Is(err, fs.ErrNotExist) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("usage: %w", err)
	}
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 0, 4096), maxLine)
	for sc.Scan() {
		var r Record
		if err := json.Unmarshal(sc.Bytes(), &r); err != nil || r.Session == "" {
			bad++
			continue
		}
		if old, ok := j.latest[r.Session]; !ok || r.Seq > old.Seq {
			j.latest[r.Session] = r
		}
	}
	return bad, nil
}

// rewrite replaces the file with the latest record of each session, then
// keeps it open for appending.
func (j *Journal) rewrite() error {
	tmp := j.path + ".tmp"
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return fmt.Errorf("usage: %w", err)
	}
	w := bufio.NewWriter(f)
	for _, r := range j.sorted() {
		b, _ := json.Marshal(r)
		w.Write(append(b, '\n'))
	}
	if err := errors.Join(w.Flush(), f.Sync(), f.Close()); err != nil {
		return fmt.Errorf("usage: %w", err)
	}
	if err := os.Rename(tmp, j.path); err != nil {
		return fmt.Errorf("usage: %w", err)
	}
	j.f, err = os.OpenFile(j.path, os.O_WRONLY|os.O_APPEND, 0o600)
	return err
}

func (j *Journal) sorted() []Record {
	out := make([]Record, 0, len(j.latest))
	for _, r := range j.latest {
		out = append(out, r)
	}
	sort.Slice(out, func(a, b int) bool {
		if !out[a].Start.Equal(out[b].Start) {
			return out[a].Start.Before(out[b].Start)
		}
		return out[a].Session < out[b].Session
	})
	return out
}

// Write signs and appends recs, and syncs them to disk.
func (j *Journal) Write(recs ...Record) error {
	var buf bytes.Buffer
	for i := range recs {
		recs[i].Sign(j.key)
		b, _ := json.Marshal(recs[i])
		buf.Write(append(b, '\n'))
	}
	j.mu.Lock()
	defer j.mu.Unlock()
	if j.f == nil {
		return errors.New("usage: journal closed")
	}
	if _, err := j.f.Write(buf.Bytes()); err != nil {
		return fmt.Errorf("usage: %w", err)
	}
	if err := j.f.Sync(); err != nil {
		return fmt.Errorf("usage: %w", err)
	}
	for _, r := range recs {
		if old, ok := j.latest[r.Session]; !ok || r.Seq > old.Seq {
			j.latest[r.Session] = r
		}
	}
	return nil
}

// Records is the latest record of every session, oldest session first.
func (j *Journal) Records() []Record {
	j.mu.Lock()
	defer j.mu.Unlock()
	return j.sorted()
}

// Close closes the file. Safe to call twice.
func (j *Journal) Close() error {
	j.mu.Lock()
	defer j.mu.Unlock()
	if j.f == nil {
		return nil
	}
	err := j.f.Close()
	j.f = nil
	return err
}
