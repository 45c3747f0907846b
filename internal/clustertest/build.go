package clustertest

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
)

// Build compiles cmd/stratus into dir/stratus and returns its path. It
// builds from the module's root wherever it is called (a test runs in its
// package's directory, a harness where it was started); the compiler's
// complaints are in the error.
func Build(ctx context.Context, dir string) (string, error) {
	goCmd := goTool()
	root, err := moduleRoot(ctx, goCmd)
	if err != nil {
		return "", err
	}
	bin := filepath.Join(dir, "stratus")
	cmd := exec.CommandContext(ctx, goCmd, "build", "-o", bin, "./cmd/stratus")
	cmd.Dir = root
	// The edge encodes with x264 through cgo.
	cmd.Env = append(os.Environ(), "CGO_ENABLED=1")
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("go build ./cmd/stratus: %v\n%s", err, out)
	}
	return bin, nil
}

// Binary is path when that file exists, so that a harness runs what was
// built beforehand (make build); otherwise it builds one into dir, saying
// so through progress (may be nil) first, as that takes a while.
func Binary(ctx context.Context, path, dir string, progress func(format string, args ...any)) (string, error) {
	if _, err := os.Stat(path); err == nil {
		return path, nil
	} else if !errors.Is(err, os.ErrNotExist) {
		return "", err
	}
	if progress != nil {
		progress("%s is missing; building %s", path, filepath.Join(dir, "stratus"))
	}
	return Build(ctx, dir)
}

// goTool is the go command: on the PATH, else the one of the toolchain
// that built this program (go test may run a test without it on the PATH).
func goTool() string {
	if p, err := exec.LookPath("go"); err == nil {
		return p
	}
	return filepath.Join(runtime.GOROOT(), "bin", "go")
}

// moduleRoot is the directory of the go.mod governing the working
// directory.
func moduleRoot(ctx context.Context, goCmd string) (string, error) {
	out, err := exec.CommandContext(ctx, goCmd, "env", "GOMOD").Output()
	if err != nil {
		return "", fmt.Errorf("go env GOMOD: %w", err)
	}
	mod := strings.TrimSpace(string(out))
	if mod == "" || mod == os.DevNull {
		return "", errors.New("not inside the stratus module: run from the repository")
	}
	return filepath.Dir(mod), nil
}
