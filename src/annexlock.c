/* annexlock.c - the per-annex lock of a launch and -off (annexlock.h) over
 * lockfile.c. */
#include "annex/annexlock.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "annex/buf.h"
#include "annex/knobs.h"
#include "annex/lockfile.h"
#include "annex/session.h"

static const struct lockfile_kind annexlock_kind = { "AnnexLock", "the per-annex lock", "set XDG_RUNTIME_DIR to a "
						      "directory of your own", 1 };

char *annexlock_file_name(const char *region, const char *name)
{
	char r[128], n[384];

	if (lockfile_escape(region, r, sizeof(r)) != 0 || lockfile_escape(name, n, sizeof(n)) != 0)
		return NULL;
	return xasprintf("name.%s.%s.lock", r, n);
}

int annexlock_take(const struct annex_session *s, const char *name, struct annex_err *err)
{
	char *file = annexlock_file_name(s->region, name), *path = NULL;
	long wait_s = 0;
	pid_t holder = 0;
	int fd = -1;

	if (!file)
		return annex_err_set(err, "AnnexLock", "annex '%s' in %s: the name is too long for a lock file", name,
				     s->region);
	if (knobs_get_long(s->cfg, "ANNEX_LOCK_WAIT", &wait_s, err) < 0 ||
	    lockfile_path(&annexlock_kind, file, &path, err) != 0)
		goto out;
	fd = lockfile_acquire(&annexlock_kind, path, wait_s * 1000, &holder, err);
	if (fd == -2) {
		char who[64] = "another annex process";
		if (holder > 0)
			snprintf(who, sizeof(who), "annex process %ld", (long)holder);
		annex_err_set(err, "AnnexLock", "annex '%s' in %s is busy: %s is launching or ending it (it holds %s); "
			      "gave up after %ld s (ANNEX_LOCK_WAIT); try again when it is done", name, s->region, who,
			      path, wait_s);
		fd = -1;
	}
out:
	free(file);
	free(path);
	return fd;
}

void annexlock_release(int fd)
{
	lockfile_release(fd);
}
