package signaling

import (
	"errors"
	"strings"
	"testing"

	"stratus/edge/api"
)

func TestParseClient(t *testing.T) {
	tests := []struct {
		name, in string
		code     string // "" means accepted
	}{
		{"titles", `{"type":"titles"}`, ""},
		{"join", `{"type":"join","title":"rocks","sdp":"v=0"}`, ""},
		{"candidate", `{"type":"candidate","candidate":{"candidate":"candidate:1 1 udp 1 127.0.0.1 9 typ host","sdpMid":"0"}}`, ""},
		{"leave", `{"type":"leave"}`, ""},
		{"not json", `hello`, api.CodeBadMessage},
		{"array", `[1,2]`, api.CodeBadMessage},
		{"no type", `{"title":"x"}`, api.CodeBadMessage},
		{"unknown type", `{"type":"explode"}`, api.CodeBadMessage},
		{"join without title", `{"type":"join","sdp":"v=0"}`, api.CodeBadMessage},
		{"join without sdp", `{"type":"join","title":"rocks"}`, api.CodeBadMessage},
		{"candidate without body", `{"type":"candidate"}`, api.CodeBadMessage},
		{"wrong field type", `{"type":"join","title":5,"sdp":"v=0"}`, api.CodeBadMessage},
		{"too large", `{"type":"join","title":"rocks","sdp":"` + strings.Repeat("a", MaxMessageBytes) + `"}`, api.CodeTooLarge},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseClient([]byte(tt.in))
			if tt.code == "" {
				if err != nil {
					t.Fatalf("unexpected error %v", err)
				}
				return
			}
			var pe *ProtocolError
			if !errors.As(err, &pe) || pe.Code != tt.code {
				t.Fatalf("err = %v, want code %s", err, tt.code)
			}
		})
	}
}

// FuzzParseClient: any bytes either parse into a valid message or give a
// ProtocolError; never a panic. Seeds live in testdata/fuzz/FuzzParseClient.
func FuzzParseClient(f *testing.F) {
	for _, s := range []string{
		`{"type":"titles"}`,
		`{"type":"join","title":"rocks","sdp":"v=0\r\n"}`,
		`{"type":"candidate","candidate":{"candidate":"","sdpMLineIndex":0}}`,
		`{"type":"leave"}`,
		`{"type":"join","title":"a","sdp":"b","resume":"c"}`,
		`{`,
		`null`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := ParseClient(data)
		if err != nil {
			var pe *ProtocolError
			if !errors.As(err, &pe) {
				t.Fatalf("error %v is not a ProtocolError", err)
			}
			return
		}
		switch m.Type {
		case TypeTitles, TypeLeave:
		case TypeJoin:
			if m.Title == "" || m.SDP == "" {
				t.Fatalf("accepted join without title or sdp: %+v", m)
			}
		case TypeCandidate:
			if m.Candidate == nil {
				t.Fatal("accepted candidate without body")
			}
		default:
			t.Fatalf("accepted type %q", m.Type)
		}
	})
}
