package stream

import (
	"errors"
	"fmt"
	"strings"

	"github.com/pion/sdp/v3"
)

// ErrNoH264 is returned by Answer when the offer has no video the edge can
// send: H.264 with packetization mode 1.
var ErrNoH264 = errors.New("stream: offer has no H.264 (packetization-mode=1) video")

// checkOffer rejects an offer the edge cannot serve, with a reason the page
// can show, before Pion would quietly answer with the video rejected.
func checkOffer(offer string) error {
	var d sdp.SessionDescription
	if err := d.UnmarshalString(offer); err != nil {
		return fmt.Errorf("stream: parse offer: %w", err)
	}
	for _, m := range d.MediaDescriptions {
		if m.MediaName.Media != "video" {
			continue
		}
		h264 := map[string]bool{}
		for _, a := range m.Attributes {
			if a.Key == "rtpmap" {
				pt, codec, _ := strings.Cut(a.Value, " ")
				if strings.HasPrefix(strings.ToUpper(codec), "H264/") {
					h264[pt] = true
				}
			}
		}
		for _, a := range m.Attributes {
			if a.Key != "fmtp" {
				continue
			}
			pt, params, _ := strings.Cut(a.Value, " ")
			if h264[pt] && strings.Contains(params, "packetization-mode=1") {
				return nil
			}
		}
	}
	return ErrNoH264
}
