package main

import (
	"bufio"
	"context"
	"crypto/ed25519"
	"encoding/csv"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"strings"
	"text/tabwriter"

	"stratus/ledger"
	"stratus/signaling"
	"stratus/trust"
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
	from := fs.String("from", "", "sessions that ended at or after this time (RFC 3339, or a date: 2026-12-05, UTC)")
	to := fs.String("to", "", "sessions that ended before this time (RFC 3339, or a date)")
	by := fs.String("by", "session", "session, operator (per day, weighted by the checks), edge, title or studio")
	format := fs.String("format", "table", "table, json or csv")
	studioName := fs.String("studio", "", "only this studio's titles")
	studioKeyFile := fs.String("studio-key-file", "", "file of a studio's key: that studio's own usage, instead of the operator's view (or the key itself in "+envName("studio-key")+")")
	var op operatorTokenFlag
	op.add(fs, "file of the network operator's token")
	if err := loadFlags(fs, args); err != nil {
		return err
	}
	if !map[string]bool{"session": true, "operator": true, "edge": true, "title": true, "studio": true}[*by] {
		return fmt.Errorf("usage: -by %q: want session, operator, edge, title or studio", *by)
	}
	if !map[string]bool{"table": true, "json": true, "csv": true}[*format] {
		return fmt.Errorf("usage: -format %q: want table, json or csv", *format)
	}
	q := url.Values{}
	for k, v := range map[string]string{"from": *from, "to": *to} {
		if v != "" {
			if _, err := signaling.ParseUsageTime(v); err != nil {
				return fmt.Errorf("usage: -%s %w", k, err)
			}
			q.Set(k, v)
		}
	}
	if *studioName != "" {
		q.Set("studio", *studioName)
	}
	base := strings.TrimRight(*signal, "/")
	hc, asStudio, err := usageClient(&op, *studioKeyFile)
	if err != nil {
		return err
	}
	if asStudio && (verify || *by == "operator" || *by == "edge") {
		return errors.New("usage: a studio's view has no edges, operators or signatures: -by session, title or studio, and no verify")
	}
	g := usageGetter{hc: hc, headerLimit: usageHeaderLimit, idle: usageIdleLimit}
	if *by == "operator" && !verify {
		var list []ledger.Contribution
		if err := g.getJSON(base+"/v1/usage/contribution?"+q.Encode(), &list); err != nil {
			return err
		}
		return printContributions(list, *format)
	}
	if !verify && *by != "session" {
		// The node sums the groups: a network's ledger is too long to
		// fetch whole for a total.
		q.Set("group", *by)
		var totals []ledger.Total
		if err := g.getJSON(base+"/v1/usage?"+q.Encode(), &totals); err != nil {
			return err
		}
		return printTotals(totals, *by, *format)
	}
	var keys map[string]ed25519.PublicKey
	if verify {
		// The keys first: the listing is checked as it comes.
		if keys, err = registryKeys(hc, *signal); err != nil {
			return err
		}
	}
	body, err := g.get(base + "/v1/usage?" + q.Encode())
	if err != nil {
		return err
	}
	defer body.Close()
	if !verify {
		return printSessions(os.Stdout, body, *format)
	}
	out := bufio.NewWriterSize(os.Stdout, usageOutBuffer)
	defer out.Flush()
	total, bad, err := verifyRecords(out, keys, body, usageWorkers())
	fmt.Fprintf(out, "%d records, %d verified, %d failed\n", total, total-bad, bad)
	switch {
	case err != nil:
		return err
	case bad > 0:
		return fmt.Errorf("%d records failed verification", bad)
	}
	return nil
}

// registryKeys is the key of every node the registry enrolled, by name.
func registryKeys(hc *http.Client, signal string) (map[string]ed25519.PublicKey, error) {
	ctx, cancel := context.WithTimeout(context.Background(), usageHeaderLimit)
	defer cancel()
	ops, err := (enroll.Client{HTTP: hc, URL: signal}).List(ctx)
	if err != nil {
		return nil, err
	}
	keys := map[string]ed25519.PublicKey{}
	for _, op := range ops {
		for _, n := range op.Nodes {
			keys[n.Name] = n.Key
		}
	}
	return keys, nil
}

// usageClient is the HTTP client of stratus usage: a studio's, with the
// key in keyFile or STRATUS_STUDIO_KEY, else the operator's. It has no
// timeout of its own: a listing may rightly take minutes, and usageGetter
// bounds its start and its silences instead.
func usageClient(op *operatorTokenFlag, keyFile string) (*http.Client, bool, error) {
	key := ""
	if keyFile != "" {
		b, err := trust.ReadSecret(keyFile, "studio key", 4096)
		if err != nil {
			return nil, false, err
		}
		key = strings.TrimSpace(string(b))
	}
	tok, err := op.token()
	if err != nil {
		return nil, false, err
	}
	if key == "" && tok == "" {
		key = os.Getenv(envName("studio-key"))
	}
	if key != "" {
		return &http.Client{Transport: studioBearer{key: key}}, true, nil
	}
	if tok == "" {
		return nil, false, fmt.Errorf("usage: the network operator's token (-operator-token-file or %s) or a studio's key (-studio-key-file or %s) is needed",
			operatorTokenEnv, envName("studio-key"))
	}
	return operatorHTTPClient(tok, 0), false, nil
}

// studioBearer sends a studio's key with every request, on copies of them.
type studioBearer struct{ key string }

func (b studioBearer) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	r.Header.Set("Authorization", "Bearer "+b.key)
	return http.DefaultTransport.RoundTrip(r)
}

// printTotals lists the node's sums per edge, title or studio.
func printTotals(list []ledger.Total, by, format string) error {
	if format == "csv" {
		w := csv.NewWriter(os.Stdout)
		w.Write([]string{by, "sessions", "played_minutes", "checks", "checked_minutes"})
		for _, t := range list {
			w.Write([]string{t.Key, fmt.Sprint(t.Sessions), fmt.Sprintf("%.1f", t.PlayedMinutes), fmt.Sprint(t.Checks), fmt.Sprintf("%.1f", t.CheckedMinutes)})
		}
		w.Flush()
		return w.Error()
	}
	if format == "json" {
		return json.NewEncoder(os.Stdout).Encode(list)
	}
	tw := tabwriter.NewWriter(os.Stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintf(tw, "%s\tSESSIONS\tPLAYED MIN\tCHECKS\tCHECKED MIN\n", strings.ToUpper(by))
	for _, t := range list {
		fmt.Fprintf(tw, "%s\t%d\t%.1f\t%d\t%.1f\n", t.Key, t.Sessions, t.PlayedMinutes, t.Checks, t.CheckedMinutes)
	}
	return tw.Flush()
}

// printContributions lists what each operator delivered each day.
func printContributions(list []ledger.Contribution, format string) error {
	switch format {
	case "json":
		return json.NewEncoder(os.Stdout).Encode(list)
	case "csv":
		w := csv.NewWriter(os.Stdout)
		w.Write([]string{"operator", "day", "sessions", "played_minutes", "score", "availability", "weighted_minutes", "checks", "checked_minutes"})
		for _, c := range list {
			w.Write([]string{c.Operator, c.Day, fmt.Sprint(c.Sessions), fmt.Sprintf("%.2f", c.PlayedMinutes), fmt.Sprintf("%.3f", c.Score),
				fmt.Sprintf("%.3f", c.Availability), fmt.Sprintf("%.2f", c.Weighted), fmt.Sprint(c.Checks), fmt.Sprintf("%.2f", c.CheckedMinutes)})
		}
		w.Flush()
		return w.Error()
	}
	tw := tabwriter.NewWriter(os.Stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "OPERATOR\tDAY\tSESSIONS\tPLAYED MIN\tSCORE\tAVAILABILITY\tWEIGHTED MIN\tCHECKS")
	for _, c := range list {
		fmt.Fprintf(tw, "%s\t%s\t%d\t%.1f\t%.2f\t%.2f\t%.1f\t%d\n", c.Operator, c.Day, c.Sessions, c.PlayedMinutes, c.Score, c.Availability, c.Weighted, c.Checks)
	}
	return tw.Flush()
}
