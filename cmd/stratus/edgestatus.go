package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"strings"
	"text/tabwriter"
	"time"

	"stratus/edge/api"
	"stratus/signaling"
	"stratus/trust/enroll"
	"stratus/trust/nodeauth"
)

// runEdgeStatus is stratus edge status: an edge operator's view of its
// nodes, asked as the enrolled node whose data directory is given (its
// key signs the request; nothing else is needed).
func runEdgeStatus(args []string) error {
	fs := flag.NewFlagSet("edge status", flag.ContinueOnError)
	dir := fs.String("data-dir", "", "an enrolled node's data directory (its node.key and enrollment.json)")
	signal := fs.String("signal", "", "signaling node to ask (default: the registry the node enrolled with)")
	from := fs.String("from", "", "the period's start: RFC 3339 or a date (2026-12-05, UTC)")
	to := fs.String("to", "", "the period's end, excluded: RFC 3339 or a date")
	format := fs.String("format", "table", "table or json")
	if err := loadFlags(fs, args); err != nil {
		return err
	}
	if *format != "table" && *format != "json" {
		return fmt.Errorf("edge status: -format %q: want table or json", *format)
	}
	if *dir == "" {
		return fmt.Errorf("edge status: -data-dir is needed: the node to ask as")
	}
	e, err := enroll.ReadEnrollment(*dir)
	if err != nil {
		return err
	}
	key, err := enroll.NodeKey(*dir, slog.New(slog.DiscardHandler))
	if err != nil {
		return err
	}
	base := strings.TrimRight(*signal, "/")
	if base == "" {
		base = strings.TrimRight(e.Registry, "/")
	}
	if base == "" {
		return fmt.Errorf("edge status: -signal is needed (the enrollment names no registry)")
	}
	q := url.Values{}
	for k, v := range map[string]string{"from": *from, "to": *to} {
		if v != "" {
			if _, err := signaling.ParseUsageTime(v); err != nil {
				return fmt.Errorf("edge status: -%s %w", k, err)
			}
			q.Set(k, v)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, base+signaling.NodeStatusPath+"?"+q.Encode(), nil)
	if err != nil {
		return err
	}
	nodeauth.Sign(req, e.Node, key, time.Now())
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 16<<20))
	if err != nil {
		return err
	}
	if resp.StatusCode != http.StatusOK {
		var ae api.Error
		if json.Unmarshal(body, &ae) == nil && ae.Code != "" {
			return fmt.Errorf("edge status: %s: %s: %s", resp.Status, ae.Code, ae.Message)
		}
		return fmt.Errorf("edge status: %s", resp.Status)
	}
	var st signaling.OperatorStatus
	if err := json.Unmarshal(body, &st); err != nil {
		return fmt.Errorf("edge status: %w", err)
	}
	if *format == "json" {
		enc := json.NewEncoder(os.Stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(st)
	}
	return printOperatorStatus(os.Stdout, st)
}

// printOperatorStatus writes st as tables: the nodes, their recent
// checks, and the contribution per day.
func printOperatorStatus(out io.Writer, st signaling.OperatorStatus) error {
	period := "all time"
	if st.From != "" || st.To != "" {
		period = fmt.Sprintf("%s to %s", orDash(st.From), orDash(st.To))
	}
	fmt.Fprintf(out, "operator %s (asked as %s), %s\n\n", st.Operator, st.AskedBy, period)
	tw := tabwriter.NewWriter(out, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "NODE\tROLE\tSCORE\tFPS\tG2G MS\tINPUT MS\tJOIN MS\tCHECKED AT\tCHECKER\tSESSIONS\tPLAYED MIN\tCHECKS\tCHECKED MIN")
	for _, n := range st.Nodes {
		q := "-\t-\t-\t-\t-\t-\t-"
		if s := n.QoS; s != nil {
			q = fmt.Sprintf("%.2f\t%.1f\t%.1f\t%.1f\t%.0f\t%s\t%s", s.Score, s.FPS, s.G2GMs, s.InputMs, s.JoinMs, s.CheckedAt.UTC().Format(time.RFC3339), s.Checker)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%d\t%.1f\t%d\t%.1f\n", n.Name, n.Role, q, n.Sessions, n.PlayedMinutes, n.CheckSessions, n.CheckedMinutes)
	}
	tw.Flush()
	fmt.Fprintln(out, "\nrecent checks")
	tw = tabwriter.NewWriter(out, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "NODE\tAT\tCHECKER\tSCORE\tOK")
	for _, n := range st.Nodes {
		for _, c := range n.Checks {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%.2f\t%v\n", n.Name, c.At.UTC().Format(time.RFC3339), c.Checker, c.Score, c.OK)
		}
	}
	tw.Flush()
	fmt.Fprintln(out, "\ncontribution")
	tw = tabwriter.NewWriter(out, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "DAY\tSESSIONS\tPLAYED MIN\tSCORE\tAVAILABILITY\tWEIGHTED MIN\tCHECKS")
	for _, c := range st.Contribution {
		fmt.Fprintf(tw, "%s\t%d\t%.1f\t%.2f\t%.2f\t%.1f\t%d\n", c.Day, c.Sessions, c.PlayedMinutes, c.Score, c.Availability, c.Weighted, c.Checks)
	}
	return tw.Flush()
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
