/* sigv4_canon.h - what the SigV4 signer's two halves share: the canonical
 * request builder (sigv4_canon.c) and the signer (sigv4.c). Pure; not part
 * of the public interface (see sigv4.h). */
#ifndef ANNEX_SIGV4_CANON_H
#define ANNEX_SIGV4_CANON_H

#include <stddef.h>

#include "annex/buf.h"
#include "annex/sigv4.h"

/* A header or query item: two strings in the scratch buffer, located by
 * offset while the buffer grows, then by pointer once it is final. */
struct sigv4_item {
	size_t k_off, k_len, v_off, v_len, order;
	const char *k, *v;
};

/* Work state of one signature: the strings every step shares. */
struct sigv4_work {
	char amz_date[17];          /* 20150830T123600Z */
	char date[9];               /* 20150830 */
	char scope[256];            /* date/region/service/aws4_request */
	char payload[65];
	size_t hdr_off, hdr_len;    /* canonical header lines, in scratch */
	size_t sh_off, sh_len;      /* signed header list, in scratch */
};

/* Appends s URI-encoded (unreserved A-Za-z0-9-._~ kept, '/' kept when
 * keep_slash). With decode_first, %XX sequences are decoded before
 * encoding, so an already-encoded string comes out the same and a raw one
 * comes out encoded (the canonical form of a query string). */
void sigv4_canon_encode(struct buf *out, const char *s, size_t len, int keep_slash, int decode_first);

/* Builds the canonical header lines and the signed header list of the
 * request's headers plus extra ones into scratch, locating them in w. */
void sigv4_canon_headers(struct buf *scratch, const struct sigv4_request *req,
			 const struct sigv4_header *extra, size_t n_extra, struct sigv4_work *w);

/* Appends the canonical request to cr: method, path (normalised and
 * encoded again as p asks), canonical query (the request's plus q_extra,
 * located in scratch), the header lines and signed list from w, the
 * payload hash. */
void sigv4_canon_request(struct buf *cr, struct buf *scratch, const struct sigv4_request *req,
			 const struct sigv4_params *p, const struct sigv4_work *w,
			 const struct sigv4_item *q_extra, size_t n_q_extra);

/* A presign query parameter: key and value (encoded when encode) appended
 * to scratch and recorded in it; sigv4_canon_put_item appends it as
 * "&key=value" (no '&' first) to out. */
void sigv4_canon_qitem(struct buf *scratch, struct sigv4_item *it, const char *key, const char *val,
		       int encode);
void sigv4_canon_put_item(struct buf *out, const struct buf *scratch, const struct sigv4_item *it);

#endif
