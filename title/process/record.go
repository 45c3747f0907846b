package process

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"time"
)

// record is what the runtime writes to RunDir/sessions/<session>.json so
// that, after a crash, the next run knows what to clean up.
type record struct {
	Session  string    `json:"session"`
	Started  time.Time `json:"started"`
	Display  int       `json:"display"` // -1 until Xvfb reports it
	XvfbPID  int       `json:"xvfb_pid,omitempty"`
	XvfbPGID int       `json:"xvfb_pgid,omitempty"`
	GamePGID int       `json:"game_pgid,omitempty"`
}

// write replaces the record atomically (a temporary file renamed over it),
// so a crash mid-write never leaves half a record.
func (rec record) write(path string) error {
	b, err := json.Marshal(rec)
	if err != nil {
		return err
	}
	tmp := path + ".tmp"
	os.Remove(tmp) // a leftover, or a link planted there: never written through
	if err := createPrivate(tmp, b); err != nil {
		return fmt.Errorf("session record: %w", err)
	}
	if err := os.Rename(tmp, path); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("session record: %w", err)
	}
	return nil
}

// readRecord reads one record; the session ID falls back to the file name.
func readRecord(path string) (record, error) {
	rec := record{Display: -1}
	b, err := os.ReadFile(path)
	if err != nil {
		return rec, err
	}
	if err := json.Unmarshal(b, &rec); err != nil {
		return rec, fmt.Errorf("%s: %w", path, err)
	}
	if rec.Session == "" {
		rec.Session = sessionOf(path)
	}
	return rec, nil
}

// sessionOf is the session ID a record file is named after.
func sessionOf(path string) string {
	base := filepath.Base(path)
	return base[:len(base)-len(filepath.Ext(base))]
}

// validSession accepts IDs that are safe as file names and in an
// environment entry: letters, digits, '.', '_' and '-', 1 to 128 bytes,
// not starting with '.' or '-'.
func validSession(id string) error {
	if id == "" || len(id) > 128 {
		return fmt.Errorf("process: session ID %q: want 1 to 128 bytes", id)
	}
	for i, c := range []byte(id) {
		ok := c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' ||
			i > 0 && (c == '.' || c == '-')
		if !ok {
			return fmt.Errorf("process: session ID %q: only letters, digits, '_', and '.' or '-' after the first", id)
		}
	}
	return nil
}
