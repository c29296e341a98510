/* test_reaplock.c - -reap's lock file: where it lives, its mode, and that
 * a second holder is refused after the wait. flock locks belong to an
 * open file description, so two opens in one process contend like two
 * processes do. */
#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "annex/reaplock.h"
#include "harness.h"

static char dir_[] = "/tmp/annex-test-reaplock-XXXXXX";

static void t_path_choice(void)
{
	char *p, want[64];

	p = reaplock_path("/x/y.lock");
	CHECK_STR(p, "/x/y.lock");
	free(p);
	setenv("XDG_RUNTIME_DIR", "/run/user/1234", 1);
	p = reaplock_path("");
	CHECK_STR(p, "/run/user/1234/annex-reap.lock");
	free(p);
	setenv("XDG_RUNTIME_DIR", "relative", 1);
	snprintf(want, sizeof(want), "/tmp/annex-reap-%lu.lock", (unsigned long)getuid());
	p = reaplock_path(NULL);
	CHECK_STR(p, want);
	free(p);
	unsetenv("XDG_RUNTIME_DIR");
	p = reaplock_path(NULL);
	CHECK_STR(p, want);
	free(p);
}

static void t_lock_contended(void)
{
	struct annex_err err;
	struct stat st;
	char path[128];
	int a, b, c;
	time_t t0;

	snprintf(path, sizeof(path), "%s/reap.lock", dir_);
	a = reaplock_acquire(path, 0, &err);
	CHECK(a >= 0);
	CHECK(stat(path, &st) == 0 && (st.st_mode & 0777) == 0600);
	t0 = time(NULL);
	b = reaplock_acquire(path, 1000, &err);
	CHECK_INT(b, -2);
	CHECK(time(NULL) - t0 >= 1);
	reaplock_release(a);
	c = reaplock_acquire(path, 0, &err);
	CHECK(c >= 0);
	reaplock_release(c);
}

static void t_symlink_refused(void)
{
	struct annex_err err;
	char path[128], target[128];

	snprintf(path, sizeof(path), "%s/link.lock", dir_);
	snprintf(target, sizeof(target), "%s/target", dir_);
	CHECK(symlink(target, path) == 0);
	CHECK_INT(reaplock_acquire(path, 0, &err), -1);
	CHECK_STR(err.code, "ReapLock");
	CHECK(access(target, F_OK) != 0);
	unlink(path);
}

static void t_directory_refused(void)
{
	struct annex_err err;

	CHECK_INT(reaplock_acquire(dir_, 0, &err), -1);
	CHECK_STR(err.code, "ReapLock");
}

static void t_setup(void)
{
	CHECK(mkdtemp(dir_) != NULL);
}

static void t_cleanup(void)
{
	char path[128];

	snprintf(path, sizeof(path), "%s/reap.lock", dir_);
	unlink(path);
	CHECK(rmdir(dir_) == 0);
}

TESTS(T(t_setup), T(t_path_choice), T(t_lock_contended), T(t_symlink_refused), T(t_directory_refused),
      T(t_cleanup))
