/* cedar.h - just enough of HTCondor's CEDAR wire format to ask a daemon
 * for its instance id (DaemonCore's DC_QUERY_INSTANCE, command 60045),
 * which a collector answers without authentication (SPEC.md section 11).
 *
 * Every message is one or more frames: one byte, 1 for the last frame of
 * the message (end of message) and 0 for one that more frames follow, a
 * 4-byte big-endian payload length, then the payload. The request is one
 * frame whose payload is the command as an 8-byte big-endian integer; the
 * daemon answers with one message whose payload is its 16-character
 * hexadecimal instance id, the same for as long as that daemon runs.
 * (HTCondor's condor_annex check-connectivity function speaks it the same
 * way; docs/network.md.)
 *
 * The frame reader (cedar_parse_reply) is pure and fuzzed
 * (tests/fuzz/fuzz_cedar.c): a short, oversized or malformed reply is an
 * error with a reason, never a crash. */
#ifndef ANNEX_CEDAR_H
#define ANNEX_CEDAR_H

#include <stddef.h>

#include "annex/err.h"

#define CEDAR_DC_QUERY_INSTANCE 60045
#define CEDAR_HEADER_LEN 5
#define CEDAR_REQUEST_LEN (CEDAR_HEADER_LEN + 8)
#define CEDAR_INSTANCE_ID_LEN 16
/* The longest reply read: an instance id needs 21 bytes; a peer that sends
 * more is not answering this question. */
#define CEDAR_MAX_REPLY 256

/* The request for command: CEDAR_REQUEST_LEN bytes into out. */
void cedar_request(unsigned char out[CEDAR_REQUEST_LEN], unsigned long long command);

/* Reads the answer to DC_QUERY_INSTANCE from the len bytes received so
 * far. Returns 1 with id (16 hex digits and a NUL) when the bytes hold one
 * whole message whose payload is an instance id (a trailing NUL, as a
 * CEDAR string carries, is allowed); 0 when the bytes are a correct
 * beginning and more must be read; -1 with err (code "BadReply", a reason
 * naming what is wrong) when they cannot become an answer: a frame flag
 * other than 0 or 1, a message longer than CEDAR_MAX_REPLY, bytes after
 * the end of the message, a payload that is not 16 hex digits. */
int cedar_parse_reply(const unsigned char *data, size_t len, char id[CEDAR_INSTANCE_ID_LEN + 1],
		      struct annex_err *err);

/* Connects to host:port (every address the name resolves to, in turn),
 * sends DC_QUERY_INSTANCE and reads the answer, all within timeout_ms.
 * 0 with id set; -1 with err: code "Resolve" (the name does not resolve),
 * "Connect" (refused, unreachable: strerror's words), "Timeout" (no answer
 * in time), "Closed" (the daemon closed the connection before a whole
 * answer: the bytes it sent, if any, are named), "BadReply" (as above). */
int cedar_query_instance(const char *host, int port, int timeout_ms, char id[CEDAR_INSTANCE_ID_LEN + 1],
			 struct annex_err *err);

#endif
