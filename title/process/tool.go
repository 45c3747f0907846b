package process

import (
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"

	"stratus/title/process/sandbox"
)

// ToolConfig is the runtime configuration for a program that starts games
// on this host to measure them (a benchmark, scripts/gpu-check.sh): the
// edge's sandbox where it works, so that what is measured is what an edge
// runs, else games unconfined, and why, so that a bare GPU host without
// bubblewrap can still be measured. It lets the sessions' uids pass
// through runDir's parent, a fresh temporary directory.
func ToolConfig(runDir string, log *slog.Logger) (cfg Config, unconfined string) {
	cfg = Config{RunDir: runDir, Log: log}
	os.Chmod(filepath.Dir(runDir), 0o755)
	sb, err := sandbox.New(sandbox.Config{Name: runDir, Log: log})
	if err == nil {
		err = sb.Available()
	}
	if err != nil {
		cfg.UnsafeNoSandbox = true
		return cfg, err.Error()
	}
	cfg.Sandbox = sb
	return cfg, ""
}

// NewToolRuntime is a Runtime with ToolConfig, for a measuring program: it
// prints on w when games run unconfined, so that the figures say so.
func NewToolRuntime(runDir string, log *slog.Logger, w io.Writer) (*Runtime, error) {
	cfg, unconfined := ToolConfig(runDir, log)
	if unconfined != "" {
		fmt.Fprintln(w, "games run unconfined:", unconfined)
	}
	return NewRuntime(cfg)
}
