/* netcheck.c - name lookup and TCP reachability with a timeout. */
#include "annex/netcheck.h"

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

int netcheck_resolve(const char *host, char *why, size_t why_len)
{
	struct addrinfo hints, *res = NULL;
	int rc;

	memset(&hints, 0, sizeof(hints));
	hints.ai_socktype = SOCK_STREAM;
	rc = getaddrinfo(host, NULL, &hints, &res);
	if (rc != 0) {
		snprintf(why, why_len, "%s does not resolve here (%s)", host, gai_strerror(rc));
		return -1;
	}
	freeaddrinfo(res);
	return 0;
}

static int try_connect(const struct addrinfo *ai, int timeout_ms, char *why, size_t why_len)
{
	struct pollfd pfd;
	int fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC | SOCK_NONBLOCK, ai->ai_protocol);
	int soerr = 0;
	socklen_t len = sizeof(soerr);

	if (fd < 0) {
		snprintf(why, why_len, "socket: %s", strerror(errno));
		return -1;
	}
	if (connect(fd, ai->ai_addr, ai->ai_addrlen) != 0 && errno != EINPROGRESS) {
		snprintf(why, why_len, "%s", strerror(errno));
		close(fd);
		return -1;
	}
	pfd.fd = fd;
	pfd.events = POLLOUT;
	if (poll(&pfd, 1, timeout_ms) != 1) {
		snprintf(why, why_len, "no answer within %d ms", timeout_ms);
		close(fd);
		return -1;
	}
	getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &len);
	close(fd);
	if (soerr) {
		snprintf(why, why_len, "%s", strerror(soerr));
		return -1;
	}
	return 0;
}

int netcheck_tcp(const char *host, int port, int timeout_ms, char *why, size_t why_len)
{
	struct addrinfo hints, *res = NULL;
	char service[16];
	int rc = -1;

	memset(&hints, 0, sizeof(hints));
	hints.ai_socktype = SOCK_STREAM;
	snprintf(service, sizeof(service), "%d", port);
	if (getaddrinfo(host, service, &hints, &res) != 0) {
		snprintf(why, why_len, "%s does not resolve here", host);
		return -1;
	}
	for (struct addrinfo *ai = res; ai && rc != 0; ai = ai->ai_next)
		rc = try_connect(ai, timeout_ms, why, why_len);
	freeaddrinfo(res);
	return rc;
}
