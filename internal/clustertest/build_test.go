package clustertest

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

func TestBinaryTakesAnExistingFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "prebuilt")
	if err := os.WriteFile(path, nil, 0o755); err != nil {
		t.Fatal(err)
	}
	got, err := Binary(context.Background(), path, t.TempDir(), func(string, ...any) {
		t.Error("Binary built although the file exists")
	})
	if err != nil || got != path {
		t.Errorf("Binary = %q, %v; want %q", got, err, path)
	}
}

// TestBinaryBuildsAMissingOne compiles cmd/stratus from this package's
// directory, as the cluster tests do from theirs.
func TestBinaryBuildsAMissingOne(t *testing.T) {
	if testing.Short() {
		t.Skip("compiles cmd/stratus; skipped with -short")
	}
	dir := t.TempDir()
	var said string
	bin, err := Binary(t.Context(), filepath.Join(dir, "absent"), dir, func(format string, args ...any) {
		said = format
	})
	if err != nil {
		t.Fatal(err)
	}
	if bin != filepath.Join(dir, "stratus") || said == "" {
		t.Errorf("Binary = %q, progress %q; want %s/stratus, announced", bin, said, dir)
	}
	out, _ := exec.Command(bin, "help").CombinedOutput()
	if !strings.Contains(string(out), "usage: stratus") {
		t.Errorf("the built binary does not answer like stratus:\n%s", out)
	}
}

func TestBuildOutsideTheModule(t *testing.T) {
	t.Chdir(t.TempDir())
	t.Setenv("GOFLAGS", "")
	t.Setenv("GO111MODULE", "on")
	_, err := Build(context.Background(), t.TempDir())
	if err == nil || !strings.Contains(err.Error(), "not inside the stratus module") {
		t.Errorf("Build outside the module: %v", err)
	}
}
