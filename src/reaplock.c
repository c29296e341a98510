/* reaplock.c - -reap's lock file (reaplock.h). The file is never removed:
 * removing a lock file that another process may have just opened would
 * let a third one lock a new file beside it. It lives where only its user
 * can write (never a shared directory such as /tmp, where another user
 * could create it first and stop every -reap of this one). */
#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <stdlib.h>
#include <signal.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "annex/buf.h"
#include "annex/reaplock.h"

/* Whether dir is a directory (not a symlink) of this user that no one
 * else may write to; with create, a missing one is made 0700 first.
 * Returns 0, or -1 with err naming what is wrong. */
static int reaplock_dir_ok(const char *dir, int create, struct annex_err *err)
{
	struct stat st;

	if (create && mkdir(dir, 0700) != 0 && errno != EEXIST)
		return annex_err_set(err, "ReapLock", "cannot create %s for -reap's lock: %s (set "
				     "ANNEX_REAP_LOCK_FILE)", dir, strerror(errno));
	if (lstat(dir, &st) != 0)
		return annex_err_set(err, "ReapLock", "%s: %s", dir, strerror(errno));
	if (!S_ISDIR(st.st_mode))
		return annex_err_set(err, "ReapLock", "%s is not a directory; refusing to keep -reap's lock there "
				     "(set ANNEX_REAP_LOCK_FILE)", dir);
	if (st.st_uid != geteuid())
		return annex_err_set(err, "ReapLock", "%s belongs to uid %lu, not to this user (uid %lu); refusing "
				     "to keep -reap's lock there (set ANNEX_REAP_LOCK_FILE)", dir,
				     (unsigned long)st.st_uid, (unsigned long)geteuid());
	if (st.st_mode & (S_IWGRP | S_IWOTH))
		return annex_err_set(err, "ReapLock", "%s is writable by other users (mode %04o); refusing to keep "
				     "-reap's lock there (set ANNEX_REAP_LOCK_FILE)", dir,
				     (unsigned)(st.st_mode & 07777));
	return 0;
}

static const char *reaplock_home(void)
{
	const char *home = getenv("HOME");
	struct passwd *pw;

	if (home && home[0] == '/')
		return home;
	pw = getpwuid(geteuid());
	return pw && pw->pw_dir && pw->pw_dir[0] == '/' ? pw->pw_dir : NULL;
}

int reaplock_path(const char *configured, char **out, struct annex_err *err)
{
	const char *runtime = getenv("XDG_RUNTIME_DIR");
	const char *home;
	char *condor, *dir;
	int rc;

	*out = NULL;
	if (configured && *configured) {
		*out = xstrdup(configured);
		return 0;
	}
	if (runtime && runtime[0] == '/' && reaplock_dir_ok(runtime, 0, NULL) == 0) {
		*out = xasprintf("%s/annex-reap.lock", runtime);
		return 0;
	}
	if (!(home = reaplock_home()))
		return annex_err_set(err, "ReapLock", "no home directory for -reap's lock (HOME is not set); set "
				     "ANNEX_REAP_LOCK_FILE or XDG_RUNTIME_DIR");
	condor = xasprintf("%s/.condor", home);
	dir = xasprintf("%s/annex", condor);
	rc = reaplock_dir_ok(condor, 1, err);
	if (rc == 0)
		rc = reaplock_dir_ok(dir, 1, err);
	if (rc == 0)
		*out = xasprintf("%s/reap.lock", dir);
	free(condor);
	free(dir);
	return rc;
}

static void reaplock_on_alarm(int sig)
{
	(void)sig;     /* only interrupts the blocking flock below */
}

static long reaplock_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Waits for the lock in a blocking flock that a timer interrupts (SIGALRM
 * every 100 ms, installed without SA_RESTART), so nothing polls or sleeps;
 * each interruption checks the deadline. A tick that came before flock
 * began is made up by the next one. 0 locked, 1 timed out, -1 errno. */
static int reaplock_wait(int fd, long wait_ms)
{
	struct sigaction sa, old_sa;
	struct itimerval tick, old_tick;
	long deadline = reaplock_now_ms() + wait_ms;
	int rc, e;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = reaplock_on_alarm;
	sigemptyset(&sa.sa_mask);
	memset(&tick, 0, sizeof(tick));
	tick.it_value.tv_usec = 100000;
	tick.it_interval.tv_usec = 100000;
	sigaction(SIGALRM, &sa, &old_sa);
	setitimer(ITIMER_REAL, &tick, &old_tick);
	while ((rc = flock(fd, LOCK_EX)) != 0 && errno == EINTR && reaplock_now_ms() < deadline)
		;
	e = errno;
	setitimer(ITIMER_REAL, &old_tick, NULL);
	sigaction(SIGALRM, &old_sa, NULL);
	if (rc == 0)
		return 0;
	errno = e;
	return e == EINTR ? 1 : -1;
}

int reaplock_acquire(const char *path, long wait_ms, struct annex_err *err)
{
	struct stat st;
	int fd = open(path, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY, 0600), rc;

	if (fd < 0)
		return annex_err_set(err, "ReapLock", "lock file %s: %s", path, strerror(errno));
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_uid != geteuid()) {
		close(fd);
		return annex_err_set(err, "ReapLock", "lock file %s: not a regular file owned by this user", path);
	}
	if (flock(fd, LOCK_EX | LOCK_NB) == 0)
		return fd;
	rc = errno == EWOULDBLOCK ? (wait_ms > 0 ? reaplock_wait(fd, wait_ms) : 1) : -1;
	if (rc == 0)
		return fd;
	if (rc < 0)
		annex_err_set(err, "ReapLock", "locking %s: %s", path, strerror(errno));
	close(fd);
	return rc < 0 ? -1 : -2;
}

void reaplock_release(int fd)
{
	if (fd >= 0)
		close(fd);
}
