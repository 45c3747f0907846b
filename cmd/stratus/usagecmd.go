package main

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"sort"
	"strings"
	"text/tabwriter"
	"time"

	"stratus/ledger"
	"stratus/trust/enroll"
)

// runUsage is stratus usage [verify]: the ledger's records, as the
// network's operator reads them.
func runUsage(args []string) error {
	verify := len(args) > 0 && args[0] == "verify"
	if verify {
		args = args[1:]
	}
	fs := flag.NewFlagSet("usage", flag.ContinueOnError)
	signal := fs.String("signal", "http://127.0.0.1:8080", "signaling node that keeps the ledger")
	from := fs.String("from", "", "sessions that ended at or after this time (RFC 3339)")
	to := fs.String("to", "", "sessions that ended before this time (RFC 3339)")
	by := fs.String("by", "session", "session, operator (per day, weighted by the checks), edge or title")
	format := fs.String("format", "table", "table, json or csv")
	var op operatorTokenFlag
	op.add(fs, "file of the network operator's token")
	if err := loadFlags(fs, args); err != nil {
		return err
	}
	tok, err := op.token()
	if err != nil {
		return err
	}
	if tok == "" {
		return fmt.Errorf("usage: the network operator's token is needed (-operator-token-file or %s)", operatorTokenEnv)
	}
	hc := operatorHTTPClient(tok, time.Minute)
	q := url.Values{}
	for k, v := range map[string]string{"from": *from, "to": *to} {
		if v != "" {
			q.Set(k, v)
		}
	}
	base := strings.TrimRight(*signal, "/")
	if *by == "operator" && !verify {
		var list []ledger.Contribution
		if err := getOperatorJSON(hc, base+"/v1/usage/contribution?"+q.Encode(), &list); err != nil {
			return err
		}
		return printContributions(list, *format)
	}
	var list []ledger.Entry
	if err := getOperatorJSON(hc, base+"/v1/usage?"+q.Encode(), &list); err != nil {
		return err
	}
	if verify {
		return verifyUsage(hc, *signal, list)
	}
	return printUsage(list, *by, *format)
}

func getOperatorJSON(hc *http.Client, u string, v any) error {
	resp, err := hc.Get(u)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("GET %s: %s", u, resp.Status)
	}
	return json.NewDecoder(resp.Body).Decode(v)
}

// verifyUsage checks every record's signature against its edge's key in
// the registry and names each that fails.
func verifyUsage(hc *http.Client, signal string, list []ledger.Entry) error {
	ops, err := (enroll.Client{HTTP: hc, URL: signal}).List(context.Background())
	if err != nil {
		return err
	}
	keys := map[string]enroll.Node{}
	for _, op := range ops {
		for _, n := range op.Nodes {
			keys[n.Name] = n
		}
	}
	bad := 0
	for _, e := range list {
		n, ok := keys[e.Edge]
		var err error
		if !ok {
			err = errors.New("its edge is not in the registry")
		} else {
			err = e.Verify(n.Key)
		}
		if err != nil {
			bad++
			fmt.Printf("FAIL %s (edge %s): %v\n", e.Session, e.Edge, err)
		}
	}
	fmt.Printf("%d records, %d verified, %d failed\n", len(list), len(list)-bad, bad)
	if bad > 0 {
		return fmt.Errorf("%d records failed verification", bad)
	}
	return nil
}

// printUsage lists the records, or their totals by operator, edge or
// title; checks are listed apart and never counted as play.
func printUsage(list []ledger.Entry, by, format string) error {
	if by == "session" {
		switch format {
		case "json":
			enc := json.NewEncoder(os.Stdout)
			enc.SetIndent("", "  ")
			return enc.Encode(list)
		case "csv":
			w := csv.NewWriter(os.Stdout)
			w.Write([]string{"session", "kind", "title", "edge", "operator", "region", "player", "start", "end", "seconds", "frames_sent", "bytes", "interrupted"})
			for _, e := range list {
				w.Write([]string{e.Session, e.LedgerKind, e.Title, e.Edge, e.Operator, e.Region, e.Player, e.Start.Format(time.RFC3339),
					e.End.Format(time.RFC3339), fmt.Sprintf("%.1f", e.Seconds), fmt.Sprint(e.FramesSent), fmt.Sprint(e.Bytes), fmt.Sprint(e.Interrupted)})
			}
			w.Flush()
			return w.Error()
		}
		tw := tabwriter.NewWriter(os.Stdout, 0, 0, 2, ' ', 0)
		fmt.Fprintln(tw, "SESSION\tKIND\tTITLE\tEDGE\tOPERATOR\tEND\tSECONDS\tFRAMES")
		for _, e := range list {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%.1f\t%d\n", e.Session, e.LedgerKind, e.Title, e.Edge, e.Operator, e.End.Format(time.RFC3339), e.Seconds, e.FramesSent)
		}
		return tw.Flush()
	}
	type total struct {
		Key            string  `json:"key"`
		Sessions       int     `json:"sessions"`
		PlayedMinutes  float64 `json:"played_minutes"`
		Checks         int     `json:"checks"`
		CheckedMinutes float64 `json:"checked_minutes"`
	}
	sums := map[string]*total{}
	for _, e := range list {
		var k string
		switch by {
		case "edge":
			k = e.Edge
		case "title":
			k = e.Title
		default:
			return fmt.Errorf("-by %q: want session, operator, edge or title", by)
		}
		t := sums[k]
		if t == nil {
			t = &total{Key: k}
			sums[k] = t
		}
		if e.LedgerKind == "check" {
			t.Checks++
			t.CheckedMinutes += e.Seconds / 60
		} else {
			t.Sessions++
			t.PlayedMinutes += e.Seconds / 60
		}
	}
	keys := make([]string, 0, len(sums))
	for k := range sums {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	if format == "json" {
		out := make([]*total, 0, len(keys))
		for _, k := range keys {
			out = append(out, sums[k])
		}
		return json.NewEncoder(os.Stdout).Encode(out)
	}
	tw := tabwriter.NewWriter(os.Stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintf(tw, "%s\tSESSIONS\tPLAYED MIN\tCHECKS\tCHECKED MIN\n", strings.ToUpper(by))
	for _, k := range keys {
		t := sums[k]
		fmt.Fprintf(tw, "%s\t%d\t%.1f\t%d\t%.1f\n", k, t.Sessions, t.PlayedMinutes, t.Checks, t.CheckedMinutes)
	}
	return tw.Flush()
}

// printContributions lists what each operator delivered each day.
func printContributions(list []ledger.Contribution, format string) error {
	if format == "json" {
		return json.NewEncoder(os.Stdout).Encode(list)
	}
	tw := tabwriter.NewWriter(os.Stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "OPERATOR\tDAY\tSESSIONS\tPLAYED MIN\tSCORE\tAVAILABILITY\tWEIGHTED MIN\tCHECKS")
	for _, c := range list {
		fmt.Fprintf(tw, "%s\t%s\t%d\t%.1f\t%.2f\t%.2f\t%.1f\t%d\n", c.Operator, c.Day, c.Sessions, c.PlayedMinutes, c.Score, c.Availability, c.Weighted, c.Checks)
	}
	return tw.Flush()
}
