/* buf.c - growable buffer and allocation helpers (see include/annex/buf.h). */
#include "annex/buf.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <malloc.h>
#include <openssl/crypto.h>
#include <unistd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void oom(void)
{
	fputs("annex: out of memory\n", stderr);
	abort();
}

void *xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);
	if (!p)
		oom();
	return p;
}

void *xcalloc(size_t n, size_t size)
{
	void *p = calloc(n ? n : 1, size ? size : 1);
	if (!p)
		oom();
	return p;
}

void *xrealloc(void *p, size_t n)
{
	p = realloc(p, n ? n : 1);
	if (!p)
		oom();
	return p;
}

char *xstrdup(const char *s)
{
	return xstrndup(s, strlen(s));
}

char *xstrndup(const char *s, size_t n)
{
	char *p = xmalloc(n + 1);
	memcpy(p, s, n);
	p[n] = 0;
	return p;
}

char *xstrndup_trim(const char *s, size_t n)
{
	while (n && isspace((unsigned char)*s)) {
		s++;
		n--;
	}
	while (n && isspace((unsigned char)s[n - 1]))
		n--;
	return xstrndup(s, n);
}

char *xasprintf(const char *fmt, ...)
{
	struct buf b = BUF_INIT;
	va_list ap;

	va_start(ap, fmt);
	buf_vprintf(&b, fmt, ap);
	va_end(ap);
	return buf_steal(&b);
}

void secret_free(char *s)
{
	if (!s)
		return;
	OPENSSL_cleanse(s, strlen(s));
	free(s);
}

void secret_block_free(void *p)
{
	if (!p)
		return;
	OPENSSL_cleanse(p, malloc_usable_size(p));
	free(p);
}

void *secret_block_realloc(void *p, size_t n)
{
	size_t old;
	void *q;

	if (!p)
		return malloc(n);
	if (n == 0) {
		secret_block_free(p);
		return NULL;
	}
	old = malloc_usable_size(p);
	if (n <= old)
		return p;            /* the tail is cleansed with the block */
	q = malloc(n);
	if (!q)
		return NULL;
	memcpy(q, p, old);
	secret_block_free(p);
	return q;
}

char *secret_block_strdup(const char *s)
{
	size_t n = strlen(s) + 1;
	char *p = malloc(n);

	if (p)
		memcpy(p, s, n);
	return p;
}

static void *secret_crypto_malloc(size_t n, const char *file, int line)
{
	(void)file;
	(void)line;
	return malloc(n);
}

static void *secret_crypto_realloc(void *p, size_t n, const char *file, int line)
{
	(void)file;
	(void)line;
	return secret_block_realloc(p, n);
}

static void secret_crypto_free(void *p, const char *file, int line)
{
	(void)file;
	(void)line;
	secret_block_free(p);
}

void secret_alloc_init(void)
{
	(void)CRYPTO_set_mem_functions(secret_crypto_malloc, secret_crypto_realloc, secret_crypto_free);
}

void buf_init(struct buf *b)
{
	memset(b, 0, sizeof(*b));
}

void buf_init_secret(struct buf *b)
{
	memset(b, 0, sizeof(*b));
	b->secret = 1;
}

void buf_free(struct buf *b)
{
	if (!b)
		return;
	if (b->data && b->secret)
		OPENSSL_cleanse(b->data, b->cap);
	free(b->data);
	b->data = NULL;
	b->len = b->cap = 0;
}

void buf_reset(struct buf *b)
{
	if (b->data && b->secret)
		OPENSSL_cleanse(b->data, b->cap);
	b->len = 0;
	if (b->data)
		b->data[0] = 0;
}

void buf_grow(struct buf *b, size_t extra)
{
	size_t need, cap;
	char *p;

	if (extra > (size_t)-1 / 2 - b->len)
		oom();
	need = b->len + extra + 1;
	if (need <= b->cap)
		return;
	cap = b->cap ? b->cap : 64;
	while (cap < need)
		cap *= 2;
	if (b->secret) {
		/* never let realloc leave a copy of a secret behind */
		p = xmalloc(cap);
		if (b->data) {
			memcpy(p, b->data, b->len + 1);
			OPENSSL_cleanse(b->data, b->cap);
			free(b->data);
		}
	} else {
		p = xrealloc(b->data, cap);
	}
	b->data = p;
	b->cap = cap;
}

void buf_append(struct buf *b, const void *data, size_t len)
{
	buf_grow(b, len);
	if (len)
		memcpy(b->data + b->len, data, len);
	b->len += len;
	b->data[b->len] = 0;
}

void buf_puts(struct buf *b, const char *s)
{
	buf_append(b, s, strlen(s));
}

void buf_putc(struct buf *b, char c)
{
	buf_append(b, &c, 1);
}

void buf_vprintf(struct buf *b, const char *fmt, va_list ap)
{
	va_list cp;
	int n;

	va_copy(cp, ap);
	n = vsnprintf(NULL, 0, fmt, cp);
	va_end(cp);
	if (n < 0)
		return;
	buf_grow(b, (size_t)n);
	vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
	b->len += (size_t)n;
}

void buf_printf(struct buf *b, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	buf_vprintf(b, fmt, ap);
	va_end(ap);
}

const char *buf_cstr(const struct buf *b)
{
	return b->data ? b->data : "";
}

char *buf_steal(struct buf *b)
{
	char *p = b->data ? b->data : xstrdup("");
	b->data = NULL;
	b->len = b->cap = 0;
	return p;
}

int buf_read_fd(struct buf *b, int fd, size_t max_len)
{
	char chunk[4096];
	ssize_t n;
	size_t start = b->len;
	int saved;

	for (;;) {
		n = read(fd, chunk, sizeof(chunk));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		if (max_len && b->len - start + (size_t)n > max_len) {
			n = -1;
			errno = EFBIG;
			break;
		}
		buf_append(b, chunk, (size_t)n);
	}
	saved = errno;
	if (b->secret)
		OPENSSL_cleanse(chunk, sizeof(chunk));
	errno = saved;
	return n < 0 ? -1 : 0;
}

int buf_read_file(struct buf *b, const char *path, size_t max_len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY), rc, saved;

	if (fd < 0)
		return -1;
	rc = buf_read_fd(b, fd, max_len);
	saved = errno;
	close(fd);
	errno = saved;
	return rc;
}
