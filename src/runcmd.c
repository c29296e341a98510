/* runcmd.c - run a local tool without a shell and capture its output: the
 * one place annex starts another program (HTCondor's tools, and a
 * profile's credential_process in secret mode). */
#include "annex/runcmd.h"

#include <errno.h>
#include <fcntl.h>
#include <openssl/crypto.h>
#include <spawn.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
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
};

/* Spawns argv, appends its stdout to out (cleansing the read chunk when
 * out is secret), waits for it. *overflow (may be NULL) tells whether
 * output past io->max_out was dropped. */
static int runcmd_run(char *const argv[], const struct runcmd_io *io, struct buf *out, int *overflow,
		      int *status, struct annex_err *err)
{
	posix_spawn_file_actions_t fa;
	int fds[2], rc, wstatus, read_errno = 0, dropped = 0;
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
	while ((n = read(fds[0], chunk, sizeof(chunk))) != 0) {
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
	while ((waited = waitpid(pid, &wstatus, 0)) < 0 && errno == EINTR)
		;
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
	const struct runcmd_io io = { 1, se == RUNCMD_STDERR_DISCARD, 0 };
	return runcmd_run(argv, &io, out, NULL, status, err);
}

int runcmd_capture_secret(char *const argv[], size_t max_len, struct buf *out, int *overflow, int *status,
			  struct annex_err *err)
{
	const struct runcmd_io io = { 0, 0, max_len };

	out->secret = 1;
	return runcmd_run(argv, &io, out, overflow, status, err);
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
