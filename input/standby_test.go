package input

import (
	"errors"
	"strings"
	"testing"
)

func TestParseStandby(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want StandbyMessage
		bad  bool
	}{
		{"state", `{"type":"state","token":"t"}`, StandbyMessage{Type: StandbyState, Token: "t"}, false},
		{"keep", `{"type":"keep"}`, StandbyMessage{Type: StandbyKeep}, false},
		{"activate", `{"type":"activate"}`, StandbyMessage{Type: StandbyActivate}, false},
		{"activate with token", `{"type":"activate","token":"t"}`, StandbyMessage{Type: StandbyActivate, Token: "t"}, false},
		{"state without token", `{"type":"state"}`, StandbyMessage{}, true},
		{"unknown", `{"type":"stats"}`, StandbyMessage{}, true},
		{"not json", `activate`, StandbyMessage{}, true},
		{"too large", `{"type":"state","token":"` + strings.Repeat("a", MaxStandbyMessage) + `"}`, StandbyMessage{}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseStandby(tt.in)
			if tt.bad {
				if !errors.Is(err, ErrStandbyMessage) {
					t.Fatalf("err %v, want ErrStandbyMessage", err)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Fatalf("got %+v, %v; want %+v", got, err, tt.want)
			}
		})
	}
}
