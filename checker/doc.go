// Package checker verifies edges from the outside, as a player meets them:
// a probe joins the title testpattern through a signaling node like a
// page does, takes the video over WebRTC, decodes the H.264 for real, and
// measures what the player would see. Nothing of what it reports comes
// from the edge's own word.
//
// What one probe measures (Result):
//   - join: from the join sent to the first decoded frame;
//   - fps: frames decoded per second while it watches;
//   - glass-to-glass: each decoded frame's barcode holds the time the edge
//     rendered it, on the edge's clock; the probe puts it on its own clock
//     with an offset measured over the input channel (input.KindClock, the
//     NTP estimate from the round trip with the shortest delay), so the
//     probe and the edge may run on different machines;
//   - input-to-display: a key sent on the input channel, and the time until
//     a frame shows the edge's input counter moved, on the probe's clock
//     alone;
//   - loss, jitter and bitrate of the video, from the receiver's RTP
//     statistics.
//
// An edge cannot tell a probe from a player before the session is up: the
// join, the offer and the channels are a page's.
package checker
