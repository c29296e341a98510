/* cedar.c - DC_QUERY_INSTANCE over a plain TCP socket: the request frame,
 * the answer's reader, and the exchange with one overall deadline (poll()
 * timeouts; nothing here sleeps). See include/annex/cedar.h. */
#include "annex/cedar.h"

#include <errno.h>
#include <netdb.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

void cedar_request(unsigned char out[CEDAR_REQUEST_LEN], unsigned long long command)
{
	out[0] = 1;                         /* end of message */
	out[1] = out[2] = out[3] = 0;
	out[4] = 8;                         /* payload: one 8-byte integer */
	for (int i = 0; i < 8; i++)
		out[5 + i] = (unsigned char)(command >> (8 * (7 - i)));
}

static int is_hex(unsigned char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

/* The payload of a whole message: 16 hex digits, maybe a NUL after them. */
static int instance_id(const unsigned char *p, size_t n, char id[CEDAR_INSTANCE_ID_LEN + 1], struct annex_err *err)
{
	size_t want = CEDAR_INSTANCE_ID_LEN;

	if (n == want + 1 && p[want] == 0)
		n = want;
	if (n != want)
		return annex_err_set(err, "BadReply", "the answer's payload is %zu bytes, not a %d-character instance id",
				     n, CEDAR_INSTANCE_ID_LEN);
	for (size_t i = 0; i < n; i++)
		if (!is_hex(p[i]))
			return annex_err_set(err, "BadReply", "the answer's payload is not a hexadecimal instance id "
					     "(byte %zu is 0x%02x)", i, p[i]);
	memcpy(id, p, n);
	id[n] = 0;
	return 1;
}

int cedar_parse_reply(const unsigned char *data, size_t len, char id[CEDAR_INSTANCE_ID_LEN + 1],
		      struct annex_err *err)
{
	unsigned char payload[CEDAR_MAX_REPLY];
	size_t at = 0, n = 0;

	id[0] = 0;
	if (len > CEDAR_MAX_REPLY)
		return annex_err_set(err, "BadReply", "the answer is longer than %d bytes", CEDAR_MAX_REPLY);
	for (;;) {
		unsigned long flen;
		int last;
		if (len - at < CEDAR_HEADER_LEN)
			return 0;
		if (data[at] > 1)
			return annex_err_set(err, "BadReply", "not a CEDAR frame (first byte 0x%02x, not 0 or 1)",
					     data[at]);
		last = data[at] == 1;
		flen = (unsigned long)data[at + 1] << 24 | (unsigned long)data[at + 2] << 16 |
		       (unsigned long)data[at + 3] << 8 | (unsigned long)data[at + 4];
		if (flen > CEDAR_MAX_REPLY - n)
			return annex_err_set(err, "BadReply", "a CEDAR frame of %lu bytes: longer than any answer "
					     "to this query", flen);
		if (len - at - CEDAR_HEADER_LEN < flen)
			return 0;
		memcpy(payload + n, data + at + CEDAR_HEADER_LEN, flen);
		n += flen;
		at += CEDAR_HEADER_LEN + flen;
		if (!last)
			continue;
		if (at != len)
			return annex_err_set(err, "BadReply", "%zu bytes after the end of the answer", len - at);
		return instance_id(payload, n, id, err);
	}
}

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int left_ms(long long deadline)
{
	long long left = deadline - now_ms();

	return left > 0 ? (int)left : 0;
}

/* Waits for fd to be ready for events; 1 ready, 0 the deadline passed. */
static int wait_for(int fd, short events, long long deadline)
{
	struct pollfd pfd = { .fd = fd, .events = events };

	for (;;) {
		int rc = poll(&pfd, 1, left_ms(deadline));
		if (rc > 0)
			return 1;
		if (rc == 0 || errno != EINTR)
			return 0;
	}
}

static int connect_one(const struct addrinfo *ai, const char *where, long long deadline, struct annex_err *err)
{
	int fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC | SOCK_NONBLOCK, ai->ai_protocol);
	int soerr = 0;
	socklen_t sl = sizeof(soerr);

	if (fd < 0)
		return annex_err_set(err, "Connect", "%s: socket: %s", where, strerror(errno));
	if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0)
		return fd;
	if (errno != EINPROGRESS) {
		annex_err_set(err, "Connect", "%s: %s", where, strerror(errno));
		close(fd);
		return -1;
	}
	if (!wait_for(fd, POLLOUT, deadline)) {
		annex_err_set(err, "Timeout", "%s: no connection within the time limit", where);
		close(fd);
		return -1;
	}
	if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &sl) != 0)
		soerr = errno;
	if (soerr) {
		annex_err_set(err, "Connect", "%s: %s", where, strerror(soerr));
		close(fd);
		return -1;
	}
	return fd;
}

/* The request out, the answer in, on a connected socket. */
static int exchange(int fd, const char *where, long long deadline, char id[CEDAR_INSTANCE_ID_LEN + 1],
		    struct annex_err *err)
{
	unsigned char req[CEDAR_REQUEST_LEN], buf[CEDAR_MAX_REPLY + 1];
	size_t sent = 0, got = 0;
	int rc;

	cedar_request(req, CEDAR_DC_QUERY_INSTANCE);
	while (sent < sizeof(req)) {
		ssize_t w;
		if (!wait_for(fd, POLLOUT, deadline))
			return annex_err_set(err, "Timeout", "%s: the query could not be sent in time", where);
		w = send(fd, req + sent, sizeof(req) - sent, MSG_NOSIGNAL);
		if (w < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (w < 0)
			return annex_err_set(err, "Closed", "%s: sending the query: %s", where, strerror(errno));
		sent += (size_t)w;
	}
	for (;;) {
		ssize_t r;
		if ((rc = cedar_parse_reply(buf, got, id, err)) != 0)
			return rc < 0 ? annex_err_prefix(err, "%s", where) : 0;
		if (!wait_for(fd, POLLIN, deadline))
			return annex_err_set(err, "Timeout", "%s: no answer within the time limit (%zu bytes received)",
					     where, got);
		r = recv(fd, buf + got, sizeof(buf) - got, 0);
		if (r < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (r < 0)
			return annex_err_set(err, "Closed", "%s: %s after %zu bytes of the answer", where,
					     strerror(errno), got);
		if (r == 0)
			return annex_err_set(err, "Closed", "%s: the connection was closed %s", where,
					     got ? "in the middle of the answer" : "without an answer");
		got += (size_t)r;
	}
}

int cedar_query_instance(const char *host, int port, int timeout_ms, char id[CEDAR_INSTANCE_ID_LEN + 1],
			 struct annex_err *err)
{
	struct addrinfo hints, *res = NULL;
	long long deadline = now_ms() + (timeout_ms > 0 ? timeout_ms : 1);
	char service[16], where[300];
	int rc = -1, g;

	id[0] = 0;
	snprintf(service, sizeof(service), "%d", port);
	snprintf(where, sizeof(where), "%s:%d", host, port);
	memset(&hints, 0, sizeof(hints));
	hints.ai_socktype = SOCK_STREAM;
	if ((g = getaddrinfo(host, service, &hints, &res)) != 0)
		return annex_err_set(err, "Resolve", "%s does not resolve here (%s)", host, gai_strerror(g));
	for (struct addrinfo *ai = res; ai && rc != 0; ai = ai->ai_next) {
		int fd = connect_one(ai, where, deadline, err);
		if (fd < 0)
			continue;
		rc = exchange(fd, where, deadline, id, err);
		close(fd);
		if (rc != 0)
			break;          /* the daemon was reached: its answer counts, not another address's */
	}
	freeaddrinfo(res);
	return rc;
}
