//go:build cgo

package pulse

/*
#cgo pkg-config: libpulse
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

// Record connects to the server at server (a Server's Addr), presenting
// the cookie in the file cookie ("" for none: a server admits its own uid
// without one), and records device, "" meaning MonitorSource, until Close
// or until the server goes.
//
// The server is asked for 10 ms fragments with PA_STREAM_ADJUST_LATENCY,
// so the monitor source, and through it the null sink, then run with a
// few ms of latency instead of their default of seconds. The server holds
// at most 100 ms for us, as the Recorder does. Record returns at once when
// the socket is gone, and gives up after 5 s on a server that accepts and
// does not answer.
func Record(server, cookie, device string, log *slog.Logger) (*Recorder, error) {
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
	var ccookie *C.char // NULL: libpulse's usual places
	if cookie != "" {
		ccookie = C.CString(cookie)
		defer C.free(unsafe.Pointer(ccookie))
	}
	var cerr C.int
	s := C.sto_open(cserver, ccookie, cdev, title.AudioRate, title.AudioChannels,
		C.uint32_t(chunkSamples*sampleBytes), C.uint32_t(bufferSamples*sampleBytes),
		C.pa_usec_t(openTimeout/time.Microsecond), &cerr)
	if s == nil {
		return nil, fmt.Errorf("pulse: record %s from %s: %s", device, server, strerror(cerr))
	}
	if device == MonitorSource {
		restartSink(cserver, ccookie, r.log)
	}
	go r.loop(s)
	return r, nil
}

// openTimeout bounds Record's wait for the server: a live one answers in a
// few milliseconds, one under load in well under a second.
const openTimeout = 5 * time.Second

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
func restartSink(server, cookie *C.char, log *slog.Logger) {
	csink := C.CString(SinkName)
	defer C.free(unsafe.Pointer(csink))
	if rc := C.sto_restart(server, cookie, csink, C.pa_usec_t(restartTimeout/time.Microsecond)); rc != 0 {
		log.Warn("pulse: could not restart the sink's clock; sound starts within 2 s", "err", strerror(rc))
	}
}

// loop reads 10 ms chunks until Close asks it to stop or a read fails, then
// frees the stream: only this goroutine ever touches s once Record returned.
func (r *Recorder) loop(s *C.sto_rec) {
	defer close(r.done)
	defer C.sto_free(s) // runs before done closes
	buf := make([]int16, chunkSamples)
	for !r.stop.Load() {
		// Go memory is fine here: it holds no pointers and stays put for
		// the call. The read blocks until a whole chunk has arrived,
		// which a null sink's monitor delivers every 10 ms, silence or
		// not.
		if rc := C.sto_read(s, unsafe.Pointer(&buf[0]), C.size_t(len(buf)*sampleBytes)); rc != 0 {
			if !r.stop.Load() { // after Close, an error is no news
				r.fail(fmt.Errorf("pulse: read: %s", strerror(rc)))
			}
			return
		}
		r.put(buf)
	}
}

func strerror(code C.int) string {
	return strings.ToLower(C.GoString(C.pa_strerror(code)))
}
