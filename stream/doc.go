// Package stream carries one player's game stream over WebRTC: H.264 video
// from the edge to the page, and the player's input back over two data
// channels.
//
// An Engine owns what all players of an edge share: one UDP port (ICE UDP
// mux), one ICE-TCP port for players whose UDP is blocked, and the settings
// that make the edge an ICE-lite server. Each Peer is one player: the page
// sends an offer (one recvonly video transceiver and the data channels
// "input" and "motion", see package input), Peer.Answer returns the edge's
// complete answer, and from then on the session goroutine calls
// Peer.WriteVideo once per encoded frame and Peer.ReadInput once per game
// frame.
//
// Latency choices, each explained where it is made:
//   - every video packet carries the playout-delay extension with min = max
//     = 0, so Chrome renders without a jitter buffer (playout.go);
//   - GCC's send-side estimator runs without a pacer, so a keyframe is not
//     smeared over time; its overuse detector, and the acknowledged rate,
//     packet trains and queueing read from transport-cc feedback, drive the
//     edge's own AIMD, capped by a loss gate that ignores loss without delay
//     growth (media.go, bwe.go, acked.go, train.go, aimd.go, ratectl.go);
//   - lost packets are repaired by FlexFEC without a round trip, sized to
//     the measured loss (fec.go), then by NACK and RTX, and what neither can
//     repair by a keyframe on PLI/FIR (rtcp.go);
//   - WriteVideo never blocks: a peer that cannot keep up loses frames and
//     then waits for the next keyframe (video.go).
//
// # Forward error correction, as measured with Chromium 156
//
// What headless Chromium 156 (Debian chromium 156.0.8078.114) does with
// H.264 from this sender, found by TestChromiumFlexFEC and Chromium's own
// log (--enable-logging --vmodule=*fec*=9):
//   - Its offer lists red, ulpfec and flexfec-03 for video without any field
//     trial; --force-fieldtrials=WebRTC-FlexFEC-03-Advertised/Enabled/
//     WebRTC-FlexFEC-03/Enabled/ changes neither the offer nor the results.
//   - Answered with flexfec-03 and an "a=ssrc-group:FEC-FR media fec" line
//     (Pion writes it once a FlexFEC codec is registered), Chromium creates a
//     FlexFEC receive stream for the media SSRC, counts the packets in
//     inbound-rtp fecPacketsReceived and rebuilds lost media packets from
//     them: at 5% loss with retransmissions 120 ms late, freezes over 100 ms
//     fell from 17 to 19 to 5 to 11 in six seconds (NACKs only by a fifth to
//     a third: Chromium sends them before the frame's FEC arrives).
//     fecPacketsDiscarded stayed 0; getStats has no count of packets
//     rebuilt (its log has, at --vmodule=*fec*=1).
//   - It rebuilds with repair packets whose masks overlap, again with what
//     it rebuilt, so each media packet gets its own set of repair packets
//     (flexfec.go): two losses in one frame no longer share their only
//     one, and at 3 % loss testpattern's presented frame rate rose from
//     45-51 to 57 fps (benchmarks/README.md).
//   - It reads the repair header in draft 03's layout (SSRC count, protected
//     SSRC, SN base, K-bit set on the last mask part): packets in RFC 8627's
//     layout were discarded as "protecting multiple media SSRCs" by a
//     reader its log names flexfec_03_header_reader_writer.
//   - It zeroes the transport-wide sequence number extension of every media
//     packet before the XOR. FEC made over packets without that extension
//     rebuilt garbage ("Failed to parse payload"), so FEC is made below the
//     transport-cc numbering, over a zero where the number goes.
//   - ULPFEC would need RED around every media packet and an encoder Pion
//     does not have (pion/interceptor 0.1.51 has none).
//
// Pion's flexfec interceptor (webrtc.ConfigureFlexFEC03) writes the same
// layout but cannot run below the numbering (GCC refuses unnumbered FEC
// packets), protects fixed runs of packets across frame ends and has a fixed
// overhead, so the edge has its own sender (fec.go, flexfec.go, twcc.go).
package stream
