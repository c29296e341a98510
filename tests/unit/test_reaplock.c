/* test_reaplock.c - -reap's lock file: where it lives, its mode, and that
 * a second holder is refused after the wait. flock locks belong to an
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

/* The choice: configured, else a private $XDG_RUNTIME_DIR, else
 * ~/.condor/annex (made 0700); never a shared directory such as /tmp. */
static void t_path_choice(void)
{
	struct annex_err err;
	struct stat st;
	char *p, want[256], home[160], xdg[160];
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

	snprintf(want, sizeof(want), "%s/.condor/annex/reap.lock", home);
	setenv("XDG_RUNTIME_DIR", "relative", 1);
	p = path_of(NULL, &rc, &err);
	CHECK_STR(p, want);
	free(p);
	unsetenv("XDG_RUNTIME_DIR");
	p = path_of(NULL, &rc, &err);
	CHECK_INT(rc, 0);
	CHECK_STR(p, want);
	CHECK(strncmp(p, "/tmp/annex-reap", 15) != 0);
	free(p);
	snprintf(want, sizeof(want), "%s/.condor/annex", home);
	CHECK(lstat(want, &st) == 0 && S_ISDIR(st.st_mode) && (st.st_mode & 0777) == 0700);

	/* a shared runtime directory (like /tmp) is passed over for the home */
	CHECK(chmod(xdg, 01777) == 0);
	setenv("XDG_RUNTIME_DIR", xdg, 1);
	p = path_of(NULL, &rc, &err);
	CHECK(p && strstr(p, "/.condor/annex/reap.lock") != NULL);
	free(p);
	setenv("XDG_RUNTIME_DIR", "/tmp", 1);
	p = path_of(NULL, &rc, &err);
	CHECK(p && strstr(p, "/.condor/annex/reap.lock") != NULL);
	free(p);
	unsetenv("XDG_RUNTIME_DIR");
}

/* A lock directory that is not the user's alone is refused, by name. */
static void t_unsafe_dir_refused(void)
{
	struct annex_err err;
	char home[160], d[200];
	char *p;
	int rc;

	snprintf(home, sizeof(home), "%s/home2", dir_);
	snprintf(d, sizeof(d), "%s/.condor", home);
	CHECK(mkdir(home, 0755) == 0 && mkdir(d, 0700) == 0);
	setenv("HOME", home, 1);
	unsetenv("XDG_RUNTIME_DIR");
	snprintf(d, sizeof(d), "%s/.condor/annex", home);
	CHECK(mkdir(d, 0700) == 0 && chmod(d, 0777) == 0);
	p = path_of(NULL, &rc, &err);
	CHECK_INT(rc, -1);
	CHECK(p == NULL);
	CHECK_STR(err.code, "ReapLock");
	CHECK(strstr(err.msg, d) != NULL && strstr(err.msg, "writable by other users") != NULL);
	CHECK(chmod(d, 0700) == 0);
	if (geteuid() == 0) {
		/* another user's directory (root can make one to test with) */
		CHECK(chown(d, 65534, 65534) == 0);
		p = path_of(NULL, &rc, &err);
		CHECK_INT(rc, -1);
		CHECK(strstr(err.msg, "belongs to uid 65534") != NULL);
		free(p);
		CHECK(chown(d, 0, 0) == 0);
	}
	p = path_of(NULL, &rc, &err);
	CHECK_INT(rc, 0);
	free(p);
	/* a symlink in its place is not a directory of the user */
	CHECK(rmdir(d) == 0 && symlink("/tmp", d) == 0);
	p = path_of(NULL, &rc, &err);
	CHECK_INT(rc, -1);
	CHECK(strstr(err.msg, "is not a directory") != NULL);
	free(p);
	unlink(d);
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

/* A lock given up during the wait is taken then, not at the deadline: the
 * wait blocks in flock rather than polling. */
static void t_lock_released_during_wait(void)
{
	struct annex_err err;
	struct timespec t0, t1;
	char path[128];
	int pipefd[2], fd, status = 0;
	pid_t pid;
	char ok;

	snprintf(path, sizeof(path), "%s/reap.lock", dir_);
	CHECK(pipe(pipefd) == 0);
	pid = fork();
	if (pid == 0) {
		struct timespec hold = { 0, 300000000L };
		int h = reaplock_acquire(path, 0, &err);
		ok = h >= 0 ? 'y' : 'n';
		if (write(pipefd[1], &ok, 1) != 1)
			_exit(2);
		nanosleep(&hold, NULL);
		_exit(0);      /* the lock goes with the process */
	}
	CHECK(pid > 0 && read(pipefd[0], &ok, 1) == 1 && ok == 'y');
	clock_gettime(CLOCK_MONOTONIC, &t0);
	fd = reaplock_acquire(path, 5000, &err);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	CHECK(fd >= 0);
	CHECK((t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) / 1000000 < 2000);
	reaplock_release(fd);
	waitpid(pid, &status, 0);
	close(pipefd[0]);
	close(pipefd[1]);
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
	char cmd[160];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir_);
	CHECK(system(cmd) == 0);
}

TESTS(T(t_setup), T(t_path_choice), T(t_unsafe_dir_refused), T(t_lock_contended), T(t_lock_released_during_wait), T(t_symlink_refused), T(t_directory_refused),
      T(t_cleanup))
