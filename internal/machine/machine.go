// Package machine describes the machine that benchmark harnesses run on,
// so that every figure recorded in benchmarks/README.md says where, under
// what load and by which command it was taken.
package machine

import (
	"bufio"
	"os"
	"strings"
)

// CPUModel is the first "model name" of /proc/cpuinfo.
func CPUModel() string {
	f, err := os.Open("/proc/cpuinfo")
	if err != nil {
		return "unknown CPU"
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if k, v, ok := strings.Cut(sc.Text(), ":"); ok && strings.TrimSpace(k) == "model name" {
			return strings.TrimSpace(v)
		}
	}
	return "unknown CPU"
}

// LoadAverage is the one-minute load average: on a small machine another
// busy process moves every figure, so it is printed with them.
func LoadAverage() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "unknown"
	}
	if f := strings.Fields(string(b)); len(f) > 0 {
		return f[0]
	}
	return "unknown"
}

// ShellJoin quotes the arguments that a POSIX shell would split or expand,
// so a printed command can be pasted.
func ShellJoin(args []string) string {
	out := make([]string, len(args))
	for i, a := range args {
		if a == "" || strings.ContainsAny(a, " \t\n'\"\\$`|&;<>()*?[]{}~#!") {
			a = "'" + strings.ReplaceAll(a, "'", `'\''`) + "'"
		}
		out[i] = a
	}
	return strings.Join(out, " ")
}

// Invocation is the command line that ran this program. Under `go run` the
// binary lives in a go-build temporary directory, so pkg (for example
// "./benchmarks/latency") stands in for it.
func Invocation(pkg string) string {
	prog := os.Args[0]
	if strings.Contains(prog, string(os.PathSeparator)+"go-build") {
		prog = "go run " + pkg
	}
	return strings.TrimSpace(prog + " " + ShellJoin(os.Args[1:]))
}
