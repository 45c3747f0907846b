package main

import (
	"flag"
	"log/slog"
	"os"
	"path/filepath"

	"stratus/edge"
	"stratus/title/process"
)

// titleFlags are where an edge finds the studio titles its operator
// installed, and where it keeps their running state.
type titleFlags struct {
	dir    string
	runDir string
}

func (f *titleFlags) add(fs *flag.FlagSet) {
	fs.StringVar(&f.dir, "titles-dir", "", "directory of installed studio titles, one subdirectory per title id (empty: built-in titles only)")
	fs.StringVar(&f.runDir, "run-dir", "", "directory for the games' session records, logs and sockets (default: stratus-<name> in the temporary directory)")
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
	rt, err := process.NewRuntime(process.Config{RunDir: run, Log: log})
	if err != nil {
		return nil, nil, err
	}
	games := process.NewGames(rt)
	if err := games.Available(); err != nil {
		log.Warn("this edge cannot run process titles", "why", err)
	}
	c.TitlesDir, c.Runtime = f.dir, games
	return games.Close, games.Kill, nil
}
