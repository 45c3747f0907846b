package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"text/tabwriter"
	"time"

	"stratus/signaling/studio"
	"stratus/title/manifest"
)

const titleUsage = `usage: stratus title <add|list|rm> [flags] [args]

  stratus title add [flags] <manifest.json>   upload a title, or a new version of one
  stratus title list [flags]                  list the studio's titles
  stratus title rm [flags] <id>               retire a title

flags: -signal URL (default http://127.0.0.1:8080),
       -studio-key KEY (or STRATUS_STUDIO_KEY)`

// runTitle is `stratus title`: a studio's titles, through the studio API
// of a signaling node.
func runTitle(args []string) error {
	return titleCommand(context.Background(), os.Stdout, args)
}

func titleCommand(ctx context.Context, out io.Writer, args []string) error {
	if len(args) == 0 {
		return errors.New(titleUsage)
	}
	sub, rest := args[0], args[1:]
	want := map[string]int{"add": 1, "list": 0, "rm": 1}
	n, ok := want[sub]
	if !ok {
		return fmt.Errorf("title: unknown command %q\n%s", sub, titleUsage)
	}
	fs := flag.NewFlagSet("title "+sub, flag.ContinueOnError)
	signalURL := fs.String("signal", "http://127.0.0.1:8080", "signaling node's base URL")
	key := fs.String("studio-key", "", "the studio's API key")
	if err := loadFlags(fs, rest); err != nil {
		return err
	}
	if fs.NArg() != n {
		return fmt.Errorf("title %s: want %d argument(s), got %d\n%s", sub, n, fs.NArg(), titleUsage)
	}
	if *key == "" {
		return fmt.Errorf("title %s: no studio key: pass -studio-key or set %s", sub, envName("studio-key"))
	}
	c, err := studio.NewClient(*signalURL, *key, nil)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	switch sub {
	case "add":
		err = titleAdd(ctx, c, out, fs.Arg(0))
	case "list":
		err = titleList(ctx, c, out)
	case "rm":
		var t studio.Title
		if t, err = c.Retire(ctx, fs.Arg(0)); err == nil {
			fmt.Fprintf(out, "retired %s (version %s)\n", t.ID, t.Version)
		}
	}
	return titleError(sub, err)
}

// titleAdd creates the title, or publishes a new version when the studio
// already has it, so that one command serves every upload.
func titleAdd(ctx context.Context, c *studio.Client, out io.Writer, path string) error {
	data, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	// Parsed here only for the id, needed to publish a new version;
	// validation is the server's, so the CLI never disagrees with it.
	m, err := manifest.Parse(data)
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	t, err := c.Create(ctx, data)
	if e, ok := asStudioError(err); ok && e.Code == studio.ErrTaken.Code {
		t, err = c.Update(ctx, m.ID, data)
		if e, ok := asStudioError(err); ok && e.Code == studio.ErrForbidden.Code {
			return fmt.Errorf("title id %q is taken by another studio; choose another id", m.ID)
		}
		if err == nil {
			fmt.Fprintf(out, "updated %s to version %s\n", t.ID, t.Version)
		}
		return err
	}
	if err == nil {
		fmt.Fprintf(out, "added %s version %s\n", t.ID, t.Version)
	}
	return err
}

func titleList(ctx context.Context, c *studio.Client, out io.Writer) error {
	titles, err := c.List(ctx)
	if err != nil {
		return err
	}
	tw := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tVERSION\tNAME\tSTATUS\tEDGES\tUPDATED")
	var why []string
	for _, t := range titles {
		status := "live"
		if t.Retired {
			status = "retired"
		}
		runs := 0
		for _, e := range t.Edges {
			if e.Runnable {
				runs++
			} else if !t.Retired {
				why = append(why, fmt.Sprintf("  %s on %s: %s", t.ID, e.Edge, e.Reason))
			}
		}
		edges := fmt.Sprintf("%d/%d", runs, len(t.Edges))
		if t.Retired {
			edges = "-"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", t.ID, t.Version, t.Manifest.Name, status, edges, t.Updated.Local().Format(time.DateTime))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	// EDGES counts the edges that can run a title; say why the others
	// cannot, since that is what a studio or an operator acts on.
	if len(why) > 0 {
		fmt.Fprintln(out, "\nnot runnable:")
		for _, w := range why {
			fmt.Fprintln(out, w)
		}
	}
	return nil
}

// titleError rewrites API errors for a person at a terminal: a rejected
// manifest lists its problems one per line, field first.
func titleError(sub string, err error) error {
	e, ok := asStudioError(err)
	if !ok {
		return err
	}
	switch {
	case e.Code == "bad_manifest" && len(e.Problems) > 0:
		lines := make([]string, len(e.Problems))
		for i, p := range e.Problems {
			lines[i] = p.Field + ": " + p.Problem
		}
		return fmt.Errorf("title %s: the manifest has %d problem(s):\n  %s", sub, len(lines), strings.Join(lines, "\n  "))
	case e.Status == 401:
		return fmt.Errorf("title %s: the signaling node refused the studio key (check -studio-key or %s)", sub, envName("studio-key"))
	}
	return fmt.Errorf("title %s: %s", sub, e.Message)
}

func asStudioError(err error) (*studio.APIError, bool) {
	var e *studio.APIError
	ok := errors.As(err, &e)
	return e, ok
}
