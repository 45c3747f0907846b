package main

import (
	"flag"
	"log/slog"
	"os"
	"path/filepath"

	"stratus/edge"
	"stratus/title/process"
	"stratus/title/process/sandbox"
)

// titleFlags are where an edge finds the studio titles its operator
// installed, and where it keeps their running state.
type titleFlags struct {
	dir    string
	runDir string
	// The sandbox every studio game runs in (title/process/sandbox).
	sandbox   sandbox.Config
	memoryMiB uint64
	unsafe    bool
}

func (f *titleFlags) add(fs *flag.FlagSet) {
	fs.StringVar(&f.dir, "titles-dir", "", "directory of installed studio titles, one subdirectory per title id (empty: built-in titles only)")
	fs.StringVar(&f.runDir, "run-dir", "", "directory for the games' session records, logs and sockets (default: stratus-<name> in the temporary directory)")
	fs.IntVar(&f.sandbox.FirstUID, "sandbox-first-uid", 600000, "first uid studio games run as, one per live session, when the edge runs as root")
	fs.IntVar(&f.sandbox.UIDs, "sandbox-uids", 1024, "how many uids from -sandbox-first-uid sessions may take")
	fs.Uint64Var(&f.memoryMiB, "game-memory-mib", 8192, "memory limit of one session's game, in MiB (its cgroup)")
	fs.IntVar(&f.sandbox.Pids, "game-pids", 1024, "most processes one session's game may run (its cgroup)")
	fs.Float64Var(&f.sandbox.CPUs, "game-cpus", 0, "CPU limit of one session's game, in cores (0: none)")
	fs.BoolVar(&f.unsafe, "unsafe-no-sandbox", false, "run studio games unconfined, as the edge's own user, where the host cannot sandbox them (they could then read the edge's keys and signal it)")
}

// runtime sets up c to run process titles, when a titles directory is
// given. The edge's run directory must stay the same across restarts: that
// is where the runtime finds, and ends, the games of an edge that crashed.
// The returned functions end every game still running: end as the edge
// closes, kill at once when it must exit now.
func (f *titleFlags) runtime(c *edge.Config, log *slog.Logger) (end func() error, kill func(), err error) {
	if f.dir == "" {
		return func() error { return nil }, func() {}, nil
	}
	run := f.runDir
	if run == "" {
		run = filepath.Join(os.TempDir(), "stratus-"+c.Name)
	}
	sc := f.sandbox
	sc.Memory, sc.Name, sc.Log = f.memoryMiB<<20, run, log
	sb, err := sandbox.New(sc)
	if err != nil {
		return nil, nil, err
	}
	switch why := sb.Available(); {
	case why == nil:
		log.Info("studio games are sandboxed", "how", sb.Describe())
	case f.unsafe:
		log.Warn("studio games run UNCONFINED (-unsafe-no-sandbox): they can read this edge's keys and signal it", "why", why)
	default:
		log.Warn("studio games are refused: they cannot be sandboxed here", "why", why)
	}
	rt, err := process.NewRuntime(process.Config{RunDir: run, Log: log, Sandbox: sb, UnsafeNoSandbox: f.unsafe})
	if err != nil {
		return nil, nil, err
	}
	games := process.NewGames(rt)
	if err := games.Available(); err != nil {
		log.Warn("this edge cannot run process titles", "why", err)
	}
	c.TitlesDir, c.Runtime = f.dir, games
	end = func() error {
		err := games.Close()
		sb.Close() // the session cgroups are gone: their parents go too
		return err
	}
	return end, games.Kill, nil
}
