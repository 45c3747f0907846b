package main

import (
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestLoadFlags: file, then environment, then command line, and a secret
// refused on the command line, where every local user can read it.
func TestLoadFlags(t *testing.T) {
	cfg := filepath.Join(t.TempDir(), "stratus.json")
	os.WriteFile(cfg, []byte(`{"name":"from-file","region":"from-file"}`), 0o600)
	tests := []struct {
		name       string
		env        map[string]string
		args       []string
		wantName   string
		wantRegion string
		wantErr    string
	}{
		{"file", nil, []string{"-config", cfg}, "from-file", "from-file", ""},
		{"environment over file", map[string]string{"STRATUS_NAME": "from-env"}, []string{"-config", cfg}, "from-env", "from-file", ""},
		{"command line over both", map[string]string{"STRATUS_NAME": "from-env"}, []string{"-config", cfg, "-name", "from-args"}, "from-args", "from-file", ""},
		{"a key in the environment", map[string]string{"STRATUS_CLUSTER_KEY": "k"}, nil, "", "", ""},
		{"a key on the command line", nil, []string{"-cluster-key", "c2VjcmV0"}, "", "", "-cluster-key on the command line is visible to every user of this machine (ps); give it in a file (-cluster-key-file) or STRATUS_CLUSTER_KEY"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for k, v := range tt.env {
				t.Setenv(k, v)
			}
			fs := flag.NewFlagSet("t", flag.ContinueOnError)
			name := fs.String("name", "", "")
			region := fs.String("region", "", "")
			var g gossipFlags
			g.add(fs)
			err := loadFlags(fs, tt.args)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("loadFlags = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if *name != tt.wantName || *region != tt.wantRegion {
				t.Fatalf("name %q region %q, want %q %q", *name, *region, tt.wantName, tt.wantRegion)
			}
		})
	}
}
