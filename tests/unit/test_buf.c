/* Unit tests for buf.c and err.c. */
#include "annex/buf.h"
#include "annex/err.h"
#include "harness.h"

#include <errno.h>
#include <stdlib.h>
#include <unistd.h>

static void t_buf_append_printf(void)
{
	struct buf b = BUF_INIT;
	CHECK_STR(buf_cstr(&b), "");
	buf_puts(&b, "ab");
	buf_printf(&b, "%d-%s", 42, "x");
	buf_putc(&b, '!');
	CHECK_STR(buf_cstr(&b), "ab42-x!");
	CHECK_INT(b.len, 7);
	buf_reset(&b);
	CHECK_INT(b.len, 0);
	CHECK_STR(buf_cstr(&b), "");
	buf_free(&b);
	buf_free(&b);
}

static void t_buf_grow_large(void)
{
	struct buf b;
	buf_init_secret(&b);
	for (int i = 0; i < 10000; i++)
		buf_putc(&b, (char)('a' + i % 26));
	CHECK_INT(b.len, 10000);
	CHECK(b.data[9999] == (char)('a' + 9999 % 26));
	CHECK(b.data[10000] == 0);
	char *s = buf_steal(&b);
	CHECK_INT(strlen(s), 10000);
	secret_free(s);
	CHECK(b.data == NULL);
}

static void t_read_file(void)
{
	char path[] = "/tmp/annex-buf-XXXXXX";
	int fd = mkstemp(path);
	struct buf b;
	static const char data[] = "bin\0ary\xff";

	CHECK(fd >= 0);
	CHECK_INT(write(fd, data, sizeof(data) - 1), sizeof(data) - 1);
	close(fd);
	buf_init_secret(&b);
	buf_puts(&b, ">");
	CHECK_INT(buf_read_file(&b, path, 0), 0);
	CHECK_INT(b.len, 1 + sizeof(data) - 1);
	CHECK(memcmp(b.data + 1, data, sizeof(data) - 1) == 0);
	buf_reset(&b);
	CHECK_INT(buf_read_file(&b, path, 4), -1);
	CHECK_INT(errno, EFBIG);
	unlink(path);
	CHECK_INT(buf_read_file(&b, path, 0), -1);
	CHECK_INT(errno, ENOENT);
	buf_free(&b);
}

static void t_err(void)
{
	struct annex_err e;
	annex_err_clear(&e);
	CHECK_INT(annex_err_set(&e, "Config", "%s:%d: bad", "f", 3), -1);
	CHECK_STR(e.code, "Config");
	CHECK_STR(e.msg, "f:3: bad");
	annex_err_prefix(&e, "reading %s", "x");
	CHECK_STR(e.msg, "reading x: f:3: bad");
	CHECK_INT(annex_err_set(NULL, "X", "y"), -1);
}

TESTS(T(t_buf_append_printf), T(t_buf_grow_large), T(t_read_file), T(t_err))
