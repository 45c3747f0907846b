// Package yuv converts captured RGB pictures into the I420 pictures the
// encoders take, using libyuv's SIMD row functions (a scalar Go loop costs
// several milliseconds per 720p picture, a large part of a 16 ms frame).
//
// Capture APIs hand out 32-bit pixels in one of two memory orders: R,G,B,A
// (Go's image.RGBA, WebGL readPixels) and B,G,R,A (most Windows and X11
// capture). libyuv names formats by a little-endian 32-bit word, so its
// names read backwards: R,G,B,A in memory is its "ABGR", B,G,R,A its "ARGB".
// The functions here are named by memory order. Output is BT.601 limited
// range, what the encoders signal.
//
// The package needs cgo and libyuv. Built without cgo the functions return
// encoder.ErrUnavailable and Available reports false.
package yuv
