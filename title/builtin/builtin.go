// Package builtin assembles the titles that ship inside the edge binary:
// they need no game install, so every edge can stream something from its
// first start, for players and for measurement.
package builtin

import (
	"stratus/title"
	"stratus/title/rocks"
	"stratus/title/testpattern"
)

// Catalog returns a fresh catalog of the built-in titles. Callers that
// also run external titles build their own catalog from these descriptors
// plus theirs.
func Catalog() (*title.Catalog, error) {
	return title.NewCatalog(Descriptors()...)
}

// Descriptors lists the built-in titles.
func Descriptors() []title.Descriptor {
	return []title.Descriptor{testpattern.Descriptor(), rocks.Descriptor()}
}
