package title

import (
	"errors"
	"strings"
	"testing"
	"time"

	"stratus/input"
)

type nop struct{}

func (nop) Info() Info                       { return Info{ID: "x", Width: 2, Height: 2, FPS: 1} }
func (nop) Input(input.Event)                {}
func (nop) Render(time.Time) (*Frame, error) { return &Frame{}, nil }
func (nop) Close() error                     { return nil }
func newNop(Options) (Title, error)          { return nop{}, nil }

func TestCatalog(t *testing.T) {
	c, err := NewCatalog(
		Descriptor{ID: "b", New: newNop},
		Descriptor{ID: "a", New: newNop},
	)
	if err != nil {
		t.Fatal(err)
	}
	if l := c.List(); len(l) != 2 || l[0].ID != "a" || l[1].ID != "b" {
		t.Fatalf("List = %v, want a and b in order", l)
	}
	if _, err := c.Get("a"); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Get("zz"); !errors.Is(err, ErrUnknown) {
		t.Fatalf("Get of an unknown id: %v", err)
	}
}

func TestCatalogRejects(t *testing.T) {
	_, err := NewCatalog(
		Descriptor{Name: "nameless"},
		Descriptor{ID: "dup", New: newNop},
		Descriptor{ID: "dup", New: newNop},
		Descriptor{ID: "noctor"},
	)
	if err == nil {
		t.Fatal("bad catalog accepted")
	}
	for _, want := range []string{"empty id", "duplicate id", "no constructor"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not report %q", err, want)
		}
	}
}
