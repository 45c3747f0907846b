package main

import (
	"strings"
	"testing"

	"stratus/edge"
)

// TestEdgeMisbehaveGate: the edge's test hook is refused unless the
// environment opts in, and an unknown lie is refused even then.
func TestEdgeMisbehaveGate(t *testing.T) {
	tests := []struct {
		name, hooks, misbehave string
		want                   edge.Misbehavior
		wantErr                string
	}{
		{"honest without hooks", "", "", edge.MisbehaveNone, ""},
		{"refused without hooks", "", "refuse", "", "refused without STRATUS_TEST_HOOKS=1"},
		{"refused with hooks 0", "0", "slow", "", "refused without STRATUS_TEST_HOOKS=1"},
		{"slow with hooks", "1", "slow", edge.MisbehaveSlow, ""},
		{"refuse with hooks", "1", "refuse", edge.MisbehaveRefuse, ""},
		{"unknown with hooks", "1", "sulk", "", `misbehavior "sulk"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Setenv(testHooksEnv, tt.hooks)
			args := []string{"-name", "e1", "-region", "r", "-dev", "-gossip", "127.0.0.1:0"}
			if tt.misbehave != "" {
				args = append(args, "-test-misbehave", tt.misbehave)
			}
			cfg, err := edgeFlags(args)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("edgeFlags = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if cfg.Edge.Misbehave != tt.want {
				t.Fatalf("misbehave %q, want %q", cfg.Edge.Misbehave, tt.want)
			}
		})
	}
}
