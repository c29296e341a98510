/* creds_util.c - what every link of the credential chain shares (see
 * include/annex/creds_util.h): the list of sources tried, for the message
 * when no link yields credentials, and the reader of the two JSON
 * credential documents (credential_process output, the IMDS role
 * document). The lowest floor of the chain: creds_profile.c and
 * creds_imds.c use it, creds.c chains them. */
#include "annex/creds_util.h"

#include <json-c/json.h>
#include <openssl/crypto.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "annex/timefmt.h"

void creds_tried_add(struct buf *tried, const char *fmt, ...)
{
	va_list ap;

	if (tried->len)
		buf_puts(tried, "; ");
	va_start(ap, fmt);
	buf_vprintf(tried, fmt, ap);
	va_end(ap);
}

/* Copies a JSON string member; a secret one is cleansed inside json-c's
 * object afterwards (json-c frees its strings without cleansing). */
static char *json_take(struct json_object *obj, const char *key, int secret)
{
	struct json_object *v;
	char *s;

	if (!json_object_object_get_ex(obj, key, &v) || !json_object_is_type(v, json_type_string))
		return NULL;
	s = xstrndup(json_object_get_string(v), (size_t)json_object_get_string_len(v));
	if (secret)
		OPENSSL_cleanse((char *)json_object_get_string(v), (size_t)json_object_get_string_len(v));
	return s;
}

int creds_parse_json(const char *json, size_t len, int is_imds, const char *what,
                     struct aws_creds *out, struct annex_err *err)
{
	struct json_tokener *tok = json_tokener_new();
	struct json_object *obj, *v;
	char *exp = NULL, *code = NULL;
	int rc = -1;

	if (!tok)
		return annex_err_set(err, "Credentials", "%s: out of memory", what);
	obj = json_tokener_parse_ex(tok, json, (int)len);
	if (!obj || json_tokener_get_error(tok) != json_tokener_success ||
	    !json_object_is_type(obj, json_type_object)) {
		annex_err_set(err, "Credentials", "%s: output is not a JSON object", what);
		goto out;
	}
	if (is_imds) {
		code = json_take(obj, "Code", 0);
		if (code && strcmp(code, "Success") != 0) {
			annex_err_set(err, "Credentials", "%s: Code is \"%.64s\", not \"Success\"", what, code);
			goto out;
		}
	} else if (!json_object_object_get_ex(obj, "Version", &v) ||
	           !json_object_is_type(v, json_type_int) || json_object_get_int(v) != 1) {
		annex_err_set(err, "Credentials", "%s: output lacks \"Version\": 1 (the only version annex "
		              "and the AWS CLI understand)", what);
		goto out;
	}
	out->access_key_id = json_take(obj, "AccessKeyId", 0);
	out->secret_access_key = json_take(obj, "SecretAccessKey", 1);
	out->session_token = json_take(obj, is_imds ? "Token" : "SessionToken", 1);
	exp = json_take(obj, "Expiration", 0);
	if (!out->access_key_id || !*out->access_key_id || !out->secret_access_key ||
	    !*out->secret_access_key) {
		annex_err_set(err, "Credentials", "%s: output lacks AccessKeyId or SecretAccessKey", what);
		goto out;
	}
	if (out->session_token && !*out->session_token) {
		secret_free(out->session_token);
		out->session_token = NULL;
	}
	if (exp && timefmt_parse_iso8601(exp, &out->expiration) != 0) {
		annex_err_set(err, "Credentials", "%s: cannot parse Expiration \"%.64s\"", what, exp);
		goto out;
	}
	rc = 0;
out:
	if (rc != 0) {
		free(out->access_key_id);
		secret_free(out->secret_access_key);
		secret_free(out->session_token);
		out->access_key_id = out->secret_access_key = out->session_token = NULL;
	}
	/* json-c keeps the raw text in its tokener's print buffer; wipe it. */
	if (tok->pb && tok->pb->buf)
		OPENSSL_cleanse(tok->pb->buf, (size_t)tok->pb->size);
	free(exp);
	free(code);
	json_object_put(obj);
	json_tokener_free(tok);
	return rc;
}
