/* reaplock.c - -reap's lock file (reaplock.h). The file is never removed:
 * removing a lock file that another process may have just opened would
 * let a third one lock a new file beside it. It lives where only its user
 * can write (never a shared directory such as /tmp, where another user
 * could create it first and stop every -reap of this one). */
#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
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

static void reaplock_sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
}

int reaplock_acquire(const char *path, long wait_ms, struct annex_err *err)
{
	struct stat st;
	long waited = 0;
	int fd = open(path, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY, 0600);

	if (fd < 0)
		return annex_err_set(err, "ReapLock", "lock file %s: %s", path, strerror(errno));
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_uid != geteuid()) {
		close(fd);
		return annex_err_set(err, "ReapLock", "lock file %s: not a regular file owned by this user", path);
	}
	for (;;) {
		if (flock(fd, LOCK_EX | LOCK_NB) == 0)
			return fd;
		if (errno != EWOULDBLOCK && errno != EINTR) {
			annex_err_set(err, "ReapLock", "locking %s: %s", path, strerror(errno));
			close(fd);
			return -1;
		}
		if (waited >= wait_ms) {
			close(fd);
			return -2;
		}
		reaplock_sleep_ms(100);
		waited += 100;
	}
}

void reaplock_release(int fd)
{
	if (fd >= 0)
		close(fd);
}
