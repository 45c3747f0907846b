package main

import (
	"strings"
	"testing"
)

// TestPlayerAuthFlags: players are anonymous without the flags, and must
// sign in with all three; some of them only is an error naming the rest.
func TestPlayerAuthFlags(t *testing.T) {
	all := []string{"-player-auth-issuer", "https://id.example", "-player-auth-audience", "stratus-play", "-player-auth-jwks", "https://id.example/jwks"}
	tests := []struct {
		name     string
		args     []string
		signedIn bool
		wantErr  []string
	}{
		{"none", nil, false, nil},
		{"all three", all, true, nil},
		{"issuer only", all[:2], true, []string{"audience is empty", "jwks url is empty"}},
		{"keys in the clear", append(all[:4:4], "-player-auth-jwks", "http://id.example/jwks"), true, []string{"not https"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			args := append([]string{"-edges", "http://127.0.0.1:8081"}, tt.args...)
			cfg, err := signalFlags(args)
			t.Logf("signal %q: %v", tt.args, err)
			if (cfg.Signal.PlayerAuth != nil) != tt.signedIn {
				t.Errorf("player auth %+v, want set: %v", cfg.Signal.PlayerAuth, tt.signedIn)
			}
			if (err == nil) != (len(tt.wantErr) == 0) {
				t.Fatalf("got %v, want errors %q", err, tt.wantErr)
			}
			for _, w := range tt.wantErr {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("%v: does not say %q", err, w)
				}
			}
			// serve takes the same flags; its signaling node validates them.
			sc, err := serveFlags(tt.args)
			if err != nil {
				t.Fatalf("serve %q: %v", tt.args, err)
			}
			if (sc.Signal.PlayerAuth != nil) != tt.signedIn {
				t.Errorf("serve: player auth %+v, want set: %v", sc.Signal.PlayerAuth, tt.signedIn)
			}
			if pa := sc.Signal.PlayerAuth; pa != nil && (pa.Validate() == nil) != (len(tt.wantErr) == 0) {
				t.Errorf("serve: %v, want errors %q", pa.Validate(), tt.wantErr)
			}
		})
	}
}
