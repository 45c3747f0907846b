package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"

	"stratus/edge/gpu"
	"stratus/title/process"
	"stratus/title/process/gfx"
)

// runGPUs is `stratus gpus`: what the edge would see of this machine's
// GPUs, for an operator checking a host before putting it in a pool. A
// machine without an NVIDIA driver is a normal edge (it encodes in
// software), so that answer is not an error.
func runGPUs(args []string) error {
	return printGPUs(os.Stdout, args)
}

func printGPUs(w io.Writer, args []string) error {
	fs := flag.NewFlagSet("gpus", flag.ContinueOnError)
	asJSON := fs.Bool("json", false, "print the inventory as JSON")
	limits := gpu.DefaultLimits()
	fs.IntVar(&limits.SessionsPerGPU, "gpu-sessions", limits.SessionsPerGPU, "most NVENC sessions on one GPU, counted for the capacity line")
	sessionMiB := fs.Uint64("gpu-session-mib", limits.MemoryPerSession>>20, "GPU memory one session needs, in MiB")
	logLevel := fs.String("log-level", "error", "debug, info, warn or error")
	noRender := fs.Bool("no-render", false, "skip asking the graphics drivers what games can render with (it starts an X server for about a second)")
	if err := loadFlags(fs, args); err != nil {
		return err
	}
	limits.MemoryPerSession = *sessionMiB << 20
	log, err := newLogger(*logLevel)
	if err != nil {
		return err
	}

	render := func(inv gpu.Inventory) error {
		if *noRender || *asJSON {
			return nil
		}
		rep, err := probeRender(log, inv)
		if err != nil {
			return err
		}
		return writeRender(w, rep, inv)
	}
	m, err := gpu.Open(log)
	if errors.Is(err, gpu.ErrNoDriver) {
		msg := err.Error() + ": this edge will encode in software"
		if *asJSON {
			// Keep stdout JSON for scripts; the explanation goes aside.
			fmt.Fprintln(os.Stderr, msg)
			return writeJSON(w, m.Inventory())
		}
		if _, err = fmt.Fprintln(w, msg); err != nil {
			return err
		}
		return render(gpu.Inventory{})
	}
	if err != nil {
		return err
	}
	defer m.Close()
	inv := m.Inventory()
	if *asJSON {
		return writeJSON(w, inv)
	}
	if err := writeTable(w, inv, limits); err != nil {
		return err
	}
	return render(inv)
}

// probeRender asks the graphics drivers, as an edge would, what games can
// render with, from a scratch run directory.
func probeRender(log *slog.Logger, inv gpu.Inventory) (gfx.Report, error) {
	dir, err := os.MkdirTemp("", "stratus-gpus-")
	if err != nil {
		return gfx.Report{}, err
	}
	defer os.RemoveAll(dir)
	rt, err := process.NewRuntime(process.Config{RunDir: filepath.Join(dir, "run"), Log: log})
	if err != nil {
		return gfx.Report{}, err
	}
	defer rt.Close()
	var ids []gfx.GPU
	for _, g := range inv.GPUs {
		if g.Err == "" {
			ids = append(ids, gfx.GPU{Index: g.Index, Minor: g.Minor, UUID: g.UUID, Name: g.Name})
		}
	}
	return rt.ProbeGraphics(context.Background(), ids), nil
}

// writeRender says, for each GPU and for Mesa on the CPU, whether games
// can render OpenGL and Vulkan there, with what, or why not.
func writeRender(w io.Writer, rep gfx.Report, inv gpu.Inventory) error {
	fmt.Fprintln(w)
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "RENDER ON\tOPENGL\tVULKAN")
	cell := func(s gfx.Support) string {
		if s.OK {
			return "yes: " + s.Renderer
		}
		return "no: " + s.Why
	}
	for _, d := range rep.GPUs {
		name := d.Label()
		if i := slices.IndexFunc(inv.GPUs, func(g gpu.GPU) bool { return g.Index == d.GPU }); i >= 0 {
			name += " (" + inv.GPUs[i].Name + ")"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\n", name, cell(d.OpenGL), cell(d.Vulkan))
	}
	fmt.Fprintf(tw, "%s\t%s\t%s\n", rep.CPU.Label(), cell(rep.CPU.OpenGL), cell(rep.CPU.Vulkan))
	return tw.Flush()
}

func writeJSON(w io.Writer, inv gpu.Inventory) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(inv)
}

func writeTable(w io.Writer, inv gpu.Inventory, l gpu.Limits) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	// STATE is last so a long error does not widen the other columns.
	fmt.Fprintln(tw, "GPU\tMODEL\tMEMORY USED/TOTAL\tUTIL\tNVENC\tENC CAP LEFT\tSESSIONS\tTEMP\tSTATE")
	for _, g := range inv.GPUs {
		if g.Err != "" {
			fmt.Fprintf(tw, "%d\t%s\t-\t-\t-\t-\t-\t-\t%s\n", g.Index, g.Name, g.Err)
			continue
		}
		nvenc, capacity := "no", "-"
		if g.HasNVENC {
			nvenc, capacity = "yes", strconv.Itoa(g.EncoderCapacity)+"%"
		}
		fmt.Fprintf(tw, "%d\t%s\t%s / %s\t%d%%\t%s\t%s\t%d\t%d°C\tok\n",
			g.Index, g.Name, gib(g.MemoryUsed), gib(g.MemoryTotal), g.UtilGPU, nvenc, capacity, g.EncoderSessions, g.TemperatureC)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	var b strings.Builder
	if inv.Driver != "" {
		fmt.Fprintf(&b, "driver %s", inv.Driver)
		if c := inv.CUDA(); c != "" {
			fmt.Fprintf(&b, " (CUDA %s)", c)
		}
		b.WriteString("; ")
	}
	s := inv.SummaryWith(l)
	switch {
	case s.Count == 0:
		b.WriteString("no GPUs: this edge will encode in software")
	case s.NVENC == 0:
		fmt.Fprintf(&b, "%d GPU(s) (%s), none with NVENC: this edge will encode in software", s.Count, s.Model)
	default:
		fmt.Fprintf(&b, "%d GPU(s) (%s), %d with NVENC; %d encoder sessions free of %d (%d per GPU, %d MiB each)",
			s.Count, s.Model, s.NVENC, s.FreeEncoders, inv.Capacity(l), l.SessionsPerGPU, l.MemoryPerSession>>20)
	}
	fmt.Fprintln(w, b.String())
	if bad, why := inv.Degraded(); bad {
		fmt.Fprintln(w, "degraded:", why)
	}
	return nil
}

// gib renders bytes as GiB with one decimal, the scale GPU memory is sold in.
func gib(b uint64) string {
	return strconv.FormatFloat(float64(b)/(1<<30), 'f', 1, 64) + " GiB"
}
