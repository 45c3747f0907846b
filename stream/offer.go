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

// maxOfferMedia bounds the media sections of an offer. The page offers
// three (video, audio, data); the bound leaves room for a page that adds
// one or two, while an offer of thousands, each of which Pion would turn
// into a transceiver, is refused before anything is built for it.
const maxOfferMedia = 8

// CheckOffer rejects an offer the edge cannot serve, with a reason the page
// can show, before Pion would quietly answer with the video rejected. It
// only parses, so the edge calls it before it starts anything for the
// player (a game, an encoder); Answer calls it again.
func CheckOffer(offer string) error {
	var d sdp.SessionDescription
	if err := d.UnmarshalString(offer); err != nil {
		return fmt.Errorf("stream: parse offer: %w", err)
	}
	if n := len(d.MediaDescriptions); n > maxOfferMedia {
		return fmt.Errorf("stream: offer has %d media sections, at most %d are served", n, maxOfferMedia)
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
