/* netcheck.h - can this host reach the collector? (a name lookup and a TCP
 * connect with a timeout). Used by -check-setup and launch for warnings. */
#ifndef ANNEX_NETCHECK_H
#define ANNEX_NETCHECK_H

#include <stddef.h>

/* 0 when host resolves (an IP literal always does), -1 with why filled. */
int netcheck_resolve(const char *host, char *why, size_t why_len);
/* 0 when a TCP connection to host:port opens within timeout_ms, -1 with why. */
int netcheck_tcp(const char *host, int port, int timeout_ms, char *why, size_t why_len);

#endif
