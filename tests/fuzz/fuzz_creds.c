/* fuzz_creds.c - libFuzzer target for the AWS CLI's shared files as annex
 * reads them (src/creds_profile.c: ~/.aws/credentials and ~/.aws/config,
 * the profile's keys or its credential_process, whose command line is
 * split as shlex does and whose output is read as JSON). Input, in parts
 * separated by NUL bytes: the credentials file, the config file, what the
 * credential_process prints, and the profile name (AWS_PROFILE; absent or
 * empty: "default"). The files reach the reader through /proc/self/fd of
 * memory files; no program is run: runcmd is replaced here by a stub that
 * answers the third part (and exit status 0 or 1 by the input's length).
 * Any crash, leak or undefined behaviour is a bug, and so are credentials
 * without both keys.
 *
 * fuzz-sources: src/creds_profile.c src/creds_util.c src/timefmt.c src/buf.c src/err.c
 * fuzz-max-len: 4096
 */
#include "annex/creds.h"
#include "annex/creds_internal.h"
#include "annex/runcmd.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *stub_output;
static size_t stub_output_len;
static int stub_status;

int runcmd_capture_secret(char *const argv[], size_t max_len, struct buf *out, int *overflow, int *status,
			  struct annex_err *err)
{
	(void)err;
	if (!argv || !argv[0] || !*argv)
		abort();     /* creds_split_command never yields an empty vector */
	*overflow = max_len && stub_output_len > max_len;
	buf_init_secret(out);
	buf_append(out, stub_output, *overflow ? max_len : stub_output_len);
	*status = stub_status;
	return 0;
}

/* credential_process runs through the time-limited form: same stub, never late */
int runcmd_capture_secret_timeout(char *const argv[], size_t max_len, long timeout_ms, struct buf *out,
				  int *overflow, int *timed_out, int *status, struct annex_err *err)
{
	(void)timeout_ms;
	*timed_out = 0;
	return runcmd_capture_secret(argv, max_len, out, overflow, status, err);
}

int runcmd_check(int status, struct annex_err *err, const char *code, const char *fmt, ...)
{
	char what[256];
	va_list ap;

	if (status == 0)
		return 0;
	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	return annex_err_set(err, code, "%s exited with status %d", what, status);
}

/* A memory file holding n bytes of s, as a path; "" when it cannot be made. */
static int memfile(const char *s, size_t n, char *path, size_t pn)
{
	int fd = memfd_create("aws", 0);

	if (fd < 0 || (n && write(fd, s, n) != (ssize_t)n)) {
		if (fd >= 0)
			close(fd);
		return -1;
	}
	snprintf(path, pn, "/proc/self/fd/%d", fd);
	return fd;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = malloc(size + 1), *part[4] = { NULL, NULL, NULL, NULL };
	size_t len[4] = { 0, 0, 0, 0 }, np = 0;
	char cpath[64], fpath[64];
	int cfd, ffd;
	struct aws_creds c;
	struct buf tried = BUF_INIT;
	struct annex_err err;
	char **argv;

	memcpy(text, data, size);
	text[size] = 0;
	for (char *p = text; np < 4 && p <= text + size; np++) {
		char *end = np < 3 ? memchr(p, 0, (size_t)(text + size - p)) : NULL;
		part[np] = p;
		len[np] = end ? (size_t)(end - p) : (size_t)(text + size - p);
		if (!end)
			{ np++; break; }
		p = end + 1;
	}
	cfd = memfile(part[0], len[0], cpath, sizeof(cpath));
	ffd = memfile(np > 1 ? part[1] : "", np > 1 ? len[1] : 0, fpath, sizeof(fpath));
	if (cfd < 0 || ffd < 0)
		goto out;
	setenv("AWS_SHARED_CREDENTIALS_FILE", cpath, 1);
	setenv("AWS_CONFIG_FILE", fpath, 1);
	if (np > 3 && *part[3])
		setenv("AWS_PROFILE", part[3], 1);
	else
		unsetenv("AWS_PROFILE");
	stub_output = np > 2 ? part[2] : "";
	stub_output_len = np > 2 ? len[2] : 0;
	stub_status = (int)(size % 7 == 0);

	memset(&c, 0, sizeof(c));
	annex_err_clear(&err);
	switch (creds_from_profile(&c, &tried, &err)) {
	case 1:
		if (!c.access_key_id || !*c.access_key_id || !c.secret_access_key || !*c.secret_access_key)
			abort();
		break;
	case 0:
		if (!tried.len || c.access_key_id || c.secret_access_key)
			abort();
		break;
	default:
		if (!err.msg[0] || c.access_key_id || c.secret_access_key)
			abort();
	}
	free(c.access_key_id);       /* creds_free lives in creds.c, with the whole chain */
	secret_free(c.secret_access_key);
	secret_free(c.session_token);
	secret_free(c.refresh_process);  /* how to fetch them again (the command may carry a secret) */
	free(c.refresh_imds);
	buf_free(&tried);

	/* the command-line splitter alone, on the third part */
	annex_err_clear(&err);
	argv = creds_split_command(np > 2 ? part[2] : "", &err);
	if (argv ? !argv[0] : !err.msg[0])
		abort();
	creds_argv_free(argv);
out:
	if (cfd >= 0)
		close(cfd);
	if (ffd >= 0)
		close(ffd);
	free(text);
	return 0;
}
