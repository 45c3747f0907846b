// Package input defines the player input events that flow from the page to a
// title, and the compact binary protocol that carries them over the WebRTC
// data channels.
//
// # Channels
//
// The page opens two data channels:
//
//   - "input": ordered and reliable. Key and button edges (key down/up, mouse
//     button, touch start/end) travel here, because a lost key-up would leave a
//     key held forever.
//   - "motion": unordered, no retransmits. Pointer motion and gamepad state
//     travel here as absolute state with a 16-bit sequence number, so a lost
//     message costs nothing and a late one is recognised as stale and dropped.
//
// # Wire format
//
// A data-channel message holds one or more events back to back. Every event
// starts with a one-byte type; its length is fixed by the type. All integers
// are little-endian. A message that is empty, truncated, or holds an unknown
// type is rejected whole (the decoder reports an error and the caller counts
// it); nothing in a bad message is applied.
//
//	type 0x01 KeyDown      [0x01][code u16][mods u8]                          4 bytes
//	type 0x02 KeyUp        [0x02][code u16][mods u8]                          4 bytes
//	type 0x03 MouseButton  [0x03][button u8][down u8]                         3 bytes
//	type 0x04 MouseMove    [0x04][seq u16][x u16][y u16][accX i32][accY i32] 15 bytes
//	type 0x05 Wheel        [0x05][dx i16][dy i16]                             5 bytes
//	type 0x06 Gamepad      [0x06][seq u16][pad u8][buttons u32]
//	                             [axes 4×i16][lt u8][rt u8]                  18 bytes
//	type 0x07 Touch        [0x07][id u8][phase u8][x u16][y u16]              7 bytes
//	type 0x08 Ping         [0x08][id u32][clientMs f64]                      13 bytes
//	type 0x09 Present      [0x09][refresh u16 µs][waitP10 u16][waitP50 u16]
//	                             [frames u16][missed u16]                   11 bytes
//	type 0x0A Clock        [0x0A][id u32][clientMs f64]                      13 bytes
//	type 0x0B Receive      [0x0B][freezes u16][freezeMs u32][longestMs u32]
//	                             [fecUsed u32]                             15 bytes
//	type 0x0C Beat         [0x0C][seq u16]                                    3 bytes
//
// Key codes are the Windows virtual-key codes that browsers report as
// KeyboardEvent.keyCode (A = 65, ArrowLeft = 37, Space = 32, …). mods is a
// bit set: 1 Shift, 2 Ctrl, 4 Alt, 8 Meta.
//
// Mouse buttons follow MouseEvent.button: 0 left, 1 middle, 2 right, 3 back,
// 4 forward.
//
// MouseMove carries both pointer modes at once. x and y are the absolute
// position over the video, scaled to 0..65535 (what a title uses without
// pointer lock). accX and accY are the running sums of relative movement in
// CSS pixels since the channel opened (what a title uses under pointer lock);
// the receiver derives deltas from consecutive sums, so lost messages lose no
// movement. One MouseMove is one "mouse-move batch": the page coalesces all
// pointer events between two sends into one message.
//
// Gamepad is the full state of one pad in the W3C standard mapping: bit i of
// buttons is buttons[i].pressed for i = 0..16, axes are the four stick axes
// scaled from -1..1 to -32767..32767, lt and rt the analog triggers
// (buttons 6 and 7) scaled to 0..255. The page sends it whenever the state
// changes, and may re-send it on the lossy channel; the edge passes a title
// only changes, so a title counts one event per change. pad is 0..MaxPads-1;
// events for higher pads are dropped and counted.
//
// Touch phases: 0 start, 1 move, 2 end, 3 cancel; x and y as for MouseMove.
// Touch starts and ends go on "input"; moves may go on either channel.
//
// Ping asks the edge to echo the same bytes back on the channel it came on,
// so the page can measure its round trip through the input path.
//
// Clock asks the edge for its own time: it answers on the same channel with
// [0x0A][id u32][clientMs f64][edgeMs f64] (21 bytes; AppendClockReply),
// the Unix milliseconds when it answered, so that a client on another
// machine (a checker) can estimate the offset between its clock and the
// edge's, as NTP does, and read the edge's render times in its own clock.
//
// Present is the page's report, once a second on "motion", of how its
// display met the frames: the refresh interval in microseconds, the 10th
// and 50th percentiles of how long a decoded frame waited for the display
// refresh (units of 10 µs), and how many frames were presented and how many
// were never shown. The edge shifts its frame schedule so that frames are
// ready just before the refresh (see package session).
//
// Receive follows each Present on "motion" in a message of its own (an edge
// that does not know it refuses the message whole): the page's running
// counts, since its session's stream began, of freezes (no new frame for
// over FreezeGap), their total and longest milliseconds, and the FEC
// packets its browser used. Running counts make a lost report cost nothing
// but a second's delay; counts saturate at their width. The edge keeps them
// for the session's stats, metrics and its end-of-session log line.
//
// Beat goes the other way: the edge's heartbeat to the page on "motion",
// once a frame time while the session's connection lives, whether or not a
// picture goes with it (stream/beat.go). The page takes an edge that sends
// neither beats nor frames for a short while as dead. An edge ignores a
// Beat sent to it.
//
// None of Ping, Clock, Present, Receive and Beat is player input: titles
// never see them.
//
// Sequence numbers on "motion" are per message type and wrap; the receiver
// keeps the last applied number and drops a message that is not newer
// (serial-number arithmetic on 16 bits).
package input
