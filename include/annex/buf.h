/* buf.h - one growable byte buffer, used everywhere instead of ad-hoc
 * realloc arithmetic. The contents are always NUL-terminated (data[len] ==
 * 0) once anything was appended, so a buf can be used as a C string.
 *
 * Allocation failure aborts the program (annex is a command-line tool; there
 * is nothing sensible to do on OOM). A buf marked secret (buf_init_secret)
 * is cleansed with OPENSSL_cleanse whenever its storage is freed or moved,
 * so key material never lingers in freed heap memory.
 */
#ifndef ANNEX_BUF_H
#define ANNEX_BUF_H

#include <stdarg.h>
#include <stddef.h>

struct buf {
	char *data;
	size_t len;
	size_t cap;
	int secret;
};

#define BUF_INIT { NULL, 0, 0, 0 }

void buf_init(struct buf *b);
void buf_init_secret(struct buf *b);
void buf_free(struct buf *b);            /* cleanses if secret; buf_free of a zeroed buf is a no-op */
void buf_reset(struct buf *b);           /* len = 0, keeps storage (cleansed if secret) */
void buf_grow(struct buf *b, size_t extra);
void buf_append(struct buf *b, const void *data, size_t len);
void buf_puts(struct buf *b, const char *s);
void buf_putc(struct buf *b, char c);
void buf_printf(struct buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void buf_vprintf(struct buf *b, const char *fmt, va_list ap);
const char *buf_cstr(const struct buf *b);   /* "" when empty */
char *buf_steal(struct buf *b);          /* caller frees; buf is reset to empty */

/* Appends the whole file at path to b (binary-safe; the read buffer is
 * cleansed when b is secret). At most max_len bytes (0: no limit). Returns
 * 0, or -1 with errno set (ENOENT for a missing file, EFBIG past max_len). */
int buf_read_file(struct buf *b, const char *path, size_t max_len);
/* The same from an open descriptor, read to its end (not closed). */
int buf_read_fd(struct buf *b, int fd, size_t max_len);

/* Small allocation helpers that abort on failure. */
void *xmalloc(size_t n);
void *xcalloc(size_t n, size_t size);
void *xrealloc(void *p, size_t n);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);
/* The first n bytes of s without leading and trailing whitespace, as a new string. */
char *xstrndup_trim(const char *s, size_t n);
char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Frees a NUL-terminated secret string after cleansing it; NULL is a no-op. */
void secret_free(char *s);

/* Allocator functions for libraries that copy what annex hands them or
 * reads for it (libcurl, libxml2, OpenSSL): a block is cleansed, whole
 * (malloc_usable_size), when it is freed or moved by a growing realloc, so
 * reply bodies, parsed documents and TLS buffers that held user data, the
 * pool password or keys leave nothing behind in freed heap memory. They
 * return NULL on failure, as malloc does. */
void secret_block_free(void *p);
void *secret_block_realloc(void *p, size_t n);
char *secret_block_strdup(const char *s);

/* Makes OpenSSL allocate through the functions above. Call first thing in
 * main(), before anything uses OpenSSL (later it has no effect). */
void secret_alloc_init(void);

#endif
