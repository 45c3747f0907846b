package edge

import (
	"testing"
	"time"
)

func TestResumeTokens(t *testing.T) {
	key, other := []byte("cluster key 0123456789abcdef"), []byte("another key")
	now := time.Now()
	tok := sealState(key, "rocks", now, []byte(`{"score":1200}`))
	tamper := []byte(tok)
	tamper[10] ^= 1
	tests := []struct {
		name, title, token string
		key                []byte
		at                 time.Time
		ok                 bool
	}{
		{"good", "rocks", tok, key, now, true},
		{"wrong key", "rocks", tok, other, now, false},
		{"other title", "testpattern", tok, key, now, false},
		{"tampered", "rocks", string(tamper), key, now, false},
		{"expired", "rocks", tok, key, now.Add(tokenMaxAge + time.Second), false},
		{"garbage", "rocks", "!!", key, now, false},
		{"short", "rocks", "AAAA", key, now, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			state, err := openState(tt.key, tt.title, tt.token, tt.at)
			if (err == nil) != tt.ok {
				t.Fatalf("err = %v, want ok=%v", err, tt.ok)
			}
			if tt.ok && string(state) != `{"score":1200}` {
				t.Fatalf("state %q", state)
			}
		})
	}
}
