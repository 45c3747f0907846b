package main

import (
	"context"
	"flag"
	"fmt"
	"time"

	"stratus/edge/api"
	"stratus/trust"
)

// runDrain asks an edge to drain and follows it until its players are gone.
func runDrain(args []string) error {
	fs := flag.NewFlagSet("drain", flag.ContinueOnError)
	url := fs.String("edge", "http://127.0.0.1:8081", "edge API URL")
	wait := fs.Duration("wait", time.Minute, "how long to follow the drain")
	undo := fs.Bool("undo", false, "put the edge back in service instead (undrain)")
	var op operatorTokenFlag
	op.add(fs, "file of the operator token, sent to the edge")
	if err := loadFlags(fs, args); err != nil {
		return err
	}
	token, err := op.token()
	if err != nil {
		return err
	}
	c, err := newEdgeClient(*url, token)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(context.Background(), *wait)
	defer cancel()
	if *undo {
		if err := c.Undrain(ctx); err != nil {
			return err
		}
		fmt.Printf("%s is back in service\n", *url)
		return nil
	}
	if err := c.Drain(ctx); err != nil {
		return err
	}
	for {
		st, err := c.Status(ctx)
		if err != nil {
			return fmt.Errorf("following the drain: %w", err)
		}
		fmt.Printf("%s: %s, %d sessions left\n", st.Name, st.Health, st.Active)
		if st.Active == 0 {
			fmt.Printf("%s is drained; stop it (SIGTERM) to remove it from the cluster\n", st.Name)
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("%s still has %d sessions after %v", st.Name, st.Active, *wait)
		case <-time.After(500 * time.Millisecond):
		}
	}
}

// drainCallTimeout bounds one call to the edge; the drain as a whole is
// bounded by -wait.
const drainCallTimeout = 10 * time.Second

// newEdgeClient calls an edge's API as the operator.
func newEdgeClient(url string, token trust.Token) (*api.Client, error) {
	return api.NewClient(url, operatorHTTPClient(token, drainCallTimeout))
}
