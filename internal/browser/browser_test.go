package browser

import (
	"context"
	"os"
	"path/filepath"
	"testing"
)

func TestVersion(t *testing.T) {
	for _, tt := range []struct {
		name, says, want string
	}{
		{"Debian's Chromium", "Chromium 156.0.7520.3 built on Debian GNU/Linux 13 (trixie)", "156.0.7520.3"},
		{"Google Chrome", "Google Chrome 156.0.7520.3 ", "156.0.7520.3"},
		{"an unknown format stays whole", "Something 12 beta", "Something 12 beta"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			// A stand-in binary, found the way New finds Chromium.
			bin := filepath.Join(t.TempDir(), "chromium")
			if err := os.WriteFile(bin, []byte("#!/bin/sh\necho '"+tt.says+"'\n"), 0o755); err != nil {
				t.Fatal(err)
			}
			t.Setenv("CHROMIUM", bin)
			got, err := Version(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			if got != tt.want {
				t.Errorf("Version = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestVersionOfABrokenBinary(t *testing.T) {
	t.Setenv("CHROMIUM", filepath.Join(t.TempDir(), "missing"))
	if _, err := Version(context.Background()); err == nil {
		t.Error("no error for a binary that is not there")
	}
}
