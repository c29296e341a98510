/* aws_error.c - AWS error replies of every shape decoded into one message,
 * "CODE: message (request id)" (see include/annex/aws.h). */
#include "annex/aws.h"
#include "annex/xml.h"

#include <libxml/parser.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* botocore's throttling codes (retries/standard.py), all of them: the
 * fault matrix (tests/integration/test_fault_matrix.py) sends each. An
 * EventBridge LimitExceededException can also mean a full rule quota; it
 * then fails after ANNEX_MAX_ATTEMPTS attempts with AWS's message, as
 * botocore's does. */
static const char *const aws_throttle_codes[] = {
	"Throttling", "ThrottlingException", "ThrottledException", "RequestLimitExceeded",
	"TooManyRequestsException", "SlowDown", "RequestThrottled", "RequestThrottledException",
	"ProvisionedThroughputExceededException", "EC2ThrottledException",
	"PriorRequestNotComplete", "BandwidthLimitExceeded", "TransactionInProgressException",
	"LimitExceededException",
	NULL,
};

/* Codes that are not throttling but that AWS documents as transient. */
static const char *const aws_transient_codes[] = {
	"RequestTimeout", "RequestTimeoutException", "InternalError", "InternalFailure",
	"ServiceUnavailable", "ServiceUnavailableException", NULL,
};

static int aws_code_in(const char *code, const char *const *list)
{
	if (!code)
		return 0;
	for (size_t i = 0; list[i]; i++)
		if (strcmp(code, list[i]) == 0)
			return 1;
	return 0;
}

int aws_error_is_throttle(const char *code)
{
	return aws_code_in(code, aws_throttle_codes);
}

/* A code for a reply that names none (an S3 HEAD, a proxy's answer). */
static const char *aws_error_status_code(long status)
{
	switch (status) {
	case 301: return "PermanentRedirect";
	case 307: return "TemporaryRedirect";
	case 400: return "BadRequest";
	case 401: return "Unauthorized";
	case 403: return "Forbidden";
	case 404: return "NotFound";
	case 405: return "MethodNotAllowed";
	case 409: return "Conflict";
	case 412: return "PreconditionFailed";
	case 413: return "RequestEntityTooLarge";
	case 429: return "TooManyRequests";
	case 500: return "InternalError";
	case 502: return "BadGateway";
	case 503: return "ServiceUnavailable";
	case 504: return "GatewayTimeout";
	default: return NULL;
	}
}

/* Copies s into out as one printable line: control characters become
 * spaces, runs of spaces shrink to one, the ends are trimmed. */
static void aws_one_line(char *out, size_t n, const char *s, size_t len)
{
	size_t o = 0;
	int space = 1;

	for (size_t i = 0; i < len && o + 1 < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c < 0x20 || c == 0x7f || c == ' ') {
			if (!space)
				out[o++] = ' ';
			space = 1;
		} else {
			out[o++] = (char)c;
			space = 0;
		}
	}
	while (o && out[o - 1] == ' ')
		o--;
	out[o] = 0;
}

static void aws_error_from_xml(const struct http_response *resp, char *code, char *msg, char *rid)
{
	xmlDoc *doc = xml_parse(resp->body.data, resp->body.len, NULL);
	xmlNode *root, *e;
	char tmp[ANNEX_ERR_MSG_MAX];

	if (!doc)
		return;
	root = xmlDocGetRootElement(doc);
	if (xml_is(root, "Error"))
		e = root;
	else if (xml_is(root, "Response"))
		e = xml_find(root, "Errors/Error");
	else if (xml_is(root, "ErrorResponse"))
		e = xml_find(root, "Error");
	else
		e = NULL;
	if (!e)
		e = xml_find_deep(root, "Error");
	if (e) {
		if (xml_text_buf(e, "Code", tmp, sizeof(tmp)) == 0)
			aws_one_line(code, ANNEX_ERR_CODE_MAX, tmp, strlen(tmp));
		if (xml_text_buf(e, "Message", tmp, sizeof(tmp)) == 0)
			aws_one_line(msg, ANNEX_ERR_MSG_MAX, tmp, strlen(tmp));
	}
	{
		/* the body's own request id wins over the header's */
		xmlNode *r = xml_find_deep(root, "RequestId");
		if (!r)
			r = xml_find_deep(root, "RequestID");
		if (!r && xml_is(root, "RequestId"))
			r = root;
		if (r && xml_text_buf(r, NULL, tmp, sizeof(tmp)) == 0)
			aws_one_line(rid, 128, tmp, strlen(tmp));
	}
	xmlFreeDoc(doc);
}

static void aws_error_from_json(const struct http_response *resp, char *code, char *msg)
{
	json_tokener *tok = json_tokener_new();
	json_object *o, *v;
	const char *s;

	o = json_tokener_parse_ex(tok, resp->body.data, (int)resp->body.len);
	json_tokener_free(tok);
	if (!o || !json_object_is_type(o, json_type_object)) {
		json_object_put(o);
		return;
	}
	if (!*code && ((json_object_object_get_ex(o, "__type", &v)) ||
		       json_object_object_get_ex(o, "code", &v) ||
		       json_object_object_get_ex(o, "Code", &v)) &&
	    (s = json_object_get_string(v))) {
		const char *hash = strrchr(s, '#');
		s = hash ? hash + 1 : s;
		aws_one_line(code, ANNEX_ERR_CODE_MAX, s, strcspn(s, ":"));
	}
	if ((json_object_object_get_ex(o, "message", &v) || json_object_object_get_ex(o, "Message", &v) ||
	     json_object_object_get_ex(o, "errorMessage", &v)) &&
	    (s = json_object_get_string(v)))
		aws_one_line(msg, ANNEX_ERR_MSG_MAX, s, strlen(s));
	json_object_put(o);
}

int aws_error_decode(long status, const struct http_response *resp, struct annex_err *err)
{
	char code[ANNEX_ERR_CODE_MAX] = "", msg[ANNEX_ERR_MSG_MAX] = "", rid[128] = "";
	const char *h, *body = resp ? resp->body.data : NULL;
	size_t len = resp ? resp->body.len : 0, i = 0;

	if (resp) {
		if ((h = http_response_header(resp, "x-amzn-RequestId")) ||
		    (h = http_response_header(resp, "x-amz-request-id")))
			aws_one_line(rid, sizeof(rid), h, strlen(h));
		/* REST-JSON: the header names the error; "Code:http://..." */
		if ((h = http_response_header(resp, "x-amzn-ErrorType")))
			aws_one_line(code, sizeof(code), h, strcspn(h, ":"));
	}
	while (body && i < len && (body[i] == ' ' || body[i] == '\n' || body[i] == '\r' || body[i] == '\t'))
		i++;
	if (body && i < len && body[i] == '<')
		aws_error_from_xml(resp, code, msg, rid);
	else if (body && i < len && body[i] == '{')
		aws_error_from_json(resp, code, msg);

	if (!*code) {
		const char *c = aws_error_status_code(status);
		if (c)
			snprintf(code, sizeof(code), "%s", c);
		else
			snprintf(code, sizeof(code), "HTTP%ld", status);
	}
	if (!*msg)
		snprintf(msg, sizeof(msg), "HTTP status %ld", status);
	if (*rid)
		annex_err_set(err, code, "%s: %s (%s)", code, msg, rid);
	else
		annex_err_set(err, code, "%s: %s", code, msg);
	if (err) {
		err->http_status = (int)status;
		err->retryable = aws_error_is_throttle(code) || status == 429 ||
				 status == 500 || status == 502 || status == 503 || status == 504 ||
				 (status >= 500 && aws_code_in(code, aws_transient_codes)) ||
				 (status == 400 && strcmp(code, "RequestTimeout") == 0);
	}
	return -1;
}
