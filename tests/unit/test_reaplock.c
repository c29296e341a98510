/* test_reaplock.c - -reap's lock file: where it lives, its mode, and that
 * a second holder is refused after the wait (the locking itself, the
 * private directory and the refusals are lockfile.c's: test_lockfile.c). flock locks belong to an
 * open file description, so two opens in one process contend like two
 * processes do. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "annex/reaplock.h"
#include "harness.h"

static char dir_[] = "/tmp/annex-test-reaplock-XXXXXX";

static char *path_of(const char *configured, int *rc, struct annex_err *err)
{
	char *p = NULL;

	annex_err_clear(err);
	*rc = reaplock_path(configured, &p, err);
	return p;
}

/* The choice: configured, else the user's private lock directory
 * (lockfile_path; its choice is tested in test_lockfile.c) under -reap's
 * names; a refusal there is -reap's. */
static void t_path_choice(void)
{
	struct annex_err err;
	char *p, want[256], home[160], xdg[160], d[200];
	int rc;

	snprintf(home, sizeof(home), "%s/home", dir_);
	snprintf(xdg, sizeof(xdg), "%s/run", dir_);
	CHECK(mkdir(home, 0755) == 0 && mkdir(xdg, 0700) == 0);
	setenv("HOME", home, 1);

	p = path_of("/x/y.lock", &rc, &err);
	CHECK_STR(p, "/x/y.lock");
	free(p);
	setenv("XDG_RUNTIME_DIR", xdg, 1);
	p = path_of("", &rc, &err);
	snprintf(want, sizeof(want), "%s/annex-reap.lock", xdg);
	CHECK_STR(p, want);
	free(p);
	unsetenv("XDG_RUNTIME_DIR");
	p = path_of(NULL, &rc, &err);
	CHECK_INT(rc, 0);
	snprintf(want, sizeof(want), "%s/.condor/annex/reap.lock", home);
	CHECK_STR(p, want);
	free(p);

	snprintf(d, sizeof(d), "%s/.condor/annex", home);
	CHECK(chmod(d, 0777) == 0);
	p = path_of(NULL, &rc, &err);
	CHECK_INT(rc, -1);
	CHECK(p == NULL);
	CHECK_STR(err.code, "ReapLock");
	CHECK(chmod(d, 0700) == 0);
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

static void t_setup(void)
{
	CHECK(mkdtemp(dir_) != NULL);
}

static void t_cleanup(void)
{
	char cmd[160];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir_);
	CHECK(system(cmd) == 0);
}

TESTS(T(t_setup), T(t_path_choice), T(t_lock_contended), T(t_cleanup))
