//go:build cgo

package pulse

/*
#cgo pkg-config: libpulse-simple libpulse
#include <stdlib.h>
#include <pulse/simple.h>
#include <pulse/error.h>
#include <pulse/mainloop.h>
#include <pulse/context.h>
#include <pulse/introspect.h>
#include <pulse/rtclock.h>

// sto_open opens a record stream of interleaved S16LE, asking the server
// for fragments of frag bytes and to hold at most max bytes for us.
static pa_simple *sto_open(const char *server, const char *dev, uint32_t rate, uint8_t channels,
		uint32_t frag, uint32_t max, int *err) {
	pa_sample_spec ss = { .format = PA_SAMPLE_S16LE, .rate = rate, .channels = channels };
	pa_buffer_attr attr = {
		.maxlength = max,
		.tlength = (uint32_t)-1,  // playback only
		.prebuf = (uint32_t)-1,   // playback only
		.minreq = (uint32_t)-1,   // playback only
		.fragsize = frag,
	};
	return pa_simple_new(server, "Stratus edge", PA_STREAM_RECORD, dev, "game sound",
		&ss, NULL, &attr, err);
}

// sto_step runs one iteration of ml, failing once deadline has passed.
static int sto_step(pa_mainloop *ml, pa_usec_t deadline) {
	pa_usec_t now = pa_rtclock_now();
	if (now >= deadline || pa_mainloop_prepare(ml, (int)(deadline - now)) < 0)
		return -1;
	if (pa_mainloop_poll(ml) < 0 || pa_mainloop_dispatch(ml) < 0)
		return -1;
	return 0;
}

// sto_restart suspends and resumes sink on server, within timeout_us, and
// returns a pa_error_code, 0 on success.
static int sto_restart(const char *server, const char *sink, pa_usec_t timeout_us) {
	pa_usec_t deadline = pa_rtclock_now() + timeout_us;
	int rc = PA_ERR_TIMEOUT;
	pa_mainloop *ml = pa_mainloop_new();
	pa_context *c = pa_context_new(pa_mainloop_get_api(ml), "Stratus edge");
	if (pa_context_connect(c, server, PA_CONTEXT_NOAUTOSPAWN, NULL) < 0) {
		rc = pa_context_errno(c);
		goto out;
	}
	while (pa_context_get_state(c) != PA_CONTEXT_READY) {
		if (!PA_CONTEXT_IS_GOOD(pa_context_get_state(c))) {
			rc = pa_context_errno(c);
			goto out;
		}
		if (sto_step(ml, deadline) < 0)
			goto out;
	}
	for (int suspend = 1; suspend >= 0; suspend--) {
		pa_operation *o = pa_context_suspend_sink_by_name(c, sink, suspend, NULL, NULL);
		if (!o) {
			rc = pa_context_errno(c);
			goto out;
		}
		while (pa_operation_get_state(o) == PA_OPERATION_RUNNING) {
			if (sto_step(ml, deadline) < 0) {
				pa_operation_unref(o);
				goto out;
			}
		}
		pa_operation_unref(o);
	}
	rc = 0;
out:
	pa_context_disconnect(c);
	pa_context_unref(c);
	pa_mainloop_free(ml);
	return rc;
}
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
