package main

import "testing"

// TestNiceFlag: the edge leaves its priority as started unless told
// otherwise, and a value Linux would refuse is refused before anything
// starts.
func TestNiceFlag(t *testing.T) {
	tests := []struct {
		name    string
		args    []string
		want    int
		wantErr bool
	}{
		{"default: as started", nil, 0, false},
		{"ahead of other work", []string{"-nice", "-10"}, -10, false},
		{"lower priority", []string{"-nice", "5"}, 5, false},
		{"out of range", []string{"-nice", "-21"}, 0, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg, err := serveFlags(tt.args)
			if tt.wantErr {
				if err == nil {
					t.Fatal("accepted")
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if cfg.Edge.Nice != tt.want {
				t.Fatalf("nice %d, want %d", cfg.Edge.Nice, tt.want)
			}
		})
	}
}
