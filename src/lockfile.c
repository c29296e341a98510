/* lockfile.c - per-user lock files (lockfile.h): the private directory,
 * the blocking wait with a deadline, the holder's pid. */
#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "annex/buf.h"
#include "annex/lockfile.h"

/* " (FIX)" or "", for the end of a message. */
static void lockfile_fix(const struct lockfile_kind *k, char *out, size_t n)
{
	if (k->fix && *k->fix)
		snprintf(out, n, " (%s)", k->fix);
	else
		out[0] = 0;
}

/* Whether dir is a directory (not a symlink) of this user that no one
 * else may write to; with create, a missing one is made 0700 first.
 * Returns 0, or -1 with err naming what is wrong (err may be NULL). */
static int lockfile_dir_ok(const struct lockfile_kind *k, const char *dir, int create, struct annex_err *err)
{
	struct stat st;
	char fix[160];

	lockfile_fix(k, fix, sizeof(fix));
	if (create && mkdir(dir, 0700) != 0 && errno != EEXIST)
		return annex_err_set(err, k->code, "cannot create %s for %s: %s%s", dir, k->what, strerror(errno), fix);
	if (lstat(dir, &st) != 0)
		return annex_err_set(err, k->code, "%s: %s", dir, strerror(errno));
	if (!S_ISDIR(st.st_mode))
		return annex_err_set(err, k->code, "%s is not a directory; refusing to keep %s there%s", dir, k->what,
				     fix);
	if (st.st_uid != geteuid())
		return annex_err_set(err, k->code, "%s belongs to uid %lu, not to this user (uid %lu); refusing "
				     "to keep %s there%s", dir, (unsigned long)st.st_uid, (unsigned long)geteuid(),
				     k->what, fix);
	if (st.st_mode & (S_IWGRP | S_IWOTH))
		return annex_err_set(err, k->code, "%s is writable by other users (mode %04o); refusing to keep "
				     "%s there%s", dir, (unsigned)(st.st_mode & 07777), k->what, fix);
	return 0;
}

static const char *lockfile_home(void)
{
	const char *home = getenv("HOME");
	struct passwd *pw;

	if (home && home[0] == '/')
		return home;
	pw = getpwuid(geteuid());
	return pw && pw->pw_dir && pw->pw_dir[0] == '/' ? pw->pw_dir : NULL;
}

int lockfile_path(const struct lockfile_kind *k, const char *name, char **out, struct annex_err *err)
{
	const char *runtime = getenv("XDG_RUNTIME_DIR");
	const char *home;
	char *condor, *dir, fix[160];
	int rc;

	*out = NULL;
	if (runtime && runtime[0] == '/' && lockfile_dir_ok(k, runtime, 0, NULL) == 0) {
		*out = xasprintf("%s/annex-%s", runtime, name);
		return 0;
	}
	if (!(home = lockfile_home())) {
		lockfile_fix(k, fix, sizeof(fix));
		return annex_err_set(err, k->code, "no home directory for %s (HOME is not set): set HOME or "
				     "XDG_RUNTIME_DIR%s", k->what, fix);
	}
	condor = xasprintf("%s/.condor", home);
	dir = xasprintf("%s/annex", condor);
	rc = lockfile_dir_ok(k, condor, 1, err);
	if (rc == 0)
		rc = lockfile_dir_ok(k, dir, 1, err);
	if (rc == 0)
		*out = xasprintf("%s/%s", dir, name);
	free(condor);
	free(dir);
	return rc;
}

static void lockfile_on_alarm(int sig)
{
	(void)sig;     /* only interrupts the blocking flock below */
}

static long lockfile_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Waits for the lock in a blocking flock that a timer interrupts (SIGALRM
 * every 100 ms, installed without SA_RESTART), so nothing polls or sleeps;
 * each interruption checks the deadline. A tick that came before flock
 * began is made up by the next one. 0 locked, 1 timed out, -1 errno. */
static int lockfile_wait(int fd, long wait_ms)
{
	struct sigaction sa, old_sa;
	struct itimerval tick, old_tick;
	long deadline = lockfile_now_ms() + wait_ms;
	int rc, e;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = lockfile_on_alarm;
	sigemptyset(&sa.sa_mask);
	memset(&tick, 0, sizeof(tick));
	tick.it_value.tv_usec = 100000;
	tick.it_interval.tv_usec = 100000;
	sigaction(SIGALRM, &sa, &old_sa);
	setitimer(ITIMER_REAL, &tick, &old_tick);
	while ((rc = flock(fd, LOCK_EX)) != 0 && errno == EINTR && lockfile_now_ms() < deadline)
		;
	e = errno;
	setitimer(ITIMER_REAL, &old_tick, NULL);
	sigaction(SIGALRM, &old_sa, NULL);
	if (rc == 0)
		return 0;
	errno = e;
	return e == EINTR ? 1 : -1;
}

/* The pid the holder wrote (its first line), or 0. */
static pid_t lockfile_read_holder(int fd)
{
	char b[32];
	ssize_t n = pread(fd, b, sizeof(b) - 1, 0);
	long v;
	char *end;

	if (n <= 0)
		return 0;
	b[n] = 0;
	v = strtol(b, &end, 10);
	return v > 0 && (*end == '\n' || *end == 0) ? (pid_t)v : 0;
}

/* The holder's note: our pid, replacing the last holder's. */
static void lockfile_write_holder(int fd)
{
	char b[32];
	int n = snprintf(b, sizeof(b), "%ld\n", (long)getpid());

	if (ftruncate(fd, 0) == 0 && pwrite(fd, b, (size_t)n, 0) != n) {
		/* only a courtesy to waiters: a lock without the note still locks */
	}
}

int lockfile_acquire(const struct lockfile_kind *k, const char *path, long wait_ms, pid_t *holder,
		     struct annex_err *err)
{
	struct stat st;
	int fd = open(path, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY, 0600), rc;

	if (holder)
		*holder = 0;
	if (fd < 0)
		return annex_err_set(err, k->code, "lock file %s: %s", path, strerror(errno));
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_uid != geteuid()) {
		close(fd);
		return annex_err_set(err, k->code, "lock file %s: not a regular file owned by this user", path);
	}
	rc = flock(fd, LOCK_EX | LOCK_NB) == 0 ? 0
	   : errno == EWOULDBLOCK ? (wait_ms > 0 ? lockfile_wait(fd, wait_ms) : 1) : -1;
	if (rc == 0) {
		if (k->note_holder)
			lockfile_write_holder(fd);
		return fd;
	}
	if (rc < 0)
		annex_err_set(err, k->code, "locking %s: %s", path, strerror(errno));
	else if (holder && k->note_holder)
		*holder = lockfile_read_holder(fd);
	close(fd);
	return rc < 0 ? -1 : -2;
}

void lockfile_release(int fd)
{
	if (fd >= 0)
		close(fd);
}

int lockfile_escape(const char *s, char *out, size_t n)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t o = 0;

	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-') {
			if (o + 1 >= n)
				return -1;
			out[o++] = (char)c;
		} else {
			if (o + 3 >= n)
				return -1;
			out[o++] = '%';
			out[o++] = hex[c >> 4];
			out[o++] = hex[c & 15];
		}
	}
	if (o >= n)
		return -1;
	out[o] = 0;
	return 0;
}
