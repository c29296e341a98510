/* reaplock.c - -reap's lock file (reaplock.h). The file is never removed:
 * removing a lock file that another process may have just opened would
 * let a third one lock a new file beside it. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "annex/buf.h"
#include "annex/reaplock.h"

char *reaplock_path(const char *configured)
{
	const char *runtime = getenv("XDG_RUNTIME_DIR");

	if (configured && *configured)
		return xstrdup(configured);
	if (runtime && runtime[0] == '/')
		return xasprintf("%s/annex-reap.lock", runtime);
	return xasprintf("/tmp/annex-reap-%lu.lock", (unsigned long)getuid());
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
