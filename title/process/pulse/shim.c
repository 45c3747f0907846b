//go:build cgo

#include "shim.h"

#include <pulse/context.h>
#include <pulse/introspect.h>
#include <pulse/mainloop.h>
#include <pulse/rtclock.h>

pa_simple *sto_open(const char *server, const char *dev, uint32_t rate, uint8_t channels,
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

int sto_restart(const char *server, const char *sink, pa_usec_t timeout_us) {
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
