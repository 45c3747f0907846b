package studio

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"stratus/title/builtin"
)

// Limits are what the Store lets one studio hold. Studios are not trusted
// by default: a key leaked or a script gone wrong must not be able to fill
// the disk, bloat the catalog every edge replicates, or take over a title
// players already know.
type Limits struct {
	// MaxTitles is the most titles one studio may hold on record. Retired
	// titles count too: they stay in the catalog file for good, so that
	// their ids are never reused.
	MaxTitles int
	// MaxVersions is the most versions one title may publish. A new one
	// past it is refused rather than the oldest pruned, so the history
	// stays whole and the studio learns of the limit instead of losing
	// records quietly.
	MaxVersions int
	// ReservedIDs no studio may create or version, compared case-folded.
	// The built-in titles' ids are always reserved on top of these.
	ReservedIDs []string
}

// Defaults of Limits. A zero field in a Limits takes its default.
const (
	// DefaultMaxTitles: a studio's catalog is a handful of games; fifty
	// leaves room for demos and betas while keeping the catalog small
	// enough for every edge to replicate whole.
	DefaultMaxTitles = 50
	// DefaultMaxVersions: each version is one line of history in the
	// catalog file, rewritten whole at every change; a hundred covers
	// years of weekly patches, and stops a publishing loop long before the
	// file grows large.
	DefaultMaxVersions = 100
)

// withDefaults fills in the zero fields.
func (l Limits) withDefaults() Limits {
	l.MaxTitles = orDefault(l.MaxTitles, DefaultMaxTitles)
	l.MaxVersions = orDefault(l.MaxVersions, DefaultMaxVersions)
	return l
}

// validate reports every problem at once.
func (l Limits) validate() error {
	errs := []error{
		notNegative("max titles", l.MaxTitles, DefaultMaxTitles),
		notNegative("max versions", l.MaxVersions, DefaultMaxVersions),
	}
	for i, id := range l.ReservedIDs {
		if strings.TrimSpace(id) == "" {
			errs = append(errs, fmt.Errorf("studio: reserved id [%d] is empty", i))
		}
	}
	return errors.Join(errs...)
}

// orDefault is v, or def when v is zero: every limit's zero value means
// its default, so a Config written before a limit existed keeps working.
func orDefault[T int | time.Duration](v, def T) T {
	if v == 0 {
		return def
	}
	return v
}

// notNegative refuses a negative limit, saying what 0 would give.
func notNegative[T int | time.Duration](name string, v, def T) error {
	if v < 0 {
		return fmt.Errorf("studio: %s %v is negative (0 takes the default, %v)", name, v, def)
	}
	return nil
}

// reservedSet returns the reserved ids, built-in titles' included,
// lower-cased. Manifest ids are lower-case only, but the comparison is
// folded anyway, so that no spelling of a built-in's id ever gets past,
// whatever the manifest rules become.
func (l Limits) reservedSet() map[string]bool {
	set := map[string]bool{}
	for _, d := range builtin.Descriptors() {
		set[strings.ToLower(d.ID)] = true
	}
	for _, id := range l.ReservedIDs {
		set[strings.ToLower(strings.TrimSpace(id))] = true
	}
	return set
}
