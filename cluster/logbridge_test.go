package cluster

import (
	"log/slog"
	"strings"
	"testing"
	"time"
)

func TestParseMemberlistLine(t *testing.T) {
	for in, want := range map[string]struct {
		level slog.Level
		msg   string
	}{
		"[DEBUG] memberlist: Stream connection from=1.2.3.4:5\n": {slog.LevelDebug, "Stream connection from=1.2.3.4:5"},
		"[INFO] memberlist: Marking x as failed\n":               {slog.LevelDebug, "Marking x as failed"},
		"[WARN] memberlist: Refuting a dead message\n":           {slog.LevelWarn, "Refuting a dead message"},
		"[ERR] memberlist: Decrypt packet failed: boom\n":        {slog.LevelWarn, "Decrypt packet failed: boom"},
		"Err: Could not set the deadline: x\n":                   {slog.LevelWarn, "Err: Could not set the deadline: x"},
	} {
		level, msg := parseMemberlistLine(in)
		if level != want.level || msg != want.msg {
			t.Errorf("%q → %v %q", in, level, msg)
		}
	}
}

func TestLogBridgeRateLimits(t *testing.T) {
	buf := &syncBuffer{}
	b := newLogBridge(slog.New(slog.NewTextHandler(buf, &slog.HandlerOptions{Level: slog.LevelWarn})))
	l := b.logger()
	for range 1000 {
		l.Printf("[ERR] memberlist: Decrypt packet failed: no installed keys could decrypt the message from=6.6.6.6:1")
		l.Printf("[DEBUG] memberlist: disabled level, never counted")
	}
	lines := strings.Count(buf.String(), "\n")
	if lines < 10 || lines > 12 {
		t.Errorf("%d lines logged of 1000 (burst is 10)", lines)
	}
	if s := b.suppressed.Load(); s != uint64(1000-lines) {
		t.Errorf("suppressed %d", s)
	}
}

func TestLimiter(t *testing.T) {
	l := newLimiter(1, 2)
	now := time.Unix(1000, 0)
	for i, want := range []bool{true, true, false, false} {
		if ok, _ := l.allow(now); ok != want {
			t.Fatalf("call %d: %v", i, ok)
		}
	}
	ok, lost := l.allow(now.Add(1100 * time.Millisecond))
	if !ok || lost != 2 {
		t.Errorf("after refill: ok %v, suppressed %d", ok, lost)
	}
}
