// Command stratus runs the Stratus services.
//
//	stratus serve    edge and signaling in one process (what `make run` starts)
//	stratus edge     an edge node: runs players' games, gossips in its region's pool
//	                 (stratus edge status: its operator's view, asked as the node)
//	stratus signal   a signaling node: serves pages, routes players to edges
//	stratus drain    takes an edge out of service, moving its players away
//	stratus operator creates the operator token the signaling node requires
//	stratus gpus     lists this machine's NVIDIA GPUs, their NVENC capacity and what they render
//	stratus title    uploads, lists and retires a studio's titles
//	stratus vklayer  builds the Vulkan present layer to ship beside the binary
//
// Every setting can come from a flag, an environment variable (STRATUS_ and
// the flag name) or a JSON file given with -config; `stratus serve -h` lists
// them.
package main

import (
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"os"

	"golang.org/x/sys/unix"
)

func main() {
	if len(os.Args) < 2 {
		usage()
		os.Exit(2)
	}
	var err error
	switch os.Args[1] {
	case "serve", "edge", "signal":
		// Servers hold keys: keep them out of reach first.
		if err := keepSecrets(); err != nil {
			fmt.Fprintln(os.Stderr, "stratus:", err)
			os.Exit(1)
		}
	}
	switch os.Args[1] {
	case "serve":
		err = serve(os.Args[2:])
	case "edge":
		err = runEdge(os.Args[2:])
	case "signal":
		err = runSignal(os.Args[2:])
	case "drain":
		err = runDrain(os.Args[2:])
	case "checker":
		err = runChecker(os.Args[2:])
	case "usage":
		err = runUsage(os.Args[2:])
	case "operator":
		err = runOperator(os.Args[2:])
	case "gpus":
		err = runGPUs(os.Args[2:])
	case "title":
		err = runTitle(os.Args[2:])
	case "vklayer":
		err = runVKLayer(os.Args[2:])
	case "-h", "-help", "--help", "help":
		usage()
		return
	default:
		fmt.Fprintf(os.Stderr, "stratus: unknown command %q\n", os.Args[1])
		usage()
		os.Exit(2)
	}
	if err != nil && !errors.Is(err, flag.ErrHelp) {
		fmt.Fprintln(os.Stderr, "stratus:", err)
		os.Exit(1)
	}
}

func usage() {
	fmt.Fprintln(os.Stderr, `usage: stratus <command> [flags]

commands:
  serve    run an edge and a signaling node in one process
  edge     run an edge node; edge status: its operator's nodes, checks and contribution, asked as the node
  signal   run a signaling node
  drain    take an edge out of service, moving its players elsewhere
  checker  check every edge from outside, as a player, and report what it measured
  usage    the ledger's usage records (-from, -to, -by session|operator|edge|title|studio, -format table|json|csv, -studio-key-file for a studio's own); usage verify checks their signatures
  operator the network's credentials: token, and add, list, revoke edge operators
  gpus     list this machine's NVIDIA GPUs, their NVENC capacity and what they render
  title    a studio's titles on a signaling node: add, list, rm
  vklayer DIR: build the Vulkan present layer (ship it as vklayer/ beside the binary)

'stratus <command> -h' lists a command's settings.`)
}

// keepSecrets makes this process non-dumpable: its memory, environment and
// open files under /proc become root's alone, and no process of the same
// user (a studio game run with -unsafe-no-sandbox, a stray tool) can read
// the keys in them or attach a debugger to take them.
func keepSecrets() error {
	if err := unix.Prctl(unix.PR_SET_DUMPABLE, 0, 0, 0, 0); err != nil {
		return fmt.Errorf("make the process non-dumpable: %w", err)
	}
	return nil
}

func newLogger(level string) (*slog.Logger, error) {
	var l slog.Level
	if err := l.UnmarshalText([]byte(level)); err != nil {
		return nil, fmt.Errorf("log level %q: %w", level, err)
	}
	return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: l})), nil
}
