/* runcmd.h - running a local program without a shell, capturing its
 * standard output: HTCondor's tools (condor_version, condor_off,
 * condor_status), and in secret mode a profile's credential_process. */
#ifndef ANNEX_RUNCMD_H
#define ANNEX_RUNCMD_H

#include "annex/buf.h"
#include "annex/err.h"

/* Where the tool's standard error goes. */
enum runcmd_stderr {
	RUNCMD_STDERR_DISCARD, /* to /dev/null */
	RUNCMD_STDERR_INHERIT  /* to annex's own stderr */
};

/* Runs argv[0] (looked up in PATH when it has no '/') with argv, stdin
 * from /dev/null, stderr as se says; appends its stdout to out and stores
 * in *status its exit status, or -N when signal N killed it. -1 with err
 * ("Exec") when it cannot be started, its output cannot be read or its
 * exit status cannot be had (SIGCHLD ignored). */
int runcmd_capture(char *const argv[], enum runcmd_stderr se, struct buf *out, int *status,
		   struct annex_err *err);

/* runcmd_capture for a program whose output is a secret (credential_process
 * prints keys). stdin and stderr stay annex's own, so the program may ask
 * the user something; its stdout is appended to out, which is made secret
 * first (as buf_init_secret: cleansed whenever its storage moves or is
 * freed), and the read buffer is cleansed too. runcmd keeps no copy and
 * traces nothing of it. At most max_len bytes (0: no limit) are kept: the
 * rest is read and dropped, so the program never blocks on a full pipe,
 * and *overflow is set to 1 (else 0). */
int runcmd_capture_secret(char *const argv[], size_t max_len, struct buf *out, int *overflow, int *status,
			  struct annex_err *err);

/* runcmd_capture_secret with a time limit: a program still running
 * timeout_ms after it started (0: no limit) is killed (SIGKILL), its
 * output so far kept as usual, *timed_out set to 1 (else 0) and *status
 * its kill signal (-9). The wait blocks in poll(2) on its output and then
 * on its exit (a pidfd; without pidfds, the exit is awaited without limit
 * once the output ended). */
int runcmd_capture_secret_timeout(char *const argv[], size_t max_len, long timeout_ms, struct buf *out,
				  int *overflow, int *timed_out, int *status, struct annex_err *err);

/* 0 when status (from runcmd_capture) is 0; else -1 with err (code) "WHAT
 * exited with status N" or "WHAT was killed by signal N", WHAT formatted
 * from fmt. */
int runcmd_check(int status, struct annex_err *err, const char *code, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/* The executable regular file name names: name itself when it has a '/',
 * else the first one in PATH's directories (an empty entry is the current
 * directory; PATH unset is /usr/bin:/bin). malloc'd, or NULL. */
char *runcmd_which(const char *name);

/* 1 when runcmd_which finds name. */
int runcmd_exists(const char *name);

#endif
