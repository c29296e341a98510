/* test_runcmd.c - runcmd: spawning a tool without a shell, capturing its
 * output, how it ended, and the PATH lookup. */
#include <signal.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "annex/runcmd.h"
#include "harness.h"

static void t_capture_output_and_status(void)
{
	char *argv[] = { "sh", "-c", "echo out; echo err >&2; exit 3", NULL };
	struct buf out = BUF_INIT;
	struct annex_err err;
	int status = 99;

	annex_err_clear(&err);
	CHECK_INT(runcmd_capture(argv, RUNCMD_STDERR_DISCARD, &out, &status, &err), 0);
	CHECK_STR(buf_cstr(&out), "out\n");
	CHECK_INT(status, 3);
	CHECK_INT(runcmd_check(status, &err, "Tool", "sh -c %s", "x"), -1);
	CHECK_STR(err.code, "Tool");
	CHECK_STR(err.msg, "sh -c x exited with status 3");
	buf_free(&out);
}

static void t_killed_by_signal(void)
{
	char *argv[] = { "sh", "-c", "kill -KILL $$", NULL };
	struct buf out = BUF_INIT;
	struct annex_err err;
	int status = 0;

	annex_err_clear(&err);
	CHECK_INT(runcmd_capture(argv, RUNCMD_STDERR_DISCARD, &out, &status, &err), 0);
	CHECK_INT(status, -9);
	CHECK_INT(runcmd_check(status, &err, "Tool", "%s", "sh"), -1);
	CHECK_STR(err.msg, "sh was killed by signal 9");
	CHECK_INT(runcmd_check(0, &err, "Tool", "%s", "sh"), 0);
	buf_free(&out);
}

static void t_cannot_start(void)
{
	char *argv[] = { "/nonexistent/annex-no-such-tool", NULL };
	struct buf out = BUF_INIT;
	struct annex_err err;
	int status = 0;

	annex_err_clear(&err);
	CHECK_INT(runcmd_capture(argv, RUNCMD_STDERR_DISCARD, &out, &status, &err), -1);
	CHECK_STR(err.code, "Exec");
	CHECK(strstr(err.msg, "cannot run /nonexistent/annex-no-such-tool: ") == err.msg);
	buf_free(&out);
}

/* With SIGCHLD ignored (inherited across exec from a parent that set it)
 * the child is reaped by the kernel and waitpid fails with ECHILD: there
 * is no exit status to report, so the run is an error, never a status
 * read from an unset variable. */
static void t_no_status_when_children_are_not_waitable(void)
{
	char *argv[] = { "sh", "-c", "exit 7", NULL };
	struct buf out = BUF_INIT;
	struct annex_err err;
	int status = 0, rc;

	annex_err_clear(&err);
	signal(SIGCHLD, SIG_IGN);
	rc = runcmd_capture(argv, RUNCMD_STDERR_DISCARD, &out, &status, &err);
	signal(SIGCHLD, SIG_DFL);
	CHECK_INT(rc, -1);
	CHECK_STR(err.code, "Exec");
	CHECK(strstr(err.msg, "waiting for sh: ") == err.msg);
	buf_free(&out);
}

/* Secret mode: the output lands in a secret buffer; stdin and stderr are
 * annex's own (a credential_process may talk to the user); output past the
 * limit is drained and dropped, so the program still ends. */
static void t_secret_mode(void)
{
	char *echo[] = { "sh", "-c", "printf 'AKIA/secret'; echo to-stderr >&2; read line; printf \" $line\"",
			 NULL };
	char *flood[] = { "sh", "-c", "head -c 200000 /dev/zero | tr '\\0' x; exit 4", NULL };
	struct buf out = BUF_INIT, plain = BUF_INIT, errfile = BUF_INIT;
	char errpath[] = "/tmp/test_runcmd_err.XXXXXX";
	struct annex_err err;
	int status = 99, overflow = 99, in[2], saved_in, saved_err, efd;

	annex_err_clear(&err);
	/* stdin: a pipe holding one line; stderr: a temp file */
	CHECK(pipe(in) == 0);
	CHECK(write(in[1], "from-stdin\n", 11) == 11);
	close(in[1]);
	efd = mkstemp(errpath);
	CHECK(efd >= 0);
	saved_in = dup(0);
	saved_err = dup(2);
	dup2(in[0], 0);
	dup2(efd, 2);
	CHECK_INT(runcmd_capture_secret(echo, 0, &out, &overflow, &status, &err), 0);
	dup2(saved_in, 0);
	dup2(saved_err, 2);
	close(saved_in);
	close(saved_err);
	close(in[0]);
	close(efd);
	CHECK_STR(buf_cstr(&out), "AKIA/secret from-stdin");
	CHECK_INT(out.secret, 1);
	CHECK_INT(status, 0);
	CHECK_INT(overflow, 0);
	CHECK_INT(buf_read_file(&errfile, errpath, 0), 0);
	CHECK_STR(buf_cstr(&errfile), "to-stderr\n");
	remove(errpath);
	buf_free(&out);

	/* the limit: nothing past it is kept, the program is not blocked */
	overflow = 0;
	CHECK_INT(runcmd_capture_secret(flood, 1000, &out, &overflow, &status, &err), 0);
	CHECK_INT(overflow, 1);
	CHECK(out.len <= 1000);
	CHECK_INT(status, 4);
	CHECK_INT(out.secret, 1);
	buf_free(&out);

	/* the ordinary mode stays ordinary */
	CHECK_INT(runcmd_capture(echo, RUNCMD_STDERR_DISCARD, &plain, &status, &err), 0);
	CHECK_INT(plain.secret, 0);
	CHECK_STR(buf_cstr(&plain), "AKIA/secret ");       /* stdin is /dev/null there */
	buf_free(&plain);
	buf_free(&errfile);
}

/* A time limit: a program still running past it is killed and said to
 * be; one that ends in time is untouched; one that closes its output but
 * keeps running is killed too. The waits block in poll, so the limit
 * holds to well under a second. */
static void t_timeout(void)
{
	char *hang[] = { "/bin/sh", "-c", "printf partial; exec sleep 30", NULL };
	char *quick[] = { "/bin/sh", "-c", "printf done", NULL };
	char *closed[] = { "/bin/sh", "-c", "exec >&-; exec sleep 30", NULL };
	struct annex_err err;
	struct buf out = BUF_INIT;
	struct timespec t0, t1;
	int status = 0, overflow = 0, late = -1;
	long ms;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	CHECK_INT(runcmd_capture_secret_timeout(hang, 0, 300, &out, &overflow, &late, &status, &err), 0);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	ms = (t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) / 1000000;
	CHECK_INT(late, 1);
	CHECK_INT(status, -9);
	CHECK_STR(buf_cstr(&out), "partial");
	CHECK(ms >= 250 && ms < 3000);
	buf_free(&out);

	CHECK_INT(runcmd_capture_secret_timeout(quick, 0, 5000, &out, &overflow, &late, &status, &err), 0);
	CHECK_INT(late, 0);
	CHECK_INT(status, 0);
	CHECK_STR(buf_cstr(&out), "done");
	buf_free(&out);

	clock_gettime(CLOCK_MONOTONIC, &t0);
	CHECK_INT(runcmd_capture_secret_timeout(closed, 0, 300, &out, &overflow, &late, &status, &err), 0);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	ms = (t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) / 1000000;
	CHECK_INT(late, 1);
	CHECK(ms < 3000);
	buf_free(&out);
}

static void t_which(void)
{
	char dir[] = "/tmp/test_runcmd.XXXXXX";
	char *tool, *sub, *path, *found, *want, *old = getenv("PATH") ? xstrdup(getenv("PATH")) : NULL;
	FILE *f;

	CHECK(mkdtemp(dir) != NULL);
	tool = xasprintf("%s/tool", dir);
	sub = xasprintf("%s/sub", dir);
	f = fopen(tool, "w");
	CHECK(f != NULL);
	if (f)
		fclose(f);
	CHECK(mkdir(sub, 0755) == 0);
	path = xasprintf("%s/sub/..:%s", dir, dir);
	setenv("PATH", path, 1);
	CHECK(runcmd_which("tool") == NULL);            /* not executable yet */
	chmod(tool, 0755);
	found = runcmd_which("tool");
	want = xasprintf("%s/sub/../tool", dir);
	CHECK_STR(found, want);
	free(found);
	free(want);
	CHECK(runcmd_which("sub") == NULL);             /* a directory is not a tool */
	CHECK(runcmd_exists("tool") == 1);
	CHECK(runcmd_exists(tool) == 1);
	CHECK(runcmd_exists(sub) == 0);
	CHECK(runcmd_exists("") == 0);
	if (old)
		setenv("PATH", old, 1);
	else
		unsetenv("PATH");
	remove(tool);
	rmdir(sub);
	rmdir(dir);
	free(tool);
	free(sub);
	free(path);
	free(old);
}

TESTS(T(t_capture_output_and_status), T(t_killed_by_signal), T(t_cannot_start),
      T(t_no_status_when_children_are_not_waitable), T(t_secret_mode), T(t_timeout), T(t_which))
