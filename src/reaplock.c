/* reaplock.c - -reap's lock file (reaplock.h): ANNEX_REAP_LOCK_FILE, else
 * the file "reap.lock" in the user's private lock directory; the locking
 * itself is lockfile.c's. */
#include <stdlib.h>

#include "annex/buf.h"
#include "annex/lockfile.h"
#include "annex/reaplock.h"

/* no pid note: ANNEX_REAP_LOCK_FILE may name a file whose bytes are not annex's */
static const struct lockfile_kind reaplock_kind = { "ReapLock", "-reap's lock", "set ANNEX_REAP_LOCK_FILE", 0 };

int reaplock_path(const char *configured, char **out, struct annex_err *err)
{
	if (configured && *configured) {
		*out = xstrdup(configured);
		return 0;
	}
	return lockfile_path(&reaplock_kind, "reap.lock", out, err);
}

int reaplock_acquire(const char *path, long wait_ms, struct annex_err *err)
{
	return lockfile_acquire(&reaplock_kind, path, wait_ms, NULL, err);
}

void reaplock_release(int fd)
{
	lockfile_release(fd);
}
