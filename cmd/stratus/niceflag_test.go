package main

import "testing"

// TestNiceFlag: the edge asks for nice -10 unless told otherwise, and a
// value Linux would refuse is refused before anything starts.
func TestNiceFlag(t *testing.T) {
	tests := []struct {
		name    string
		args    []string
		want    int
		wantErr bool
	}{
		{"default", nil, -10, false},
		{"as started", []string{"-nice", "0"}, 0, false},
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
