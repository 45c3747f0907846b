// The C half of package pulse: opening a record stream with the buffer
// attributes Record asks for, and the asynchronous API's round trips that
// restartSink needs, which pa_simple does not offer.
#ifndef STRATUS_PULSE_SHIM_H
#define STRATUS_PULSE_SHIM_H

#include <stdint.h>
#include <pulse/error.h>
#include <pulse/sample.h>
#include <pulse/simple.h>

// sto_open opens a record stream of interleaved S16LE, asking the server
// for fragments of frag bytes and to hold at most max bytes for us.
pa_simple *sto_open(const char *server, const char *dev, uint32_t rate, uint8_t channels,
		uint32_t frag, uint32_t max, int *err);

// sto_restart suspends and resumes sink on server, within timeout_us, and
// returns a pa_error_code, 0 on success.
int sto_restart(const char *server, const char *sink, pa_usec_t timeout_us);

#endif
