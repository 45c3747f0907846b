package main

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"stratus/checker/qos"
	"stratus/ledger"
	"stratus/signaling"
)

// The table names every node, with a dash where no checker measured it,
// its checks and the operator's days.
func TestPrintOperatorStatus(t *testing.T) {
	at := time.Date(2026, 12, 5, 6, 0, 0, 0, time.UTC)
	st := signaling.OperatorStatus{Operator: "lab", AskedBy: "eu-1", From: "2026-12-05T00:00:00Z",
		Nodes: []signaling.NodeStatus{
			{Name: "eu-1", Role: "edge", QoS: &qos.Standing{Score: 0.9, FPS: 59.8, G2GMs: 31, InputMs: 42, JoinMs: 350, CheckedAt: at, Checker: "checker-1"},
				Checks: []ledger.Check{{Edge: "eu-1", Checker: "checker-1", At: at, Score: 0.9, OK: true}}, Sessions: 3, PlayedMinutes: 12.5},
			{Name: "eu-2", Role: "edge"},
		},
		Contribution: []ledger.Contribution{{Operator: "lab", Day: "2026-12-05", Sessions: 3, PlayedMinutes: 12.5, Score: 0.9, Availability: 1, Weighted: 11.25}},
	}
	var b bytes.Buffer
	if err := printOperatorStatus(&b, st); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	t.Logf("\n%s", out)
	for _, want := range []string{"operator lab (asked as eu-1), 2026-12-05T00:00:00Z to -", "0.90", "59.8", "checker-1", "12.5",
		"2026-12-05T06:00:00Z", "11.2"} {
		if !strings.Contains(out, want) {
			t.Errorf("missing %q", want)
		}
	}
	if line := lineWith(out, "eu-2"); !strings.Contains(line, "-") {
		t.Errorf("an unchecked node: %q", line)
	}
}

func lineWith(s, sub string) string {
	for _, l := range strings.Split(s, "\n") {
		if strings.Contains(l, sub) {
			return l
		}
	}
	return ""
}
