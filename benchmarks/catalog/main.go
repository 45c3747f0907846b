// Command catalog measures how long a title a studio publishes takes to
// become playable on an edge, through the real path: the studio API and its
// durable store (the request), then the catalog long poll over loopback
// HTTP and the edge's checks of the install directory, until the edge
// offers it (GET /v1/titles). The reference, measured in the same run, is
// one plain HTTP round trip to the same signaling node.
//
//	go run ./benchmarks/catalog -titles 200
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"time"

	"stratus/edge"
	"stratus/edge/api"
	"stratus/internal/machine"
	"stratus/signaling/studio"
	"stratus/title/builtin"
	"stratus/title/catalog"
	"stratus/title/manifest"
	"stratus/title/process"
)

const key = "bench-studio-key-0123456789"

func main() {
	n := flag.Int("titles", 200, "titles to publish, one after the other")
	flag.Parse()
	if err := run(*n); err != nil {
		fmt.Fprintln(os.Stderr, "catalog:", err)
		os.Exit(1)
	}
}

func run(n int) error {
	dir, err := os.MkdirTemp("", "stratus-catalog-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	quiet := slog.New(slog.DiscardHandler)

	// One studio publishes every title, so its title quota is the run's
	// size rather than the default meant for real studios.
	svc, err := studio.New(studio.Config{DataDir: filepath.Join(dir, "studio"), Keys: map[string][]string{"bench": {key}},
		Limits: studio.Limits{MaxTitles: n}}, quiet)
	if err != nil {
		return err
	}
	defer svc.Close()
	stop := make(chan struct{})
	defer close(stop)
	mux := http.NewServeMux()
	mux.Handle(studio.Prefix, svc.Handler())
	mux.Handle(catalog.Path, catalog.Handler(svc.Store(), "", stop, quiet))
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {})
	sigURL, closeSig, err := serve(mux)
	if err != nil {
		return err
	}
	defer closeSig()

	titles := filepath.Join(dir, "titles")
	rt, err := process.NewToolRuntime(filepath.Join(dir, "run"), quiet, os.Stdout)
	if err != nil {
		return err
	}
	defer rt.Close()
	cfg := edge.DefaultConfig()
	cfg.Name = "bench-edge"
	cfg.Stream.ListenIP, cfg.Stream.UDPPort, cfg.Stream.TCPPort = "127.0.0.1", 0, -1
	cfg.TitlesDir, cfg.Runtime, cfg.CatalogURLs = titles, process.NewGames(rt), []string{sigURL}
	bi, err := builtin.Catalog()
	if err != nil {
		return err
	}
	e, err := edge.New(cfg, bi, nil, quiet)
	if err != nil {
		return err
	}
	defer e.Close()
	edgeURL, closeEdge, err := serve(e.Handler())
	if err != nil {
		return err
	}
	defer closeEdge()
	ec, err := api.NewClient(edgeURL, nil)
	if err != nil {
		return err
	}

	ctx := context.Background()
	var publish, reach, rtt []time.Duration
	for i := range n {
		id := fmt.Sprintf("game-%d", i)
		if err := install(titles, id); err != nil {
			return err
		}
		m := manifest.Manifest{ID: id, Name: "Game", Version: "1.0.0", Runtime: manifest.RuntimeProcess,
			Command: "start.sh", Width: 640, Height: 360, FPS: 30, Input: manifest.Input{Keyboard: true}}
		body, _ := json.Marshal(m)
		t0 := time.Now()
		if err := post(sigURL+studio.TitlesPath, body); err != nil {
			return err
		}
		tA := time.Now()
		for {
			ts, err := ec.Titles(ctx)
			if err != nil {
				return err
			}
			if slices.ContainsFunc(ts, func(t api.Title) bool { return t.ID == id }) {
				break
			}
		}
		publish = append(publish, tA.Sub(t0))
		reach = append(reach, time.Since(tA))
		t1 := time.Now()
		resp, err := http.Get(sigURL + "/healthz")
		if err != nil {
			return err
		}
		resp.Body.Close()
		rtt = append(rtt, time.Since(t1))
	}
	slices.Sort(publish)
	slices.Sort(reach)
	slices.Sort(rtt)
	p := func(d []time.Duration, q int) string { return fmt.Sprintf("%.2f ms", float64(d[len(d)*q/100])/1e6) }
	fmt.Printf("machine: %s, load %s\ncommand: %s\n\n", machine.CPUModel(), machine.LoadAverage(), machine.Invocation("./benchmarks/catalog"))
	fmt.Println("| titles | studio API answer p50 / p99 | answer → playable on the edge p50 / p99 | HTTP round trip p50 / p99 | edge part / round trip (p50s) |")
	fmt.Println("|---|---|---|---|---|")
	fmt.Printf("| %d | %s / %s | %s / %s | %s / %s | %.1f |\n", n, p(publish, 50), p(publish, 99), p(reach, 50), p(reach, 99),
		p(rtt, 50), p(rtt, 99), float64(reach[len(reach)/2])/float64(rtt[len(rtt)/2]))
	return nil
}

// install puts a start script where the operator would install the game.
func install(titles, id string) error {
	d := filepath.Join(titles, id)
	if err := os.MkdirAll(d, 0o755); err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(d, "start.sh"), []byte("#!/bin/sh\nexec sleep 1000\n"), 0o755)
}

func post(url string, body []byte) error {
	req, _ := http.NewRequest(http.MethodPost, url, bytes.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+key)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusCreated {
		msg, _ := io.ReadAll(resp.Body)
		return fmt.Errorf("publishing: %s: %s", resp.Status, msg)
	}
	return nil
}

// serve serves h on a loopback port.
func serve(h http.Handler) (string, func(), error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", nil, err
	}
	srv := &http.Server{Handler: h}
	go srv.Serve(ln)
	return "http://" + ln.Addr().String(), func() { srv.Close() }, nil
}
