package process

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"syscall"
	"time"
)

// LogLimit caps a game's log file. A game that logs every frame would
// otherwise fill the edge's disk over a long session; what comes after the
// cap is dropped with a note, and the last bytes are still kept in memory
// for the exit message.
const LogLimit = 8 << 20

// tailSize is how much of the latest output is kept in memory.
const tailSize = 4 << 10

// tail keeps the last tailSize bytes written to it.
type tail struct {
	mu  sync.Mutex
	buf []byte
}

func (t *tail) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.keep(p)
	return len(p), nil
}

func (t *tail) keep(p []byte) {
	if len(p) >= tailSize {
		t.buf = append(t.buf[:0], p[len(p)-tailSize:]...)
		return
	}
	if over := len(t.buf) + len(p) - tailSize; over > 0 {
		t.buf = append(t.buf[:0], t.buf[over:]...)
	}
	t.buf = append(t.buf, p...)
}

// lines returns up to n last non-empty lines, printable characters only,
// when together they are short enough to show a player (max bytes);
// otherwise just the last line, cut to max.
func (t *tail) lines(n, max int) []string {
	t.mu.Lock()
	text := string(t.buf)
	t.mu.Unlock()
	var out []string
	all := strings.Split(text, "\n")
	total := 0
	for i := len(all) - 1; i >= 0 && len(out) < n; i-- {
		l := strings.TrimSpace(strings.Map(printable, all[i]))
		if l == "" {
			continue
		}
		if total+len(l) > max {
			if len(out) == 0 {
				out = append(out, strings.ToValidUTF8(l[:max], "")+"…")
			}
			break
		}
		total += len(l)
		out = append([]string{l}, out...)
	}
	return out
}

func printable(r rune) rune {
	if r < ' ' && r != '\t' || r == 0x7f || r == '\ufffd' {
		return -1
	}
	return r
}

// logFile is the game's stdout and stderr: a file that stops growing at
// limit, plus the tail in memory.
type logFile struct {
	tail
	f       *os.File
	n       int64
	limit   int64
	dropped int64
}

func newLogFile(path string, limit int64) (*logFile, error) {
	// Never through a link planted at path: the game runs as the edge's
	// user and could aim it at a file of the edge's.
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_TRUNC|syscall.O_NOFOLLOW, 0o600)
	if err != nil {
		return nil, err
	}
	return &logFile{f: f, limit: limit}, nil
}

// Write never fails: the game's output must keep flowing (a full pipe would
// block it) even when the disk does not take it.
func (l *logFile) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.keep(p)
	room := l.limit - l.n
	if room <= 0 {
		l.dropped += int64(len(p))
		return len(p), nil
	}
	w := p
	if int64(len(w)) > room {
		w = w[:room]
		// Cut at a line end when there is one, so the file ends cleanly.
		if i := bytes.LastIndexByte(w, '\n'); i >= 0 {
			w = w[:i+1]
		}
	}
	l.f.Write(w)
	l.n += int64(len(w))
	if len(w) < len(p) {
		l.n = l.limit
		l.dropped += int64(len(p) - len(w))
		fmt.Fprintf(l.f, "\n[stratus: log reached %d bytes; further output is dropped]\n", l.limit)
	}
	return len(p), nil
}

// Close notes how much was dropped and closes the file.
func (l *logFile) Close() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.dropped > 0 {
		fmt.Fprintf(l.f, "[stratus: %d bytes dropped]\n", l.dropped)
	}
	return l.f.Close()
}

// Game logs are kept for diagnosis after their session, within these
// bounds: a busy edge starts thousands of sessions a day, and their logs
// must not fill its disk.
const (
	keepLogs   = 1000
	keepLogAge = 7 * 24 * time.Hour
)

// pruneLogs removes the logs of finished sessions beyond keepLogs or older
// than keepLogAge. A log still being written is recent, so never removed.
func pruneLogs(dir string, now time.Time) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return
	}
	type logAge struct {
		path string
		mod  time.Time
	}
	var logs []logAge
	for _, e := range entries {
		info, err := e.Info()
		if err != nil || !info.Mode().IsRegular() {
			continue
		}
		logs = append(logs, logAge{filepath.Join(dir, e.Name()), info.ModTime()})
	}
	sort.Slice(logs, func(i, j int) bool { return logs[i].mod.After(logs[j].mod) })
	for n, l := range logs {
		if n >= keepLogs || now.Sub(l.mod) > keepLogAge {
			os.Remove(l.path)
		}
	}
}
