package main

import (
	"errors"
	"flag"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"time"

	"stratus/trust"
)

// operatorTokenEnv holds the operator token itself, for the commands that
// act as the operator and for the nodes that check it. It is no flag: a
// token on the command line is visible to every user of the machine.
const operatorTokenEnv = "STRATUS_OPERATOR_TOKEN"

// operatorUsage lists the operator subcommands.
const operatorUsage = `usage:
  stratus operator token -file PATH      make the network operator's token (kept when it exists)
  stratus operator add NAME [-o FILE]    enroll one more node of edge operator NAME: prints a one-time token
  stratus operator add network -role checker   the same for one of the network's checkers
  stratus operator list                  the edge operators and their nodes
  stratus operator revoke NAME           take NAME and all its nodes out of the network
add, list and revoke talk to a signaling node (-signal URL) as the network operator`

// runOperator handles the operators' credentials.
func runOperator(args []string) error {
	if len(args) == 0 {
		return errors.New(operatorUsage)
	}
	switch args[0] {
	case "token":
	case "add", "list", "revoke":
		return runRegistry(args[0], args[1:])
	default:
		return errors.New(operatorUsage)
	}
	fs := flag.NewFlagSet("operator token", flag.ContinueOnError)
	file := fs.String("file", "", "file of the operator token; created (mode 0600) when missing")
	if err := loadFlags(fs, args[1:]); err != nil {
		return err
	}
	if *file == "" {
		return errors.New("operator token: -file is required")
	}
	_, created, err := trust.EnsureTokenFile(*file)
	if err != nil {
		return err
	}
	where, err := filepath.Abs(*file)
	if err != nil {
		where = *file
	}
	if created {
		fmt.Printf("operator token created in %s\n", where)
	} else {
		fmt.Printf("operator token already in %s; kept\n", where)
	}
	return nil
}

// operatorTokenFlag is where a command finds the operator token: the file
// named by -operator-token-file, else STRATUS_OPERATOR_TOKEN.
type operatorTokenFlag struct{ file string }

func (o *operatorTokenFlag) add(fs *flag.FlagSet, usage string) {
	fs.StringVar(&o.file, "operator-token-file", "", usage+" (or the token itself in "+operatorTokenEnv+")")
}

// token reads the token; "" when none is configured.
func (o *operatorTokenFlag) token() (trust.Token, error) {
	if o.file != "" {
		return trust.LoadToken(o.file)
	}
	if v, ok := os.LookupEnv(operatorTokenEnv); ok {
		tok, err := trust.ParseToken(v)
		if err != nil {
			return "", fmt.Errorf("%s: %w", operatorTokenEnv, err)
		}
		return tok, nil
	}
	return "", nil
}

// operatorHTTPClient is a client that acts as the operator, bounded by
// timeout (0: unbounded, for callers that bound their requests themselves).
func operatorHTTPClient(token trust.Token, timeout time.Duration) *http.Client {
	return &http.Client{Timeout: timeout, Transport: trust.BearerTransport{Token: token}}
}

// guardMetrics serves h with its /metrics only to the operator, through
// guard: the process's counters say how many play and how it fares.
func guardMetrics(h http.Handler, guard func(http.Handler) http.Handler) http.Handler {
	mux := http.NewServeMux()
	mux.Handle("/", h)
	mux.Handle("/metrics", guard(h))
	return mux
}
