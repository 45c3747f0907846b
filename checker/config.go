package checker

import (
	"errors"
	"fmt"
	"net/url"
	"time"
)

// Config is one probe.
type Config struct {
	// Signal is the signaling node's base URL; Origin what the probe
	// sends as a page's origin (default: Signal's).
	Signal, Origin string
	// Title is what the probe plays; only testpattern carries the
	// barcode the measurements read.
	Title string
	// Exclude lists edges the join must not land on, so that a probe
	// reaches the edge it checks (every other edge of its region).
	Exclude []string
	// Watch is how long the probe watches after the first frame.
	Watch time.Duration
	// JoinTimeout bounds the join, up to the first decoded frame.
	JoinTimeout time.Duration
	// Inputs is how many input round trips it measures while watching.
	Inputs int
}

// DefaultConfig: five seconds of video at 60 fps is 300 frames, enough for
// a stable rate and a p99 of glass-to-glass; ten seconds covers a slow
// join without hiding a stuck one; eight inputs, one every half second,
// fit the watch.
func DefaultConfig() Config {
	return Config{Title: "testpattern", Watch: 5 * time.Second, JoinTimeout: 10 * time.Second, Inputs: 8}
}

// Validate reports every problem at once.
func (c Config) Validate() error {
	var errs []error
	if u, err := url.Parse(c.Signal); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		errs = append(errs, fmt.Errorf("checker: signal %q is not an http(s) URL", c.Signal))
	}
	if c.Title == "" {
		errs = append(errs, errors.New("checker: no title"))
	}
	if c.Watch <= 0 || c.JoinTimeout <= 0 || c.Inputs < 0 {
		errs = append(errs, fmt.Errorf("checker: watch %v and join timeout %v must be positive, inputs %d not negative", c.Watch, c.JoinTimeout, c.Inputs))
	}
	return errors.Join(errs...)
}
