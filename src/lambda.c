/* lambda.c - Lambda functions by name: get, create, delete, resource policy,
 * invoke. */
#include "annex/lambda.h"

#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static char *function_path(const char *name, const char *suffix)
{
	struct buf b = BUF_INIT;

	buf_puts(&b, "/2015-03-31/functions/");
	aws_url_encode(&b, name, 0);
	if (suffix)
		buf_puts(&b, suffix);
	return buf_steal(&b);
}

static int not_found(struct annex_err *err)
{
	if (strcmp(err->code, "ResourceNotFoundException") == 0 || err->http_status == 404) {
		annex_err_clear(err);
		return 1;
	}
	return 0;
}

static char *arn_of(json_object *reply)
{
	json_object *cfg, *arn;

	if (json_object_object_get_ex(reply, "Configuration", &cfg) &&
	    json_object_object_get_ex(cfg, "FunctionArn", &arn) && json_object_is_type(arn, json_type_string))
		return xstrdup(json_object_get_string(arn));
	if (json_object_object_get_ex(reply, "FunctionArn", &arn) && json_object_is_type(arn, json_type_string))
		return xstrdup(json_object_get_string(arn));
	return NULL;
}

int lambda_get_function(struct aws_ctx *ctx, const char *name, char **arn, struct annex_err *err)
{
	char *path = function_path(name, NULL);
	json_object *out = NULL;
	int rc = aws_rest_json(ctx, AWS_LAMBDA, "GET", path, NULL, NULL, &out, err);

	free(path);
	*arn = NULL;
	if (rc != 0)
		return not_found(err) ? 0 : -1;
	*arn = arn_of(out);
	json_object_put(out);
	if (!*arn)
		return annex_err_set(err, "BadReply", "Lambda GetFunction %s: reply without FunctionArn", name);
	return 1;
}

int lambda_get_function_config(struct aws_ctx *ctx, const char *name, json_object **config,
			       struct annex_err *err)
{
	char *path = function_path(name, NULL);
	json_object *out = NULL, *cfg;
	int rc = aws_rest_json(ctx, AWS_LAMBDA, "GET", path, NULL, NULL, &out, err);

	free(path);
	*config = NULL;
	if (rc != 0)
		return not_found(err) ? 0 : -1;
	if (json_object_object_get_ex(out, "Configuration", &cfg) && json_object_is_type(cfg, json_type_object))
		*config = json_object_get(cfg);
	json_object_put(out);
	if (!*config)
		return annex_err_set(err, "BadReply", "Lambda GetFunction %s: reply without Configuration", name);
	return 1;
}

static char *base64_of(const void *data, size_t len)
{
	char *b64 = xmalloc(4 * ((len + 2) / 3) + 1);

	EVP_EncodeBlock((unsigned char *)b64, data, (int)len);
	return b64;
}

int lambda_update_function_code(struct aws_ctx *ctx, const char *name, const void *zip, size_t zip_len,
				struct annex_err *err)
{
	char *path = function_path(name, "/code"), *b64 = base64_of(zip, zip_len);
	json_object *in = json_object_new_object();
	int rc;

	json_object_object_add(in, "ZipFile", json_object_new_string(b64));
	free(b64);
	rc = aws_rest_json(ctx, AWS_LAMBDA, "PUT", path, NULL, in, NULL, err);
	json_object_put(in);
	free(path);
	return rc;
}

int lambda_update_function_configuration(struct aws_ctx *ctx, const char *name, json_object *in,
					 struct annex_err *err)
{
	char *path = function_path(name, "/configuration");
	int rc = aws_rest_json(ctx, AWS_LAMBDA, "PUT", path, NULL, in, NULL, err);

	free(path);
	return rc;
}

int lambda_create_function(struct aws_ctx *ctx, const struct lambda_function_spec *s,
			   const struct aws_call *call, char **arn, struct annex_err *err)
{
	json_object *in = json_object_new_object(), *code = json_object_new_object(), *tags;
	json_object *out = NULL;
	char *b64 = base64_of(s->zip, s->zip_len);
	int rc;

	json_object_object_add(code, "ZipFile", json_object_new_string(b64));
	free(b64);
	json_object_object_add(in, "FunctionName", json_object_new_string(s->name));
	json_object_object_add(in, "Runtime", json_object_new_string(s->runtime));
	json_object_object_add(in, "Role", json_object_new_string(s->role_arn));
	json_object_object_add(in, "Handler", json_object_new_string(s->handler));
	json_object_object_add(in, "Description", json_object_new_string(s->description));
	json_object_object_add(in, "Timeout", json_object_new_int(s->timeout_s));
	json_object_object_add(in, "Code", code);
	if (s->n_env) {
		json_object *env = json_object_new_object(), *vars = json_object_new_object();
		for (size_t i = 0; i < s->n_env && i < sizeof(s->env) / sizeof(s->env[0]); i++)
			json_object_object_add(vars, s->env[i].key, json_object_new_string(s->env[i].value));
		json_object_object_add(env, "Variables", vars);
		json_object_object_add(in, "Environment", env);
	}
	tags = json_object_new_object();
	json_object_object_add(tags, "htcondor:AnnexSetup", json_object_new_string("annex"));
	json_object_object_add(in, "Tags", tags);
	rc = aws_rest_json_with(ctx, AWS_LAMBDA, "POST", "/2015-03-31/functions", NULL, call, in, &out, err);
	json_object_put(in);
	*arn = NULL;
	if (rc == 0) {
		*arn = arn_of(out);
		if (!*arn)
			rc = annex_err_set(err, "BadReply", "Lambda CreateFunction: reply without FunctionArn");
	}
	json_object_put(out);
	return rc;
}

int lambda_delete_function(struct aws_ctx *ctx, const char *name, struct annex_err *err)
{
	char *path = function_path(name, NULL);
	int rc = aws_rest_json(ctx, AWS_LAMBDA, "DELETE", path, NULL, NULL, NULL, err);

	free(path);
	if (rc != 0 && not_found(err))
		return 0;
	return rc;
}

int lambda_get_permission(struct aws_ctx *ctx, const char *name, const char *sid, char **statement,
			  struct annex_err *err)
{
	char *path = function_path(name, "/policy");
	json_object *out = NULL, *pol, *doc = NULL, *stmts;
	int rc = aws_rest_json(ctx, AWS_LAMBDA, "GET", path, NULL, NULL, &out, err);

	free(path);
	*statement = NULL;
	if (rc != 0)
		return not_found(err) ? 0 : -1;
	if (json_object_object_get_ex(out, "Policy", &pol) && json_object_is_type(pol, json_type_string))
		doc = json_tokener_parse(json_object_get_string(pol));
	if (doc && json_object_object_get_ex(doc, "Statement", &stmts) &&
	    json_object_is_type(stmts, json_type_array)) {
		for (size_t i = 0; i < json_object_array_length(stmts) && !*statement; i++) {
			json_object *st = json_object_array_get_idx(stmts, i), *id;
			if (json_object_object_get_ex(st, "Sid", &id) && json_object_is_type(id, json_type_string) &&
			    strcmp(json_object_get_string(id), sid) == 0)
				*statement = xstrdup(json_object_to_json_string_ext(st, JSON_C_TO_STRING_PLAIN));
		}
	}
	json_object_put(doc);
	json_object_put(out);
	return *statement ? 1 : 0;
}

int lambda_has_permission(struct aws_ctx *ctx, const char *name, const char *sid, struct annex_err *err)
{
	char *st = NULL;
	int rc = lambda_get_permission(ctx, name, sid, &st, err);

	free(st);
	return rc;
}

int lambda_remove_permission(struct aws_ctx *ctx, const char *name, const char *sid, struct annex_err *err)
{
	struct buf b = BUF_INIT;
	char *path;
	int rc;

	buf_puts(&b, "/policy/");
	aws_url_encode(&b, sid, 0);
	path = function_path(name, buf_cstr(&b));
	buf_free(&b);
	rc = aws_rest_json(ctx, AWS_LAMBDA, "DELETE", path, NULL, NULL, NULL, err);
	free(path);
	if (rc != 0 && not_found(err))
		return 0;
	return rc;
}

int lambda_add_permission(struct aws_ctx *ctx, const char *name, const char *sid, const char *principal,
			  const char *source_arn, const char *source_account, struct annex_err *err)
{
	char *path = function_path(name, "/policy");
	json_object *in = json_object_new_object();
	int rc;

	json_object_object_add(in, "StatementId", json_object_new_string(sid));
	json_object_object_add(in, "Action", json_object_new_string("lambda:InvokeFunction"));
	json_object_object_add(in, "Principal", json_object_new_string(principal));
	json_object_object_add(in, "SourceArn", json_object_new_string(source_arn));
	if (source_account)
		json_object_object_add(in, "SourceAccount", json_object_new_string(source_account));
	rc = aws_rest_json(ctx, AWS_LAMBDA, "POST", path, NULL, in, NULL, err);
	json_object_put(in);
	free(path);
	if (rc != 0 && strcmp(err->code, "ResourceConflictException") == 0) {
		annex_err_clear(err);   /* the statement is there already */
		return 0;
	}
	return rc;
}

/* The reply of a function annex wrote is a few hundred bytes; more is cut. */
#define LAMBDA_INVOKE_MAX_REPLY (64 * 1024)

int lambda_invoke(struct aws_ctx *ctx, const char *name, const char *payload, char **reply,
		  char **function_error, struct annex_err *err)
{
	struct http_header hdrs[] = {
		{ (char *)"Content-Type", (char *)"application/json" },
		{ (char *)"X-Amz-Invocation-Type", (char *)"RequestResponse" },
	};
	char *path = function_path(name, "/invocations");
	struct aws_request req;
	struct aws_reply rep;
	size_t n;
	int rc;

	*reply = NULL;
	*function_error = NULL;
	memset(&req, 0, sizeof(req));
	req.svc = AWS_LAMBDA;
	req.method = "POST";
	req.path = path;
	req.headers = hdrs;
	req.n_headers = sizeof(hdrs) / sizeof(hdrs[0]);
	req.body = payload;
	req.body_len = strlen(payload);
	req.op = "Invoke";
	rc = aws_send(ctx, &req, &rep, err);
	free(path);
	if (rc != 0) {
		aws_reply_free(&rep);
		return rc < 0 && not_found(err) ? 0 : -1;
	}
	for (size_t i = 0; i < rep.http.n_headers; i++)
		if (strcasecmp(rep.http.headers[i].name, "X-Amz-Function-Error") == 0)
			*function_error = xstrdup(rep.http.headers[i].value ? rep.http.headers[i].value : "");
	n = rep.http.body.len < LAMBDA_INVOKE_MAX_REPLY ? rep.http.body.len : LAMBDA_INVOKE_MAX_REPLY;
	*reply = xmalloc(n + 1);
	if (n)
		memcpy(*reply, rep.http.body.data, n);
	(*reply)[n] = 0;
	aws_reply_free(&rep);
	return 1;
}
