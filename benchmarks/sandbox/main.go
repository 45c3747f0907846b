// Command sandbox measures what the sandbox adds to starting a studio game:
// the time from the runtime's Start to the game's first output line, with
// the game in its bubblewrap sandbox (its own uid, namespaces and cgroup)
// and, as the reference in the same run, unconfined. Starts alternate, so
// both see the same machine; both include the session's Xvfb.
//
//	go run ./benchmarks/sandbox -starts 30
package main

import (
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"stratus/internal/machine"
	"stratus/title/manifest"
	"stratus/title/process"
)

func main() {
	starts := flag.Int("starts", 30, "starts of each kind")
	flag.Parse()
	if err := run(*starts); err != nil {
		fmt.Fprintln(os.Stderr, "sandbox:", err)
		os.Exit(1)
	}
}

func run(starts int) error {
	dir, err := os.MkdirTemp("", "stratus-sandbox-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	quiet := slog.New(slog.DiscardHandler)
	boxed, unconfined := process.ToolConfig(filepath.Join(dir, "run"), quiet)
	if unconfined != "" {
		return errors.New("no sandbox on this host: " + unconfined)
	}
	open := process.Config{RunDir: filepath.Join(dir, "open"), Log: quiet, UnsafeNoSandbox: true}
	install := filepath.Join(dir, "game")
	if err := os.MkdirAll(install, 0o755); err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(install, "game"), []byte("#!/bin/sh\necho up\nexec sleep 1000\n"), 0o755); err != nil {
		return err
	}
	m := manifest.Manifest{ID: "game", Name: "Game", Version: "1.0.0", Runtime: manifest.RuntimeProcess,
		Command: "game", Width: 640, Height: 360, FPS: 30}
	var runtimes [2]*process.Runtime
	for k, cfg := range []process.Config{boxed, open} {
		if runtimes[k], err = process.NewRuntime(cfg); err != nil {
			return err
		}
		defer runtimes[k].Close()
	}
	var took [2][]time.Duration
	for n := range starts * 2 {
		k := n % 2
		d, err := startOnce(runtimes[k], install, m, fmt.Sprintf("s%d", n))
		if err != nil {
			return err
		}
		took[k] = append(took[k], d)
	}
	fmt.Printf("machine: %s, load %s\ncommand: %s\n\n", machine.CPUModel(), machine.LoadAverage(), machine.Invocation("./benchmarks/sandbox"))
	fmt.Println("| game start (Start to its first line) | starts | p50 | p99 |")
	fmt.Println("|---|---|---|---|")
	for k, name := range []string{"sandboxed", "unconfined (reference)"} {
		slices.Sort(took[k])
		fmt.Printf("| %s | %d | %s | %s |\n", name, len(took[k]), ms(took[k][len(took[k])/2]), ms(took[k][len(took[k])*99/100]))
	}
	fmt.Printf("\nsandbox cost p50: %s (%.2f× the unconfined start)\n",
		ms(took[0][len(took[0])/2]-took[1][len(took[1])/2]), float64(took[0][len(took[0])/2])/float64(took[1][len(took[1])/2]))
	return nil
}

// startOnce starts the game and waits for its first line.
func startOnce(r *process.Runtime, install string, m manifest.Manifest, session string) (time.Duration, error) {
	t0 := time.Now()
	i, err := r.Start(process.Spec{Session: session, InstallDir: install, Manifest: m})
	if err != nil {
		return 0, err
	}
	defer i.Close()
	for time.Since(t0) < 10*time.Second {
		if b, _ := os.ReadFile(i.Log()); strings.Contains(string(b), "up") {
			return time.Since(t0), nil
		}
		time.Sleep(200 * time.Microsecond)
	}
	return 0, errors.New("the game never started")
}

func ms(d time.Duration) string { return fmt.Sprintf("%.1f ms", float64(d)/1e6) }
