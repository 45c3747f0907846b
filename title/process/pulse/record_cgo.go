//go:build cgo

package pulse

/*
#cgo pkg-config: libpulse-simple libpulse
#include <stdlib.h>
#include "shim.h"
*/
import "C"

import (
	"fmt"
	"log/slog"
	"strings"
	"time"
	"unsafe"

	"stratus/title"
)

// Record connects to the server at server (a Server's Addr) and records
// device, "" meaning MonitorSource, until Close or until the server goes.
//
// The server is asked for 10 ms fragments; pa_simple sets
// PA_STREAM_ADJUST_LATENCY, so the monitor source, and through it the null
// sink, then run with a few ms of latency instead of their default of
// seconds. The server holds at most 100 ms for us, as the Recorder does.
// Like the rest of libpulse's simple API, Record waits for the server to
// answer: it returns at once when the socket is gone, but would wait on a
// server that accepts and then hangs.
func Record(server, device string, log *slog.Logger) (*Recorder, error) {
	if server == "" {
		// libpulse would pick the host's default server, or spawn one.
		return nil, fmt.Errorf("pulse: Record needs a server address")
	}
	if device == "" {
		device = MonitorSource
	}
	r := newRecorder(log)
	r.log = r.log.With("server", server, "device", device)

	cserver, cdev := C.CString(server), C.CString(device)
	defer C.free(unsafe.Pointer(cserver))
	defer C.free(unsafe.Pointer(cdev))
	var cerr C.int
	s := C.sto_open(cserver, cdev, title.AudioRate, title.AudioChannels,
		C.uint32_t(chunkSamples*sampleBytes), C.uint32_t(bufferSamples*sampleBytes), &cerr)
	if s == nil {
		return nil, fmt.Errorf("pulse: record %s from %s: %s", device, server, strerror(cerr))
	}
	go r.loop(s)
	if device == MonitorSource {
		restartSink(cserver, r.log)
	}
	return r, nil
}

// restartTimeout bounds restartSink: a live server answers in about a
// millisecond.
const restartTimeout = time.Second

// restartSink suspends and resumes the null sink once the record stream is
// up. A null sink that nobody has asked for low latency renders 2 s at a
// time, and keeps to that clock after a stream asks for 10 ms: the first
// read would return only when the current 2 s block ends. Resuming
// restarts its clock with the 10 ms the stream asked for, so sound flows
// at once. A game that plays at that moment hears a gap of a few
// milliseconds; it is usually still loading. If it fails, recording still
// works, only late to start.
func restartSink(server *C.char, log *slog.Logger) {
	csink := C.CString(SinkName)
	defer C.free(unsafe.Pointer(csink))
	if rc := C.sto_restart(server, csink, C.pa_usec_t(restartTimeout/time.Microsecond)); rc != 0 {
		log.Warn("pulse: could not restart the sink's clock; sound starts within 2 s", "err", strerror(rc))
	}
}

// loop reads 10 ms chunks until Close asks it to stop or a read fails, then
// frees the connection: only this goroutine ever touches s.
func (r *Recorder) loop(s *C.pa_simple) {
	defer close(r.done)
	defer C.pa_simple_free(s) // runs before done closes
	buf := make([]int16, chunkSamples)
	for !r.stop.Load() {
		var cerr C.int
		// Go memory is fine here: it holds no pointers and stays put for
		// the call. The read blocks until a whole chunk has arrived,
		// which a null sink's monitor delivers every 10 ms, silence or
		// not.
		if C.pa_simple_read(s, unsafe.Pointer(&buf[0]), C.size_t(len(buf)*sampleBytes), &cerr) < 0 {
			if !r.stop.Load() { // after Close, an error is no news
				r.fail(fmt.Errorf("pulse: read: %s", strerror(cerr)))
			}
			return
		}
		r.put(buf)
	}
}

func strerror(code C.int) string {
	return strings.ToLower(C.GoString(C.pa_strerror(code)))
}
