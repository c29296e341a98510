/* check_config.c - runs HTCondor config oracle cases (the layout and the
 * runner contract of ../shared/condor-config-cases/README.md) against
 * annex's config reader.
 *
 *   check_config DIR      every sub-directory of DIR is one case
 *
 * Each name of a case's query.txt is looked up in a forked child that
 * starts from an empty environment (PATH=/usr/bin:/bin
 * HOME=/home/annex-tester CONDOR_CONFIG=<case>/condor_config
 * ANNEX_TEST_VAR=hello, plus the case's env file), runs in /, and, when the
 * case has a uid file, drops to that UID:GID (no supplementary groups) on a
 * world-readable copy of the case under /tmp; the child calls
 * cmd_config_val in-process. Compared per line of expected.tsv: the exit
 * status and stdout exactly, and from stderr only the "Not defined: NAME"
 * lines. Prints "PASS name" or "FAIL name: why" per case and ends with
 * "N passed, M failed" (N and M count cases). */
#include "annex/buf.h"
#include "annex/cli.h"
#include "annex/cmd.h"
#include "annex/err.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define QUERY_TIMEOUT_MS 20000

struct lines {
	char **v;
	size_t n;
};

static void lines_free(struct lines *l)
{
	for (size_t i = 0; i < l->n; i++)
		free(l->v[i]);
	free(l->v);
	l->v = NULL;
	l->n = 0;
}

/* Reads a file into *out; returns 0, or -1 with errno set. */
static int read_file(const char *path, struct buf *out)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	char chunk[8192];
	ssize_t n;

	if (fd < 0)
		return -1;
	buf_puts(out, "");
	while ((n = read(fd, chunk, sizeof chunk)) > 0)
		buf_append(out, chunk, (size_t)n);
	close(fd);
	return n < 0 ? -1 : 0;
}

/* Splits text into lines (without the newline); a final empty line is not
 * counted. With skip_blank, blank lines are dropped. */
static void split_lines(const char *text, int skip_blank, struct lines *l)
{
	const char *p = text;
	l->v = NULL;
	l->n = 0;
	while (*p) {
		const char *e = strchr(p, '\n');
		size_t len = e ? (size_t)(e - p) : strlen(p);
		if (len && p[len - 1] == '\r')
			len--;
		if (!(skip_blank && strspn(p, " \t\r") >= len)) {
			l->v = xrealloc(l->v, (l->n + 1) * sizeof *l->v);
			l->v[l->n++] = xstrndup(p, len);
		}
		if (!e)
			break;
		p = e + 1;
	}
}

/* Output as expected.tsv writes it: trailing newlines removed, every
 * other newline written as the two characters \n. */
static char *flatten(const char *s, size_t len)
{
	struct buf b = BUF_INIT;
	while (len && s[len - 1] == '\n')
		len--;
	buf_puts(&b, "");
	for (size_t i = 0; i < len; i++) {
		if (s[i] == '\n')
			buf_puts(&b, "\\n");
		else
			buf_putc(&b, s[i]);
	}
	return buf_steal(&b);
}

/* The "Not defined: NAME" lines of a stderr written with \n separators. */
static char *not_defined_lines(const char *flat)
{
	struct buf b = BUF_INIT;
	const char *p = flat;
	buf_puts(&b, "");
	while (*p) {
		const char *e = strstr(p, "\\n");
		size_t len = e ? (size_t)(e - p) : strlen(p);
		if (len >= 13 && strncmp(p, "Not defined: ", 13) == 0) {
			if (b.len)
				buf_puts(&b, "\\n");
			buf_append(&b, p, len);
		}
		if (!e)
			break;
		p = e + 2;
	}
	return buf_steal(&b);
}

/* ---- copying a case where a dropped user can read it ---- */

static int copy_tree(const char *src, const char *dst)
{
	DIR *d = opendir(src);
	struct dirent *de;
	int rc = 0;

	if (!d)
		return -1;
	while (rc == 0 && (de = readdir(d)) != NULL) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		char *s = xasprintf("%s/%s", src, de->d_name);
		char *t = xasprintf("%s/%s", dst, de->d_name);
		struct stat st;
		if (lstat(s, &st) < 0) {
			rc = -1;
		} else if (S_ISDIR(st.st_mode)) {
			if (mkdir(t, 0755) < 0 || chmod(t, 0755) < 0 || copy_tree(s, t) < 0)
				rc = -1;
		} else if (S_ISREG(st.st_mode)) {
			struct buf b = BUF_INIT;
			mode_t mode = (st.st_mode & 0111) ? 0755 : 0644;
			int fd;
			if (read_file(s, &b) < 0 || (fd = open(t, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode)) < 0) {
				rc = -1;
			} else {
				if (write(fd, b.data, b.len) != (ssize_t)b.len || fchmod(fd, mode) < 0)
					rc = -1;
				close(fd);
			}
			buf_free(&b);
		}
		free(s);
		free(t);
	}
	closedir(d);
	return rc;
}

static void remove_tree(const char *path)
{
	DIR *d = opendir(path);
	struct dirent *de;

	if (d) {
		while ((de = readdir(d)) != NULL) {
			if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
				continue;
			char *p = xasprintf("%s/%s", path, de->d_name);
			struct stat st;
			if (lstat(p, &st) == 0 && S_ISDIR(st.st_mode))
				remove_tree(p);
			else
				unlink(p);
			free(p);
		}
		closedir(d);
	}
	rmdir(path);
}

/* ---- one query in a child ---- */

struct query_env {
	const char *case_path;
	struct lines env;   /* NAME=value lines of the case's env file */
	int drop;
	uid_t uid;
	gid_t gid;
};

static void child(const struct query_env *qe, const char *name, int fd_status)
{
	char *conf = xasprintf("%s/condor_config", qe->case_path);
	char *names[1] = { (char *)name };
	struct annex_opts o;
	struct annex_err err;
	int exit_status = 1;

	clearenv();
	setenv("PATH", "/usr/bin:/bin", 1);
	setenv("HOME", "/home/annex-tester", 1);
	setenv("CONDOR_CONFIG", conf, 1);
	setenv("ANNEX_TEST_VAR", "hello", 1);
	for (size_t i = 0; i < qe->env.n; i++) {
		char *eq = strchr(qe->env.v[i], '=');
		if (!eq)
			continue;
		char *n = xstrndup(qe->env.v[i], (size_t)(eq - qe->env.v[i]));
		setenv(n, eq + 1, 1);
		free(n);
	}
	if (chdir("/") < 0) {
		dprintf(fd_status, "chdir /: %s", strerror(errno));
		_exit(126);
	}
	if (qe->drop) {
		if (setgroups(0, NULL) < 0 || setresgid(qe->gid, qe->gid, qe->gid) < 0 ||
		    setresuid(qe->uid, qe->uid, qe->uid) < 0) {
			dprintf(fd_status, "cannot become %u:%u: %s", (unsigned)qe->uid, (unsigned)qe->gid,
				strerror(errno));
			_exit(126);
		}
	}
	close(fd_status);
	memset(&o, 0, sizeof o);
	o.command = CMD_CONFIG_VAL;
	o.config_names = names;
	o.n_config_names = 1;
	annex_err_clear(&err);
	if (cmd_config_val(&o, &exit_status, &err) < 0) {
		fprintf(stderr, "annex: %s\n", err.msg);
		exit_status = 1;
	}
	fflush(stdout);
	fflush(stderr);
	_exit(exit_status);
}

/* Runs one query; fills status/out/errout, or returns -1 with why. */
static int run_query(const struct query_env *qe, const char *name, int *status, struct buf *out,
		     struct buf *errout, char *why, size_t why_len)
{
	int po[2], pe[2], ps[2];
	struct buf sbuf = BUF_INIT;
	pid_t pid;

	if (pipe2(po, O_CLOEXEC) < 0 || pipe2(pe, O_CLOEXEC) < 0 || pipe2(ps, O_CLOEXEC) < 0) {
		snprintf(why, why_len, "pipe: %s", strerror(errno));
		return -1;
	}
	fflush(stdout);
	fflush(stderr);
	pid = fork();
	if (pid < 0) {
		snprintf(why, why_len, "fork: %s", strerror(errno));
		return -1;
	}
	if (pid == 0) {
		dup2(po[1], 1);
		dup2(pe[1], 2);
		close(po[0]);
		close(pe[0]);
		close(ps[0]);
		child(qe, name, ps[1]);
	}
	close(po[1]);
	close(pe[1]);
	close(ps[1]);

	struct pollfd fds[3] = { { po[0], POLLIN, 0 }, { pe[0], POLLIN, 0 }, { ps[0], POLLIN, 0 } };
	struct buf *dst[3] = { out, errout, &sbuf };
	int open_fds = 3, timed_out = 0;
	struct timespec t0, t1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	buf_puts(out, "");
	buf_puts(errout, "");
	buf_puts(&sbuf, "");
	while (open_fds > 0) {
		clock_gettime(CLOCK_MONOTONIC, &t1);
		long elapsed = (t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) / 1000000;
		if (elapsed >= QUERY_TIMEOUT_MS) {
			timed_out = 1;
			kill(pid, SIGKILL);
			break;
		}
		int r = poll(fds, 3, (int)(QUERY_TIMEOUT_MS - elapsed));
		if (r < 0 && errno == EINTR)
			continue;
		for (int i = 0; i < 3; i++) {
			if (fds[i].fd < 0 || !(fds[i].revents & (POLLIN | POLLHUP | POLLERR)))
				continue;
			char chunk[4096];
			ssize_t n = read(fds[i].fd, chunk, sizeof chunk);
			if (n > 0) {
				buf_append(dst[i], chunk, (size_t)n);
			} else if (n == 0 || errno != EINTR) {
				close(fds[i].fd);
				fds[i].fd = -1;
				open_fds--;
			}
		}
	}
	for (int i = 0; i < 3; i++)
		if (fds[i].fd >= 0)
			close(fds[i].fd);
	int ws = 0;
	while (waitpid(pid, &ws, 0) < 0 && errno == EINTR)
		;
	if (timed_out) {
		snprintf(why, why_len, "%s: no answer within %d s", name, QUERY_TIMEOUT_MS / 1000);
		buf_free(&sbuf);
		return -1;
	}
	if (sbuf.len) {
		snprintf(why, why_len, "%s: %s", name, sbuf.data);
		buf_free(&sbuf);
		return -1;
	}
	buf_free(&sbuf);
	if (WIFSIGNALED(ws)) {
		snprintf(why, why_len, "%s: the reader died of signal %d", name, WTERMSIG(ws));
		return -1;
	}
	*status = WEXITSTATUS(ws);
	return 0;
}

/* ---- one case ---- */

static int run_case(const char *dir, const char *case_name, char *why, size_t why_len)
{
	char *path = xasprintf("%s/%s", dir, case_name);
	char real[PATH_MAX];
	char *p, *copy = NULL;
	struct buf text = BUF_INIT;
	struct lines queries = { 0 }, expected = { 0 };
	struct query_env qe;
	int ok = 0;

	memset(&qe, 0, sizeof qe);
	if (!realpath(path, real)) {
		snprintf(why, why_len, "%s: %s", path, strerror(errno));
		goto out;
	}
	p = xasprintf("%s/query.txt", real);
	if (read_file(p, &text) < 0) {
		snprintf(why, why_len, "cannot read %s: %s", p, strerror(errno));
		free(p);
		goto out;
	}
	free(p);
	split_lines(text.data, 1, &queries);
	buf_free(&text);
	p = xasprintf("%s/expected.tsv", real);
	if (read_file(p, &text) < 0) {
		snprintf(why, why_len, "cannot read %s: %s", p, strerror(errno));
		free(p);
		goto out;
	}
	free(p);
	split_lines(text.data, 1, &expected);
	buf_free(&text);
	if (queries.n != expected.n) {
		snprintf(why, why_len, "query.txt has %zu names but expected.tsv %zu lines", queries.n, expected.n);
		goto out;
	}
	p = xasprintf("%s/env", real);
	if (read_file(p, &text) == 0)
		split_lines(text.data, 1, &qe.env);
	buf_free(&text);
	free(p);
	p = xasprintf("%s/uid", real);
	if (read_file(p, &text) == 0) {
		unsigned u, g;
		if (sscanf(text.data, "%u:%u", &u, &g) != 2) {
			snprintf(why, why_len, "uid file is not UID:GID: %s", text.data);
			free(p);
			goto out;
		}
		qe.drop = 1;
		qe.uid = (uid_t)u;
		qe.gid = (gid_t)g;
	}
	buf_free(&text);
	free(p);

	qe.case_path = real;
	if (qe.drop) {
		char tmpl[] = "/tmp/check_config.XXXXXX";
		if (!mkdtemp(tmpl)) {
			snprintf(why, why_len, "mkdtemp: %s", strerror(errno));
			goto out;
		}
		copy = xasprintf("%s/%s", tmpl, case_name);
		if (chmod(tmpl, 0755) < 0 || mkdir(copy, 0755) < 0 || chmod(copy, 0755) < 0 ||
		    copy_tree(real, copy) < 0) {
			snprintf(why, why_len, "cannot copy the case to %s: %s", copy, strerror(errno));
			goto out;
		}
		qe.case_path = copy;
	}

	for (size_t i = 0; i < queries.n; i++) {
		/* expected: NAME <TAB> status <TAB> stdout <TAB> stderr */
		char *fields[4] = { "", "", "", "" };
		char *line = xstrdup(expected.v[i]), *s = line;
		for (int f = 0; f < 4 && s; f++) {
			fields[f] = s;
			char *tab = f < 3 ? strchr(s, '\t') : NULL;
			if (tab)
				*tab = 0;
			s = tab ? tab + 1 : NULL;
		}
		int status = -1;
		struct buf out = BUF_INIT, errout = BUF_INIT;
		int rc = run_query(&qe, queries.v[i], &status, &out, &errout, why, why_len);
		if (rc == 0) {
			char *got_out = flatten(out.data, out.len);
			char *got_err = flatten(errout.data, errout.len);
			char *got_nd = not_defined_lines(got_err);
			char *want_nd = not_defined_lines(fields[3]);
			if (strcmp(fields[0], queries.v[i]) != 0)
				snprintf(why, why_len, "line %zu of expected.tsv is for %s, query.txt asks %s", i + 1,
					 fields[0], queries.v[i]);
			else if (status != atoi(fields[1]))
				snprintf(why, why_len, "%s: exit status %d, want %s (stdout '%s', stderr '%s')",
					 queries.v[i], status, fields[1], got_out, got_err);
			else if (strcmp(got_out, fields[2]) != 0)
				snprintf(why, why_len, "%s: stdout '%s', want '%s' (stderr '%s')", queries.v[i],
					 got_out, fields[2], got_err);
			else if (strcmp(got_nd, want_nd) != 0)
				snprintf(why, why_len, "%s: stderr 'Not defined' lines '%s', want '%s'", queries.v[i],
					 got_nd, want_nd);
			else
				rc = 1;
			free(got_out);
			free(got_err);
			free(got_nd);
			free(want_nd);
		}
		buf_free(&out);
		buf_free(&errout);
		free(line);
		if (rc != 1)
			goto out;
	}
	ok = 1;
out:
	if (copy) {
		char *slash = strrchr(copy, '/');
		*slash = 0;
		remove_tree(copy);
		free(copy);
	}
	lines_free(&queries);
	lines_free(&expected);
	lines_free(&qe.env);
	buf_free(&text);
	free(path);
	return ok;
}

static int cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int main(int argc, char **argv)
{
	DIR *d;
	struct dirent *de;
	char **names = NULL;
	size_t n = 0;
	int pass = 0, fail = 0;

	if (argc != 2) {
		fprintf(stderr, "usage: %s CASES_DIR\n", argv[0]);
		return 2;
	}
	d = opendir(argv[1]);
	if (!d) {
		fprintf(stderr, "check_config: %s: %s\n", argv[1], strerror(errno));
		printf("0 passed, 1 failed\n");
		return 1;
	}
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		char *p = xasprintf("%s/%s", argv[1], de->d_name);
		struct stat st;
		if (stat(p, &st) == 0 && S_ISDIR(st.st_mode)) {
			names = xrealloc(names, (n + 1) * sizeof *names);
			names[n++] = xstrdup(de->d_name);
		}
		free(p);
	}
	closedir(d);
	if (n)
		qsort(names, n, sizeof *names, cmp_names);
	for (size_t i = 0; i < n; i++) {
		char why[4096] = "";
		if (run_case(argv[1], names[i], why, sizeof why)) {
			printf("PASS %s\n", names[i]);
			pass++;
		} else {
			printf("FAIL %s: %s\n", names[i], why);
			fail++;
		}
		fflush(stdout);
		free(names[i]);
	}
	free(names);
	if (n == 0) {
		/* an empty or mistyped case folder proves nothing: it fails */
		fprintf(stderr, "check_config: no case folders in %s\n", argv[1]);
		fail++;
	}
	printf("%d passed, %d failed\n", pass, fail);
	return fail ? 1 : 0;
}
