// The C half of package pulse: a record stream with the buffer attributes
// and the cookie Record asks for, and the round trips that restartSink
// needs, on libpulse's asynchronous API.
#ifndef STRATUS_PULSE_SHIM_H
#define STRATUS_PULSE_SHIM_H

#include <stddef.h>
#include <stdint.h>
#include <pulse/error.h>
#include <pulse/sample.h>

// sto_rec is one record stream with a connection and a main loop of its
// own, used from one thread at a time. pa_simple would do, but it cannot
// be told which cookie to present: libpulse takes that from PULSE_COOKIE,
// which is one per process, and an edge records many servers.
typedef struct sto_rec sto_rec;

// sto_open connects to server, presenting the cookie in the file cookie
// (NULL: libpulse's own choice), and opens a record stream of dev in
// interleaved S16LE, asking the server for fragments of frag bytes and to
// hold at most max bytes for us, all within timeout_us. On failure it
// returns NULL with a pa_error_code in *err.
sto_rec *sto_open(const char *server, const char *cookie, const char *dev, uint32_t rate,
		uint8_t channels, uint32_t frag, uint32_t max, pa_usec_t timeout_us, int *err);

// sto_read fills buf with len bytes from r, blocking until they came, and
// returns 0, or a pa_error_code once the stream or connection failed.
int sto_read(sto_rec *r, void *buf, size_t len);

// sto_free ends the stream and the connection and frees r.
void sto_free(sto_rec *r);

// sto_restart suspends and resumes sink on server, presenting the cookie
// in the file cookie (NULL: libpulse's own choice), within timeout_us, and
// returns a pa_error_code, 0 on success.
int sto_restart(const char *server, const char *cookie, const char *sink, pa_usec_t timeout_us);

#endif
