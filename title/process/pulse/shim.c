//go:build cgo

#include "shim.h"

#include <stdlib.h>
#include <string.h>

#include <pulse/context.h>
#include <pulse/introspect.h>
#include <pulse/mainloop.h>
#include <pulse/rtclock.h>
#include <pulse/stream.h>

struct sto_rec {
	pa_mainloop *ml;
	pa_context *c;
	pa_stream *s;
	// The fragment pa_stream_peek gave and how much of it sto_read has
	// used; data is NULL for a hole, which reads as silence.
	const uint8_t *data;
	size_t len, off;
	int peeked;
};

// sto_step runs one iteration of ml, failing once deadline has passed.
static int sto_step(pa_mainloop *ml, pa_usec_t deadline) {
	pa_usec_t now = pa_rtclock_now();
	if (now >= deadline || pa_mainloop_prepare(ml, (int)(deadline - now)) < 0)
		return -1;
	if (pa_mainloop_poll(ml) < 0 || pa_mainloop_dispatch(ml) < 0)
		return -1;
	return 0;
}

// sto_connect makes a context on ml and waits, until deadline, for it to
// be ready. It returns a pa_error_code, and the context in *out even on
// failure (NULL only if none could be made), for the caller to free.
static int sto_connect(pa_mainloop *ml, const char *server, const char *cookie, pa_usec_t deadline,
		pa_context **out) {
	pa_context *c = pa_context_new(pa_mainloop_get_api(ml), "Stratus edge");
	*out = c;
	if (!c)
		return PA_ERR_INTERNAL;
	// Before connecting, or libpulse looks for a cookie of its own.
	if (cookie && pa_context_load_cookie_from_file(c, cookie) < 0)
		return pa_context_errno(c);
	if (pa_context_connect(c, server, PA_CONTEXT_NOAUTOSPAWN, NULL) < 0)
		return pa_context_errno(c);
	while (pa_context_get_state(c) != PA_CONTEXT_READY) {
		if (!PA_CONTEXT_IS_GOOD(pa_context_get_state(c)))
			return pa_context_errno(c);
		if (sto_step(ml, deadline) < 0)
			return PA_ERR_TIMEOUT;
	}
	return 0;
}

sto_rec *sto_open(const char *server, const char *cookie, const char *dev, uint32_t rate,
		uint8_t channels, uint32_t frag, uint32_t max, pa_usec_t timeout_us, int *err) {
	pa_usec_t deadline = pa_rtclock_now() + timeout_us;
	sto_rec *r = calloc(1, sizeof *r);
	if (!r || !(r->ml = pa_mainloop_new())) {
		*err = PA_ERR_INTERNAL;
		goto fail;
	}
	if ((*err = sto_connect(r->ml, server, cookie, deadline, &r->c)) != 0)
		goto fail;
	pa_sample_spec ss = { .format = PA_SAMPLE_S16LE, .rate = rate, .channels = channels };
	pa_buffer_attr attr = {
		.maxlength = max,
		.tlength = (uint32_t)-1,  // playback only
		.prebuf = (uint32_t)-1,   // playback only
		.minreq = (uint32_t)-1,   // playback only
		.fragsize = frag,
	};
	if (!(r->s = pa_stream_new(r->c, "game sound", &ss, NULL))) {
		*err = pa_context_errno(r->c);
		goto fail;
	}
	// ADJUST_LATENCY, as pa_simple sets it: the source then runs at the
	// fragment size asked for rather than its default of seconds.
	if (pa_stream_connect_record(r->s, dev, &attr, PA_STREAM_ADJUST_LATENCY) < 0) {
		*err = pa_context_errno(r->c);
		goto fail;
	}
	while (pa_stream_get_state(r->s) != PA_STREAM_READY) {
		if (!PA_STREAM_IS_GOOD(pa_stream_get_state(r->s))) {
			*err = pa_context_errno(r->c);
			goto fail;
		}
		if (sto_step(r->ml, deadline) < 0) {
			*err = PA_ERR_TIMEOUT;
			goto fail;
		}
	}
	*err = 0;
	return r;
fail:
	if (*err == 0)
		*err = PA_ERR_UNKNOWN;
	if (r)
		sto_free(r);
	return NULL;
}

// sto_failed is the error of a stream or connection that is no longer
// ready, or 0.
static int sto_failed(sto_rec *r) {
	if (pa_context_get_state(r->c) == PA_CONTEXT_READY && pa_stream_get_state(r->s) == PA_STREAM_READY)
		return 0;
	int e = pa_context_errno(r->c);
	return e ? e : PA_ERR_CONNECTIONTERMINATED;
}

int sto_read(sto_rec *r, void *buf, size_t len) {
	uint8_t *p = buf;
	while (len > 0) {
		if (!r->peeked) {
			size_t n;
			// Wait for the server: a monitor delivers every fragment
			// time, silence or not; a server gone fails the context.
			for (;;) {
				int e = sto_failed(r);
				if (e)
					return e;
				if ((n = pa_stream_readable_size(r->s)) == (size_t)-1)
					return pa_context_errno(r->c);
				if (n > 0)
					break;
				if (pa_mainloop_iterate(r->ml, 1, NULL) < 0)
					return PA_ERR_INTERNAL;
			}
			const void *data;
			if (pa_stream_peek(r->s, &data, &n) < 0)
				return pa_context_errno(r->c);
			if (n == 0)
				continue;
			r->data = data;
			r->len = n;
			r->off = 0;
			r->peeked = 1;
		}
		size_t k = r->len - r->off < len ? r->len - r->off : len;
		if (r->data)
			memcpy(p, r->data + r->off, k);
		else
			memset(p, 0, k);
		p += k;
		len -= k;
		r->off += k;
		if (r->off == r->len) {
			pa_stream_drop(r->s);
			r->peeked = 0;
		}
	}
	return 0;
}

void sto_free(sto_rec *r) {
	if (r->s) {
		pa_stream_disconnect(r->s);
		pa_stream_unref(r->s);
	}
	if (r->c) {
		pa_context_disconnect(r->c);
		pa_context_unref(r->c);
	}
	if (r->ml)
		pa_mainloop_free(r->ml);
	free(r);
}

int sto_restart(const char *server, const char *cookie, const char *sink, pa_usec_t timeout_us) {
	pa_usec_t deadline = pa_rtclock_now() + timeout_us;
	pa_context *c = NULL;
	pa_mainloop *ml = pa_mainloop_new();
	if (!ml)
		return PA_ERR_INTERNAL;
	int rc = sto_connect(ml, server, cookie, deadline, &c);
	if (rc != 0)
		goto out;
	rc = PA_ERR_TIMEOUT;
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
	if (c) {
		pa_context_disconnect(c);
		pa_context_unref(c);
	}
	pa_mainloop_free(ml);
	return rc;
}
