package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"strings"
)

// loadFlags fills fs from, in rising precedence: the defaults already in fs,
// a JSON config file (named by the -config flag; keys are flag names), the
// environment (STRATUS_ + the flag name in upper case with - as _), and the
// command line.
func loadFlags(fs *flag.FlagSet, args []string) error {
	config := fs.String("config", "", "JSON file of settings, keyed by flag name")
	if err := fs.Parse(args); err != nil {
		return err
	}
	explicit := map[string]bool{}
	var errs []string
	fs.Visit(func(f *flag.Flag) {
		explicit[f.Name] = true
		if secretFlags[f.Name] {
			errs = append(errs, fmt.Sprintf("-%s on the command line is visible to every user of this machine (ps); give it in a file (-%s-file) or %s", f.Name, f.Name, envName(f.Name)))
		}
	})

	fs.VisitAll(func(f *flag.Flag) {
		if explicit[f.Name] {
			return
		}
		if v, ok := os.LookupEnv(envName(f.Name)); ok {
			if err := fs.Set(f.Name, v); err != nil {
				errs = append(errs, fmt.Sprintf("%s: %v", envName(f.Name), err))
			}
			explicit[f.Name] = true
		}
	})
	if *config != "" {
		data, err := os.ReadFile(*config)
		if err != nil {
			return err
		}
		var m map[string]any
		if err := json.Unmarshal(data, &m); err != nil {
			return fmt.Errorf("%s: %w", *config, err)
		}
		for k, v := range m {
			if fs.Lookup(k) == nil {
				errs = append(errs, fmt.Sprintf("%s: unknown setting %q", *config, k))
				continue
			}
			if explicit[k] {
				continue
			}
			if err := fs.Set(k, fileValue(v)); err != nil {
				errs = append(errs, fmt.Sprintf("%s: %s: %v", *config, k, err))
			}
		}
	}
	if len(errs) > 0 {
		return fmt.Errorf("configuration:\n  %s", strings.Join(errs, "\n  "))
	}
	return nil
}

// secretFlags are settings that hold a secret itself, which must not be
// on a command line: /proc/<pid>/cmdline is readable by every local user.
var secretFlags = map[string]bool{"cluster-key": true}

func envName(flagName string) string {
	return "STRATUS_" + strings.ToUpper(strings.ReplaceAll(flagName, "-", "_"))
}

// fileValue renders a JSON value as flag text; lists become comma lists.
func fileValue(v any) string {
	switch x := v.(type) {
	case []any:
		parts := make([]string, len(x))
		for i, e := range x {
			parts[i] = fmt.Sprint(e)
		}
		return strings.Join(parts, ",")
	case float64:
		return fmt.Sprint(x)
	}
	return fmt.Sprint(v)
}

// listFlag is a comma-separated list.
type listFlag []string

func (l *listFlag) String() string { return strings.Join(*l, ",") }
func (l *listFlag) Set(s string) error {
	*l = nil
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			*l = append(*l, p)
		}
	}
	return nil
}
