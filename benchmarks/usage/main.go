// Command usage measures `stratus usage` over a ledger of a million signed
// records: how long each view takes through the real binary against a
// signaling node serving that ledger, and the ledger's queries under it,
// called directly.
//
//	go build -o bin/stratus ./cmd/stratus
//	go run ./benchmarks/usage -records 1000000 -runs 3
//
// It starts one signaling node (bin/stratus, built into a temporary
// directory when -bin is missing) on a free loopback port with a fresh
// operator token, enrolls -operators × -edges edges with its registry as
// an operator would, and fills the node's ledger (SQLite in its data
// directory, or with -db pg a PostgreSQL server started for the run
// through internal/pgtest, which the node is given with -db) through the
// ledger package with records made and signed as edges make them
// (edge/usage), so that `stratus usage verify` checks real signatures.
// Each command then runs -runs times; the report gives the median and the
// slowest. The report is markdown on stdout; progress goes to stderr.
package main

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"time"

	"stratus/internal/clustertest"
	"stratus/internal/freeport"
	"stratus/internal/pgtest"
	"stratus/ledger"
	"stratus/trust/enroll"
)

func main() {
	bin := flag.String("bin", "bin/stratus", "the stratus binary (built into a temporary directory when missing)")
	records := flag.Int("records", 1_000_000, "records in the ledger")
	operators := flag.Int("operators", 8, "operators")
	edges := flag.Int("edges", 6, "edges per operator")
	titles := flag.Int("titles", 300, "titles")
	days := flag.Int("days", 90, "days the sessions ended over, up to now")
	runs := flag.Int("runs", 3, "runs of each command")
	cli := flag.Bool("cli", true, "time the commands; false: only the ledger's calls")
	db := flag.String("db", "sqlite", "the ledger's database: sqlite, or pg for a PostgreSQL server started for the run")
	flag.Parse()
	if *db != "sqlite" && *db != "pg" {
		fmt.Fprintf(os.Stderr, "usage: -db %q: want sqlite or pg\n", *db)
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := run(ctx, *bin, *db == "pg", *records, *operators, *edges, *titles, *days, *runs, *cli); err != nil {
		fmt.Fprintln(os.Stderr, "usage:", err)
		os.Exit(1)
	}
}

func progress(format string, args ...any) { fmt.Fprintf(os.Stderr, format+"\n", args...) }

func run(ctx context.Context, binPath string, pg bool, n, operators, edgesPer, titles, days, runs int, cli bool) error {
	if n < 1 || operators < 1 || edgesPer < 1 || titles < 2 || days < 1 || runs < 1 {
		return fmt.Errorf("-records, -operators, -edges, -days and -runs must be at least 1, -titles at least 2")
	}
	dir, err := os.MkdirTemp("", "stratus-usage-bench-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	bin, err := clustertest.Binary(ctx, binPath, dir, progress)
	if err != nil {
		return err
	}
	tokenFile, tok, err := clustertest.NewOperatorToken(dir)
	if err != nil {
		return err
	}
	ports, err := freeport.Ports("127.0.0.1", 2, freeport.Both)
	if err != nil {
		return err
	}
	port := ports[0]
	// The registry, which the signatures are checked against, is a
	// gossiping node's: one LAN pool of its own, on loopback.
	key := make([]byte, 32)
	rand.Read(key)
	keyFile := filepath.Join(dir, "cluster.key")
	if err := os.WriteFile(keyFile, []byte(base64.StdEncoding.EncodeToString(key)+"\n"), 0o600); err != nil {
		return err
	}
	data, registry := filepath.Join(dir, "signal"), filepath.Join(dir, "registry")
	dsn := ""
	if pg {
		srv, err := pgtest.Run(ctx)
		if err != nil {
			return err
		}
		defer srv.Stop()
		dsn = srv.DSN
	}
	url := fmt.Sprintf("http://127.0.0.1:%d", port)
	// An edge that never answers: routing is not what is measured.
	sig, err := clustertest.Start(dir, "signal", []string{bin, "signal", "-addr", fmt.Sprintf("127.0.0.1:%d", port),
		"-edges", "http://127.0.0.1:9", "-data-dir", data, "-registry", registry, "-operator-token-file", tokenFile,
		"-name", "signal-1", "-region", "eu", "-cluster-key-file", keyFile, "-lan", fmt.Sprintf("eu=127.0.0.1:%d", ports[1]), "-db", dsn})
	if err != nil {
		return err
	}
	defer func() { sig.Term(); sig.Wait(10 * time.Second) }()
	if err := sig.WaitReady(ctx, clustertest.HTTPClient(), url+"/healthz", 30*time.Second); err != nil {
		return fmt.Errorf("%w\n%s", err, sig.LogTail(20))
	}
	op := clustertest.OperatorClient(tok)
	w := world{days: days, end: time.Now().UTC()}
	for o := range operators {
		for e := range edgesPer {
			name, edir := fmt.Sprintf("op%d-edge-%d", o, e), filepath.Join(dir, "edges", fmt.Sprintf("op%d-edge-%d", o, e))
			if err := clustertest.EnrollEdge(ctx, op, url, fmt.Sprintf("op%d", o), edir, name); err != nil {
				return fmt.Errorf("enrolling %s: %w", name, err)
			}
			key, err := enroll.NodeKey(edir, slog.New(slog.DiscardHandler))
			if err != nil {
				return err
			}
			w.edges = append(w.edges, edgeKey{name: name, operator: fmt.Sprintf("op%d", o), region: []string{"eu", "us", "ap"}[o%3], key: key})
		}
	}
	for i := range titles {
		w.titles = append(w.titles, fmt.Sprintf("title-%03d", i))
	}
	store, err := ledger.Open(ctx, dsn, data)
	if err != nil {
		return err
	}
	defer store.Close()
	progress("filling the ledger with %d records over %d edges, %d titles, %d days", n, len(w.edges), titles, days)
	t0 := time.Now()
	put, err := fill(ctx, store, w, n, 1)
	if err != nil {
		return err
	}
	fmt.Printf("Filled %d records in %.1f s (%.1f s of it in Put: %.0f records/s); load %s\n\n",
		n, time.Since(t0).Seconds(), put.Seconds(), float64(n)/put.Seconds(), load())

	if !cli {
		return queries(ctx, store, w, runs)
	}
	from := w.end.Add(-time.Duration(days+1) * 24 * time.Hour).Format(time.RFC3339)
	fmt.Println("| command | median | slowest | output | max RSS | load |")
	fmt.Println("|---|---|---|---|---|---|")
	for _, args := range [][]string{
		{"usage", "-by", "session", "-format", "json"},
		{"usage", "-by", "session", "-format", "table"},
		{"usage", "-by", "edge", "-format", "table"},
		{"usage", "-by", "title", "-format", "table"},
		{"usage", "-by", "operator", "-format", "table"},
		{"usage", "-by", "operator", "-format", "json"},
		{"usage", "verify"},
		{"usage", "-by", "operator", "-format", "table", "-from", from},
	} {
		var ts []time.Duration
		var out, rss int64
		failed := ""
		for range runs {
			cmd := exec.CommandContext(ctx, bin, append(args, "-signal", url, "-operator-token-file", tokenFile)...)
			cmd.Env = clustertest.Env()
			var cw countWriter
			var stderr strings.Builder
			cmd.Stdout, cmd.Stderr = &cw, &stderr
			t := time.Now()
			err := cmd.Run()
			ts = append(ts, time.Since(t))
			out = cw.n
			if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
				rss = max(rss, ru.Maxrss<<10) // KiB on Linux
			}
			if err != nil {
				// A failure is a finding too: say how and go on.
				lines := strings.Split(strings.TrimSpace(stderr.String()), "\n")
				failed = fmt.Sprintf("failed after %s: %v: %s", ts[len(ts)-1].Round(time.Millisecond), err, lines[len(lines)-1])
				break
			}
		}
		if failed != "" {
			fmt.Printf("| `stratus %s` | %s | | | | %s |\n", strings.Join(args, " "), failed, load())
			continue
		}
		fmt.Printf("| `stratus %s` | %s | %s | %s | %s | %s |\n", strings.Join(args, " "), med(ts), slices.Max(ts).Round(time.Millisecond), size(out), size(rss), load())
	}
	fmt.Println()
	return queries(ctx, store, w, runs)
}

// queries times the ledger calls under the commands, without HTTP or JSON
// between: where the time goes when a command is slow.
func queries(ctx context.Context, s *ledger.Store, w world, runs int) error {
	from := w.end.Add(-time.Duration(w.days+1) * 24 * time.Hour)
	lastDay := w.end.Add(-24 * time.Hour)
	fmt.Println("| ledger call | median | slowest | rows | load |")
	fmt.Println("|---|---|---|---|---|")
	for _, q := range []struct {
		name string
		f    ledger.Filter
	}{
		{"Each (all)", ledger.Filter{}},
		{"Each (last day)", ledger.Filter{From: lastDay}},
		{"Each (one operator)", ledger.Filter{Operator: w.edges[0].operator}},
		{"Each (one edge)", ledger.Filter{Edge: w.edges[0].name}},
		{"Each (one title)", ledger.Filter{Title: w.titles[0]}},
		{"Each (a quiet title, last day)", ledger.Filter{Title: w.titles[len(w.titles)-1], From: lastDay}},
		{"Each (the 30 most played titles: a big studio's)", ledger.Filter{Titles: w.titles[:30]}},
		{"EachRaw (all): no decoding, the operator's listing", ledger.Filter{}},
	} {
		var ts []time.Duration
		rows := 0
		for range runs {
			t := time.Now()
			rows = 0
			count := func() error { rows++; return nil }
			var err error
			if strings.HasPrefix(q.name, "EachRaw") {
				err = s.EachRaw(ctx, q.f, func(ledger.Raw) error { return count() })
			} else {
				err = s.Each(ctx, q.f, func(ledger.Entry) error { return count() })
			}
			if err != nil {
				return err
			}
			ts = append(ts, time.Since(t))
		}
		fmt.Printf("| %s | %s | %s | %d | %s |\n", q.name, med(ts), slices.Max(ts).Round(time.Millisecond), rows, load())
	}
	var ts []time.Duration
	rows := 0
	for range runs {
		t := time.Now()
		list, err := s.Contributions(ctx, from, w.end.Add(time.Hour))
		if err != nil {
			return err
		}
		ts = append(ts, time.Since(t))
		rows = len(list)
	}
	fmt.Printf("| Contributions (all days) | %s | %s | %d | %s |\n", med(ts), slices.Max(ts).Round(time.Millisecond), rows, load())
	return nil
}

type countWriter struct{ n int64 }

func (c *countWriter) Write(p []byte) (int, error) { c.n += int64(len(p)); return len(p), nil }

func med(ts []time.Duration) time.Duration {
	s := slices.Clone(ts)
	slices.Sort(s)
	return s[len(s)/2].Round(time.Millisecond)
}

func size(n int64) string {
	if n >= 1<<20 {
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	}
	return fmt.Sprintf("%.1f KiB", float64(n)/(1<<10))
}

// load is the one-minute load average: the machine is shared, and each
// figure is read beside it.
func load() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "?"
	}
	f := strings.Fields(string(b))
	if len(f) == 0 {
		return "?"
	}
	return f[0]
}
