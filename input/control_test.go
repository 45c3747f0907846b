package input

import "testing"

func TestControlText(t *testing.T) {
	tests := []struct {
		name string
		in   Control
		want string
	}{
		{"snapshot", Control{Type: ControlSnapshot, Token: "t"}, `{"type":"snapshot","token":"t"}`},
		{"move", Control{Type: ControlMove, Reason: "r", Token: "t"}, `{"type":"move","token":"t","reason":"r"}`},
		{"ended", Control{Type: ControlEnded, Reason: "game over"}, `{"type":"ended","reason":"game over"}`},
		// The stats sit beside the type, as the page reads them.
		{"stats", Control{Type: ControlStats, EdgeStats: &EdgeStats{Encoder: "x264", FPS: 60, Skipped: 2, Edge: "e", Region: "r"}},
			`{"type":"stats","encoder":"x264","fps":60,"encodeMs":0,"renderMs":0,"convertMs":0,"bitrateKbps":0,"targetKbps":0,"rttMs":0,"lossPct":0,"skipped":2,"nacks":0,"fecPackets":0,"fecOverheadPct":0,"edge":"e","region":"r"}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.in.Text(); got != tt.want {
				t.Fatalf("got  %s\nwant %s", got, tt.want)
			}
		})
	}
}
