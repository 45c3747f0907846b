package stream

import (
	"errors"
	"strings"
	"testing"
)

// sdpWith is a minimal offer holding the given media sections.
func sdpWith(sections ...string) string {
	var b strings.Builder
	b.WriteString("v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n")
	for _, s := range sections {
		b.WriteString(s)
	}
	return b.String()
}

const (
	h264Section = "m=video 9 UDP/TLS/RTP/SAVPF 102\r\nc=IN IP4 0.0.0.0\r\na=mid:0\r\na=recvonly\r\n" +
		"a=rtpmap:102 H264/90000\r\na=fmtp:102 level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42e01f\r\n"
	vp8Section  = "m=video 9 UDP/TLS/RTP/SAVPF 96\r\nc=IN IP4 0.0.0.0\r\na=mid:0\r\na=rtpmap:96 VP8/90000\r\n"
	dataSection = "m=application 9 UDP/DTLS/SCTP webrtc-datachannel\r\nc=IN IP4 0.0.0.0\r\na=mid:1\r\na=sctp-port:5000\r\n"
)

// TestCheckOffer: offers are judged by parsing alone, before anything is
// built for them.
func TestCheckOffer(t *testing.T) {
	tests := []struct {
		name    string
		offer   string
		ok      bool
		errWant error
		says    string
	}{
		{"page's offer", sdpWith(h264Section, dataSection), true, nil, ""},
		{"empty", "", false, ErrNoH264, ""},
		{"garbage", "v=0 garbage", false, nil, "parse"},
		{"binary", "\x00\xff\x10v=0\r\n", false, nil, "parse"},
		{"no h264", sdpWith(vp8Section, dataSection), false, ErrNoH264, ""},
		{"no media", sdpWith(), false, ErrNoH264, ""},
		{"section flood", sdpWith(append([]string{h264Section}, strings.Split(strings.Repeat(dataSection+"|", 5000), "|")[:5000]...)...), false, nil, "media sections"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := CheckOffer(tt.offer)
			switch {
			case tt.ok && err != nil:
				t.Fatalf("refused: %v", err)
			case tt.ok:
			case err == nil:
				t.Fatal("accepted")
			case tt.errWant != nil && !errors.Is(err, tt.errWant):
				t.Fatalf("got %v, want %v", err, tt.errWant)
			case !strings.Contains(err.Error(), tt.says):
				t.Fatalf("error %q does not say %q", err, tt.says)
			}
		})
	}
}
