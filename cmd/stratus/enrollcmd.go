package main

import (
	"context"
	"crypto/ed25519"
	"errors"
	"flag"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"strings"
	"text/tabwriter"
	"time"

	"stratus/cluster"
	"stratus/trust"
	"stratus/trust/enroll"
)

// enrollTokenEnv holds an enrollment token, for a node started without a
// token file.
const enrollTokenEnv = "STRATUS_ENROLL_TOKEN"

// joinNetwork gives a node its identity: from its data directory, or by
// enrolling with the token in tokenFile (or enrollTokenEnv) the first time.
// A token file that is gone is no error: an enrolled node needs none.
func joinNetwork(dir, tokenFile, node string, role cluster.Role, log *slog.Logger) (*cluster.Identity, ed25519.PublicKey, error) {
	tok := os.Getenv(enrollTokenEnv)
	if tokenFile != "" {
		b, err := trust.ReadSecret(tokenFile, "enrollment token", 4096)
		if err != nil && !errors.Is(err, fs.ErrNotExist) {
			return nil, nil, err
		}
		tok = string(b)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	return enroll.Join(ctx, enroll.NodeConfig{Dir: dir, Node: node, Role: role, Token: strings.TrimSpace(tok)}, log)
}

// runRegistry is stratus operator add|list|revoke, against a signaling
// node's registry.
func runRegistry(cmd string, args []string) error {
	fs := flag.NewFlagSet("operator "+cmd, flag.ContinueOnError)
	signal := fs.String("signal", "http://127.0.0.1:8080", "signaling node that keeps the registry")
	out := fs.String("o", "", "add: write the token to this file (mode 0600) instead of printing it")
	role := fs.String("role", "edge", `add: what the token enrolls: edge, or checker (operator "network" only)`)
	var op operatorTokenFlag
	op.add(fs, "file of the network operator's token")
	// The operator name comes first (stratus operator add NAME -o F);
	// flag parsing stops at it otherwise.
	var name string
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		name, args = args[0], args[1:]
	}
	if err := loadFlags(fs, args); err != nil {
		return err
	}
	if name == "" && fs.NArg() > 0 {
		name = fs.Arg(0)
	}
	if (cmd == "list") != (name == "") {
		return errors.New(operatorUsage)
	}
	tok, err := op.token()
	if err != nil {
		return err
	}
	if tok == "" {
		return fmt.Errorf("operator %s: the network operator's token is needed (-operator-token-file or %s)", cmd, operatorTokenEnv)
	}
	c := enroll.Client{HTTP: operatorHTTPClient(tok, 10*time.Second), URL: *signal}
	ctx := context.Background()
	switch cmd {
	case "add":
		ans, err := c.Add(ctx, name, cluster.Role(*role))
		if err != nil {
			return err
		}
		if *out != "" {
			if err := os.WriteFile(*out, []byte(ans.Token+"\n"), 0o600); err != nil {
				return err
			}
			fmt.Printf("enrollment token for one %s of %s written to %s (valid until %s)\n", *role, name, *out, ans.Expires)
			return nil
		}
		fmt.Printf("%s\n# one %s of %s enrolls with it, once, until %s:\n# stratus %s -name NODE -data-dir DIR -enroll-token-file FILE …  (or %s=…)\n",
			ans.Token, *role, name, ans.Expires, *role, enrollTokenEnv)
		return nil
	case "revoke":
		list, err := c.Revoke(ctx, name)
		if err != nil {
			return err
		}
		fmt.Printf("revoked %s: signaling nodes no longer route to its nodes\n", name)
		return printOperators(list)
	default:
		list, err := c.List(ctx)
		if err != nil {
			return err
		}
		return printOperators(list)
	}
}

func printOperators(list []enroll.OperatorView) error {
	w := tabwriter.NewWriter(os.Stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(w, "OPERATOR\tSTATUS\tNODE\tROLE\tKEY\tENROLLED")
	for _, op := range list {
		status := "active"
		if op.Revoked != nil {
			status = "revoked " + op.Revoked.Format(time.RFC3339)
		}
		if len(op.Nodes) == 0 {
			fmt.Fprintf(w, "%s\t%s\t-\t-\t-\t%d token(s) unused\n", op.Name, status, op.Pending)
		}
		for _, n := range op.Nodes {
			fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\t%s\n", op.Name, status, n.Name, n.Role, keyPrint(n.Key), n.Enrolled.Format(time.RFC3339))
		}
	}
	return w.Flush()
}

// keyPrint is a key's short form for people: its first 8 bytes in hex.
func keyPrint(k ed25519.PublicKey) string {
	return fmt.Sprintf("%x", []byte(k)[:min(8, len(k))])
}
