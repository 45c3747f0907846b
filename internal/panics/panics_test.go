package panics

import (
	"bytes"
	"errors"
	"log/slog"
	"strings"
	"testing"
)

func TestFrom(t *testing.T) {
	sentinel := errors.New("boom")
	tests := []struct {
		name  string
		value any
		is    error
	}{
		{"string", "oops", nil},
		{"error", sentinel, sentinel},
		{"runtime", nil, nil}, // an index out of range, below
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			pe := func() (pe *Error) {
				defer func() { pe = From(recover()) }()
				if tt.value == nil {
					var s []int
					_ = s[3]
				}
				panic(tt.value)
			}()
			if pe == nil {
				t.Fatal("no panic recovered")
			}
			if !bytes.Contains(pe.Stack, []byte("panics.TestFrom")) {
				t.Errorf("stack does not show where it panicked:\n%s", pe.Stack)
			}
			if tt.is != nil && !errors.Is(pe, tt.is) {
				t.Errorf("%v does not wrap %v", pe, tt.is)
			}
			var buf bytes.Buffer
			pe.Log(slog.New(slog.NewTextHandler(&buf, nil)), "it panicked", "session", "s1")
			if out := buf.String(); !strings.Contains(out, "level=ERROR") || !strings.Contains(out, "session=s1") || !strings.Contains(out, "stack=") {
				t.Errorf("log line %q", out)
			}
		})
	}
	if From(nil) != nil {
		t.Error("From(nil) is not nil")
	}
}
