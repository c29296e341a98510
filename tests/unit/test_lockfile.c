/* test_lockfile.c - the per-user lock files under -reap's lock and the
 * per-annex lock: the escaped file names, the private directory, the
 * holder's pid named to a waiter, and a wait that ends when the holder
 * lets go. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "annex/annexlock.h"
#include "annex/lockfile.h"
#include "harness.h"

static char dir_[] = "/tmp/annex-test-lockfile-XXXXXX";
static const struct lockfile_kind kind_ = { "AnnexLock", "the per-annex lock", "set XDG_RUNTIME_DIR", 1 };
static const struct lockfile_kind quiet_ = { "ReapLock", "-reap's lock", NULL, 0 };

static void t_escape(void)
{
	char out[64];

	CHECK_INT(lockfile_escape("my-annex9", out, sizeof(out)), 0);
	CHECK_STR(out, "my-annex9");
	CHECK_INT(lockfile_escape("a.b", out, sizeof(out)), 0);
	CHECK_STR(out, "a%2Eb");
	CHECK_INT(lockfile_escape("../x/%", out, sizeof(out)), 0);
	CHECK_STR(out, "%2E%2E%2Fx%2F%25");
	CHECK_INT(lockfile_escape("\xff ", out, sizeof(out)), 0);
	CHECK_STR(out, "%FF%20");
	CHECK_INT(lockfile_escape("", out, sizeof(out)), 0);
	CHECK_STR(out, "");
	/* too long: refused, never cut (two names must not share a file) */
	CHECK_INT(lockfile_escape("abcd", out, 4), -1);
	CHECK_INT(lockfile_escape("abc", out, 4), 0);
	CHECK_INT(lockfile_escape("a.", out, 4), -1);
}

/* Region and name both count, each escaped: no two annexes share a file,
 * and no name reaches outside the directory. */
static void t_annex_file_name(void)
{
	char *a = annexlock_file_name("us-east-1", "web"), *b = annexlock_file_name("us-west-2", "web");
	char *c = annexlock_file_name("us-east-1", "web.1"), *d = annexlock_file_name("us-east-1", "../../etc");
	char long_name[400];

	CHECK_STR(a, "name.us-east-1.web.lock");
	CHECK_STR(b, "name.us-west-2.web.lock");
	CHECK_STR(c, "name.us-east-1.web%2E1.lock");
	CHECK(d && strchr(d, '/') == NULL);
	CHECK(strcmp(a, b) != 0 && strcmp(a, c) != 0);
	free(a);
	free(b);
	free(c);
	free(d);
	memset(long_name, '.', sizeof(long_name) - 1);
	long_name[sizeof(long_name) - 1] = 0;
	CHECK(annexlock_file_name("us-east-1", long_name) == NULL);
}

/* The private directory, with the kind's words: a private
 * $XDG_RUNTIME_DIR, else ~/.condor/annex (made 0700); never a shared
 * directory such as /tmp. */
static void t_path(void)
{
	struct annex_err err;
	struct stat st;
	char home[160], xdg[160], want[256], d[200];
	char *p = NULL;

	snprintf(home, sizeof(home), "%s/home", dir_);
	snprintf(xdg, sizeof(xdg), "%s/run", dir_);
	CHECK(mkdir(home, 0755) == 0 && mkdir(xdg, 0700) == 0);
	setenv("HOME", home, 1);
	setenv("XDG_RUNTIME_DIR", xdg, 1);
	CHECK_INT(lockfile_path(&kind_, "name.r.a.lock", &p, &err), 0);
	snprintf(want, sizeof(want), "%s/annex-name.r.a.lock", xdg);
	CHECK_STR(p, want);
	free(p);
	snprintf(want, sizeof(want), "%s/.condor/annex/name.r.a.lock", home);
	setenv("XDG_RUNTIME_DIR", "relative", 1);
	CHECK_INT(lockfile_path(&kind_, "name.r.a.lock", &p, &err), 0);
	CHECK_STR(p, want);
	free(p);
	unsetenv("XDG_RUNTIME_DIR");
	CHECK_INT(lockfile_path(&kind_, "name.r.a.lock", &p, &err), 0);
	CHECK_STR(p, want);
	CHECK(p && strncmp(p, "/tmp/annex-name", 15) != 0);
	free(p);
	snprintf(d, sizeof(d), "%s/.condor/annex", home);
	CHECK(lstat(d, &st) == 0 && S_ISDIR(st.st_mode) && (st.st_mode & 0777) == 0700);

	/* a shared runtime directory (like /tmp) is passed over for the home */
	CHECK(chmod(xdg, 01777) == 0);
	setenv("XDG_RUNTIME_DIR", xdg, 1);
	CHECK_INT(lockfile_path(&kind_, "name.r.a.lock", &p, &err), 0);
	CHECK_STR(p, want);
	free(p);
	setenv("XDG_RUNTIME_DIR", "/tmp", 1);
	CHECK_INT(lockfile_path(&kind_, "name.r.a.lock", &p, &err), 0);
	CHECK_STR(p, want);
	free(p);
	unsetenv("XDG_RUNTIME_DIR");

	CHECK(chmod(d, 0770) == 0);
	annex_err_clear(&err);
	CHECK_INT(lockfile_path(&kind_, "x", &p, &err), -1);
	CHECK_STR(err.code, "AnnexLock");
	CHECK(strstr(err.msg, "refusing to keep the per-annex lock there (set XDG_RUNTIME_DIR)") != NULL);
	CHECK(chmod(d, 0700) == 0);
}

/* A lock directory that is not the user's alone is refused, by name. */
static void t_unsafe_dir_refused(void)
{
	struct annex_err err;
	char home[160], d[200];
	char *p = NULL;

	snprintf(home, sizeof(home), "%s/home2", dir_);
	snprintf(d, sizeof(d), "%s/.condor", home);
	CHECK(mkdir(home, 0755) == 0 && mkdir(d, 0700) == 0);
	setenv("HOME", home, 1);
	unsetenv("XDG_RUNTIME_DIR");
	snprintf(d, sizeof(d), "%s/.condor/annex", home);
	CHECK(mkdir(d, 0700) == 0 && chmod(d, 0777) == 0);
	annex_err_clear(&err);
	CHECK_INT(lockfile_path(&kind_, "x", &p, &err), -1);
	CHECK(p == NULL);
	CHECK_STR(err.code, "AnnexLock");
	CHECK(strstr(err.msg, d) != NULL && strstr(err.msg, "writable by other users") != NULL);
	CHECK(chmod(d, 0700) == 0);
	if (geteuid() == 0) {
		/* another user's directory (root can make one to test with) */
		CHECK(chown(d, 65534, 65534) == 0);
		CHECK_INT(lockfile_path(&kind_, "x", &p, &err), -1);
		CHECK(strstr(err.msg, "belongs to uid 65534") != NULL);
		free(p);
		p = NULL;
		CHECK(chown(d, 0, 0) == 0);
	}
	CHECK_INT(lockfile_path(&kind_, "x", &p, &err), 0);
	free(p);
	p = NULL;
	/* a symlink in its place is not a directory of the user */
	CHECK(rmdir(d) == 0 && symlink("/tmp", d) == 0);
	CHECK_INT(lockfile_path(&kind_, "x", &p, &err), -1);
	CHECK(strstr(err.msg, "is not a directory") != NULL);
	free(p);
	unlink(d);
}

/* A waiter that gives up learns the holder's pid; the file is 0600 and
 * holds the pid of whoever has the lock. */
static void t_holder_named(void)
{
	struct annex_err err;
	struct stat st;
	char path[128], b[32];
	int up[2], down[2], fd, status = 0;
	pid_t pid, holder = -1;
	char ok = 'n';

	snprintf(path, sizeof(path), "%s/held.lock", dir_);
	CHECK(pipe(up) == 0 && pipe(down) == 0);
	pid = fork();
	if (pid == 0) {
		int h = lockfile_acquire(&kind_, path, 0, NULL, &err);
		close(down[1]);
		ok = h >= 0 ? 'y' : 'n';
		if (write(up[1], &ok, 1) != 1)
			_exit(2);
		if (read(down[0], &ok, 1) != 1)   /* until the parent is done */
			_exit(3);
		_exit(0);
	}
	CHECK(pid > 0 && read(up[0], &ok, 1) == 1 && ok == 'y');
	annex_err_clear(&err);
	fd = lockfile_acquire(&kind_, path, 300, &holder, &err);
	CHECK_INT(fd, -2);
	CHECK_INT((int)holder, (int)pid);
	CHECK(stat(path, &st) == 0 && (st.st_mode & 0777) == 0600);
	close(down[1]);   /* the child's read ends */
	waitpid(pid, &status, 0);
	/* free now: ours, with our pid in the file */
	fd = lockfile_acquire(&kind_, path, 0, &holder, &err);
	CHECK(fd >= 0);
	memset(b, 0, sizeof(b));
	CHECK(pread(fd, b, sizeof(b) - 1, 0) > 0);
	CHECK_INT(atoi(b), (int)getpid());
	lockfile_release(fd);
	close(up[0]);
	close(up[1]);
	close(down[0]);
}

/* A lock let go during the wait is taken then, not at the deadline: the
 * wait blocks in flock rather than polling. */
static void wait_ends_on_release(const struct lockfile_kind *k)
{
	struct annex_err err;
	struct timespec t0, t1;
	char path[128];
	int pipefd[2], fd, status = 0;
	pid_t pid;
	char ok;

	snprintf(path, sizeof(path), "%s/wait.lock", dir_);
	CHECK(pipe(pipefd) == 0);
	pid = fork();
	if (pid == 0) {
		struct timespec hold = { 0, 400000000L };
		int h = lockfile_acquire(k, path, 0, NULL, &err);
		ok = h >= 0 ? 'y' : 'n';
		if (write(pipefd[1], &ok, 1) != 1)
			_exit(2);
		nanosleep(&hold, NULL);
		_exit(0);      /* the lock goes with the process */
	}
	CHECK(pid > 0 && read(pipefd[0], &ok, 1) == 1 && ok == 'y');
	clock_gettime(CLOCK_MONOTONIC, &t0);
	fd = lockfile_acquire(k, path, 10000, NULL, &err);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	CHECK(fd >= 0);
	CHECK((t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) / 1000000 < 3000);
	lockfile_release(fd);
	waitpid(pid, &status, 0);
	close(pipefd[0]);
	close(pipefd[1]);
}

static void t_wait_ends_on_release(void)
{
	wait_ends_on_release(&kind_);
	wait_ends_on_release(&quiet_);
}

/* A kind without the pid note leaves the file's bytes alone (a lock file
 * the user named may hold anything). */
static void t_no_note_keeps_bytes(void)
{
	struct annex_err err;
	char path[128], b[32];
	int fd, h;
	pid_t holder = -1;
	FILE *f;

	snprintf(path, sizeof(path), "%s/mine.lock", dir_);
	f = fopen(path, "w");
	CHECK(f && fputs("keep me\n", f) >= 0);
	if (f)
		fclose(f);
	fd = lockfile_acquire(&quiet_, path, 0, NULL, &err);
	CHECK(fd >= 0);
	h = lockfile_acquire(&quiet_, path, 0, &holder, &err);
	CHECK_INT(h, -2);
	CHECK_INT((int)holder, 0);
	lockfile_release(fd);
	memset(b, 0, sizeof(b));
	f = fopen(path, "r");
	CHECK(f && fgets(b, sizeof(b), f));
	if (f)
		fclose(f);
	CHECK_STR(b, "keep me\n");
}

/* Refusals carry the kind's code; a symlink is not followed (its target
 * is not created). */
static void t_refusals(void)
{
	struct annex_err err;
	char path[128], target[128];

	snprintf(path, sizeof(path), "%s/link.lock", dir_);
	snprintf(target, sizeof(target), "%s/target", dir_);
	CHECK(symlink(target, path) == 0);
	CHECK_INT(lockfile_acquire(&kind_, path, 0, NULL, &err), -1);
	CHECK_STR(err.code, "AnnexLock");
	CHECK_INT(lockfile_acquire(&quiet_, path, 0, NULL, &err), -1);
	CHECK_STR(err.code, "ReapLock");
	CHECK(access(target, F_OK) != 0);
	CHECK_INT(lockfile_acquire(&kind_, dir_, 0, NULL, &err), -1);
	CHECK_STR(err.code, "AnnexLock");
	CHECK_INT(lockfile_acquire(&quiet_, dir_, 0, NULL, &err), -1);
	CHECK_STR(err.code, "ReapLock");
	unlink(path);
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

TESTS(T(t_setup), T(t_escape), T(t_annex_file_name), T(t_path), T(t_unsafe_dir_refused), T(t_holder_named), T(t_wait_ends_on_release),
      T(t_no_note_keeps_bytes), T(t_refusals), T(t_cleanup))
