/* runcmd.c - run a local tool without a shell and capture its output: the
 * one place annex starts another program (HTCondor's tools, and a
 * profile's credential_process in secret mode). */
#include "annex/runcmd.h"

#include <errno.h>
#include <fcntl.h>
#include <openssl/crypto.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

static int runcmd_executable(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 && S_ISREG(st.st_mode) && access(path, X_OK) == 0;
}

char *runcmd_which(const char *name)
{
	const char *path = getenv("PATH");
	char *dirs, *save = NULL, *found = NULL;

	if (!name || !*name)
		return NULL;
	if (strchr(name, '/'))
		return runcmd_executable(name) ? xstrdup(name) : NULL;
	dirs = xstrdup(path ? path : "/usr/bin:/bin");
	for (char *d = strtok_r(dirs, ":", &save); d && !found; d = strtok_r(NULL, ":", &save)) {
		char *full = xasprintf("%s/%s", d, name);
		if (runcmd_executable(full))
			found = full;
		else
			free(full);
	}
	free(dirs);
	return found;
}

int runcmd_exists(const char *name)
{
	char *path = runcmd_which(name);

	free(path);
	return path != NULL;
}

/* How one run treats the tool's streams. */
struct runcmd_io {
	int stdin_null;         /* stdin from /dev/null, else annex's own */
	int stderr_null;        /* stderr to /dev/null, else annex's own */
	size_t max_out;         /* 0: no limit; past it the output is read and dropped */
	long timeout_ms;        /* 0: none; past it the program is killed (SIGKILL) */
};

static long runcmd_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Milliseconds left before deadline (-1: no deadline, wait for ever; 0: past it). */
static int runcmd_left(long deadline)
{
	long left;

	if (deadline < 0)
		return -1;
	left = deadline - runcmd_now_ms();
	return left <= 0 ? 0 : left > 86400000L ? 86400000 : (int)left;
}

/* Waits for fd to become readable until deadline: 1 ready, 0 timed out.
 * The wait blocks in poll (nothing sleeps or spins). */
static int runcmd_ready(int fd, long deadline)
{
	struct pollfd p = { fd, POLLIN, 0 };
	int rc;

	for (;;) {
		int left = runcmd_left(deadline);
		if (left == 0)
			return 0;
		rc = poll(&p, 1, left);
		if (rc > 0)
			return 1;
		if (rc == 0)
			return 0;
		if (errno != EINTR)
			return 1;     /* let read() report it */
	}
}

/* After the output ended, waits for the program's exit until deadline
 * (through a pidfd, where the kernel has them; else waitpid blocks): 1
 * exited, 0 timed out. */
static int runcmd_exited(pid_t pid, long deadline)
{
#ifdef SYS_pidfd_open
	int pfd, r;

	if (deadline < 0)
		return 1;
	pfd = (int)syscall(SYS_pidfd_open, pid, 0);
	if (pfd < 0)
		return 1;
	r = runcmd_ready(pfd, deadline);
	close(pfd);
	return r;
#else
	(void)pid;
	(void)deadline;
	return 1;
#endif
}

/* Spawns argv, appends its stdout to out (cleansing the read chunk when
 * out is secret), waits for it. *overflow (may be NULL) tells whether
 * output past io->max_out was dropped. */
static int runcmd_run(char *const argv[], const struct runcmd_io *io, struct buf *out, int *overflow,
		      int *timed_out, int *status, struct annex_err *err)
{
	posix_spawn_file_actions_t fa;
	long deadline = io->timeout_ms > 0 ? runcmd_now_ms() + io->timeout_ms : -1;
	int fds[2], rc, wstatus, read_errno = 0, dropped = 0, late = 0;
	pid_t pid, waited;
	char chunk[4096];
	ssize_t n;

	if (pipe2(fds, O_CLOEXEC) != 0)
		return annex_err_set(err, "Exec", "cannot run %s: pipe: %s", argv[0], strerror(errno));
	posix_spawn_file_actions_init(&fa);
	if (io->stdin_null)
		posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	posix_spawn_file_actions_adddup2(&fa, fds[1], 1);
	if (io->stderr_null)
		posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
	rc = posix_spawnp(&pid, argv[0], &fa, NULL, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	close(fds[1]);
	if (rc != 0) {
		close(fds[0]);
		return annex_err_set(err, "Exec", "cannot run %s: %s", argv[0], strerror(rc));
	}
	for (;;) {
		if (deadline >= 0 && !runcmd_ready(fds[0], deadline)) {
			late = 1;
			break;
		}
		if ((n = read(fds[0], chunk, sizeof(chunk))) == 0)
			break;
		if (n < 0) {
			if (errno == EINTR)
				continue;
			read_errno = errno;
			break;
		}
		if (io->max_out && out->len + (size_t)n > io->max_out)
			dropped = 1;
		else
			buf_append(out, chunk, (size_t)n);
	}
	if (out->secret)
		OPENSSL_cleanse(chunk, sizeof(chunk));
	close(fds[0]);
	if (!late && !runcmd_exited(pid, deadline))
		late = 1;
	if (late)
		kill(pid, SIGKILL);    /* ours, not yet reaped: the pid cannot have been reused */
	while ((waited = waitpid(pid, &wstatus, 0)) < 0 && errno == EINTR)
		;
	if (timed_out)
		*timed_out = late;
	if (waited < 0)
		return annex_err_set(err, "Exec", "waiting for %s: %s", argv[0], strerror(errno));
	if (read_errno)
		return annex_err_set(err, "Exec", "reading the output of %s: %s", argv[0], strerror(read_errno));
	*status = WIFEXITED(wstatus) ? WEXITSTATUS(wstatus) : -WTERMSIG(wstatus);
	if (overflow)
		*overflow = dropped;
	return 0;
}

int runcmd_capture(char *const argv[], enum runcmd_stderr se, struct buf *out, int *status,
		   struct annex_err *err)
{
	const struct runcmd_io io = { 1, se == RUNCMD_STDERR_DISCARD, 0, 0 };
	return runcmd_run(argv, &io, out, NULL, NULL, status, err);
}

int runcmd_capture_secret(char *const argv[], size_t max_len, struct buf *out, int *overflow, int *status,
			  struct annex_err *err)
{
	return runcmd_capture_secret_timeout(argv, max_len, 0, out, overflow, NULL, status, err);
}

int runcmd_capture_secret_timeout(char *const argv[], size_t max_len, long timeout_ms, struct buf *out,
				  int *overflow, int *timed_out, int *status, struct annex_err *err)
{
	const struct runcmd_io io = { 0, 0, max_len, timeout_ms };

	out->secret = 1;
	return runcmd_run(argv, &io, out, overflow, timed_out, status, err);
}

int runcmd_check(int status, struct annex_err *err, const char *code, const char *fmt, ...)
{
	char what[ANNEX_ERR_MSG_MAX];
	va_list ap;

	if (status == 0)
		return 0;
	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	if (status < 0)
		return annex_err_set(err, code, "%s was killed by signal %d", what, -status);
	return annex_err_set(err, code, "%s exited with status %d", what, status);
}
