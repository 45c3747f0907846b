package cluster

import (
	"context"
	"log"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// limiter is a token bucket. It lets bursts through and then a steady
// trickle, counting what it refused so the next line it lets through can
// say how many were lost. Peers (or an attacker sending garbage to the
// gossip port) decide how often memberlist logs, so nothing they cause may
// reach the log unthrottled.
type limiter struct {
	mu         sync.Mutex
	perSecond  float64
	burst      float64
	tokens     float64
	last       time.Time
	suppressed uint64
}

func newLimiter(perSecond, burst float64) *limiter {
	return &limiter{perSecond: perSecond, burst: burst, tokens: burst}
}

// allow takes a token. When it succeeds it also returns (and resets) the
// number of refusals since the previous success.
func (l *limiter) allow(now time.Time) (ok bool, suppressed uint64) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if !l.last.IsZero() {
		l.tokens = min(l.burst, l.tokens+now.Sub(l.last).Seconds()*l.perSecond)
	}
	l.last = now
	if l.tokens < 1 {
		l.suppressed++
		return false, 0
	}
	l.tokens--
	suppressed, l.suppressed = l.suppressed, 0
	return true, suppressed
}

// logBridge turns memberlist's *log.Logger lines ("[WARN] memberlist: …")
// into slog records: DEBUG and INFO become Debug (the pool logs joins and
// deaths itself, once, at Info), WARN, ERR and anything unprefixed become
// Warn. Each of the two levels has its own rate limit.
type logBridge struct {
	log        *slog.Logger
	debug      *limiter
	warn       *limiter
	suppressed atomic.Uint64
}

func newLogBridge(l *slog.Logger) *logBridge {
	return &logBridge{
		log:   l,
		debug: newLimiter(20, 100),
		warn:  newLimiter(1, 10),
	}
}

// logger is the *log.Logger to hand to memberlist. log.Logger calls Write
// once per line, so Write sees whole lines.
func (b *logBridge) logger() *log.Logger { return log.New(b, "", 0) }

func (b *logBridge) Write(p []byte) (int, error) {
	level, msg := parseMemberlistLine(string(p))
	ctx := context.Background()
	if !b.log.Enabled(ctx, level) {
		return len(p), nil
	}
	lim := b.warn
	if level < slog.LevelWarn {
		lim = b.debug
	}
	ok, lost := lim.allow(time.Now())
	if !ok {
		b.suppressed.Add(1)
		return len(p), nil
	}
	if lost > 0 {
		b.log.Log(ctx, level, msg, "src", "memberlist", "suppressed_before", lost)
	} else {
		b.log.Log(ctx, level, msg, "src", "memberlist")
	}
	return len(p), nil
}

func parseMemberlistLine(line string) (slog.Level, string) {
	line = strings.TrimRight(line, "\r\n")
	level := slog.LevelWarn
	if rest, ok := strings.CutPrefix(line, "["); ok {
		if tag, msg, ok := strings.Cut(rest, "] "); ok {
			switch tag {
			case "DEBUG", "INFO":
				level = slog.LevelDebug
			}
			line = msg
		}
	}
	return level, strings.TrimPrefix(line, "memberlist: ")
}
