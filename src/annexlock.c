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

/* kind: "name" (an annex) or "auto" (-auto's prefix), in the file name
 * and the messages. */
static int take(const struct annex_session *s, const char *kind, const char *name, struct annex_err *err)
{
	char r[128], n[384], *file = NULL, *path = NULL;
	const char *what = strcmp(kind, "auto") == 0 ? "-auto for prefix" : "annex";
	const char *doing = strcmp(kind, "auto") == 0 ? "running" : "launching or ending";
	long wait_s = 0;
	pid_t holder = 0;
	int fd = -1;

	if (lockfile_escape(s->region, r, sizeof(r)) == 0 && lockfile_escape(name, n, sizeof(n)) == 0)
		file = xasprintf("%s.%s.%s.lock", kind, r, n);
	if (!file)
		return annex_err_set(err, "AnnexLock", "%s '%s' in %s: the name is too long for a lock file", what, name,
				     s->region);
	if (knobs_get_long(s->cfg, "ANNEX_LOCK_WAIT", &wait_s, err) < 0 ||
	    lockfile_path(&annexlock_kind, file, &path, err) != 0)
		goto out;
	fd = lockfile_acquire(&annexlock_kind, path, wait_s * 1000, &holder, err);
	if (fd == -2) {
		char who[64] = "another annex process";
		if (holder > 0)
			snprintf(who, sizeof(who), "annex process %ld", (long)holder);
		annex_err_set(err, "AnnexLock", "%s '%s' in %s is busy: %s is %s it (it holds %s); "
			      "gave up after %ld s (ANNEX_LOCK_WAIT); try again when it is done", what,
			      name, s->region, who, doing, path, wait_s);
		fd = -1;
	}
out:
	free(file);
	free(path);
	return fd;
}

int annexlock_take(const struct annex_session *s, const char *name, struct annex_err *err)
{
	return take(s, "name", name, err);
}

int annexlock_take_auto(const struct annex_session *s, const char *prefix, struct annex_err *err)
{
	return take(s, "auto", prefix, err);
}

void annexlock_release(int fd)
{
	lockfile_release(fd);
}
