/* aws_call - performs one named AWS call through annex's API layer (the
 * credential chain, endpoint resolution, signing, transport, error
 * decoding), against the endpoint the environment and options name. For
 * tests and for poking at an emulator by hand.
 *
 *   aws_call [-region R] [-debug] [-url SVC=URL]... [-knob SVC=URL]... COMMAND ...
 *     endpoints                          one line per service: name url signing-region source
 *     query SVC ACTION [Name=Value]...   query protocol (ec2, iam, sts); prints the XML reply
 *     query-body SVC ACTION [Name=Value]...   prints the form body only (no network)
 *     paginate SVC ACTION ELEMENT [Name=Value]...   pages to the end; prints the number of
 *                                        ELEMENT elements seen and of pages
 *     json11 SVC OP [JSON]               JSON 1.1 (events, ssm); prints the JSON reply
 *     paginate-json11 SVC OP KEY [JSON]  pages to the end; prints the number of items in
 *                                        the reply's KEY arrays and of pages
 *     paginate-rest-json SVC PATH KEY [QUERY]   the same for a REST-JSON GET
 *     rest-json SVC METHOD PATH [JSON|@FILE]  REST-JSON (lambda); prints the JSON reply
 *     s3 METHOD BUCKET [KEY [@FILE|STRING]]   REST-XML; prints the raw reply body
 *
 * -url is the -aws-*-url option level, -knob a configured
 * ANNEX_DEFAULT_*_URL. -region defaults to AWS_REGION, else us-east-1.
 * On failure: "aws_call: MESSAGE" and "code=CODE status=N" on stderr, exit 1.
 */
#include "annex/aws.h"
#include "annex/creds.h"
#include "annex/xml.h"

#include <libxml/parser.h>
#include <stdlib.h>
#include <string.h>

static int svc_of(const char *name)
{
	static const char *const names[] = { "ec2", "s3", "iam", "sts", "lambda", "events", "ssm" };

	for (int i = 0; i < AWS_N_SERVICES; i++)
		if (strcmp(name, names[i]) == 0)
			return i;
	return -1;
}

static int usage(const char *why)
{
	fprintf(stderr, "aws_call: %s\nusage: aws_call [-region R] [-debug] [-url SVC=URL] [-knob SVC=URL] "
		"endpoints|query|query-body|paginate|json11|rest-json|s3 ...\n", why);
	return 2;
}

static int fail(const struct annex_err *err)
{
	fprintf(stderr, "aws_call: %s\ncode=%s status=%d\n", err->msg, err->code, err->http_status);
	return 1;
}

static int read_file(const char *path, struct buf *out)
{
	char chunk[65536];
	size_t n;
	FILE *f = fopen(path, "rb");

	if (!f)
		return -1;
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
		buf_append(out, chunk, n);
	fclose(f);
	return 0;
}

static int add_params(struct params *p, char **args, int n)
{
	for (int i = 0; i < n; i++) {
		char *eq = strchr(args[i], '=');
		if (!eq)
			return -1;
		*eq = 0;
		params_add(p, args[i], eq + 1);
		*eq = '=';
	}
	return 0;
}

struct page_count {
	const char *element;
	long items, pages;
};

static long count_elements(xmlNode *n, const char *name)
{
	long c = 0;

	for (; n; n = n->next) {
		if (xml_is(n, name))
			c++;
		c += count_elements(n->children, name);
	}
	return c;
}

static int on_page(xmlDoc *doc, void *ud, struct annex_err *err)
{
	struct page_count *pc = ud;

	(void)err;
	pc->pages++;
	pc->items += count_elements(xmlDocGetRootElement(doc), pc->element);
	return 0;
}

struct json_count {
	const char *key;
	long items, pages;
};

static int on_json_page(json_object *page, void *ud, struct annex_err *err)
{
	struct json_count *jc = ud;
	json_object *arr;

	(void)err;
	jc->pages++;
	if (page && json_object_object_get_ex(page, jc->key, &arr) && json_object_is_type(arr, json_type_array))
		jc->items += (long)json_object_array_length(arr);
	return 0;
}

static int print_json(json_object *o)
{
	printf("%s\n", o ? json_object_to_json_string_ext(o, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_NOSLASHESCAPE)
			 : "");
	json_object_put(o);
	return 0;
}

static json_object *parse_json_arg(const char *arg)
{
	struct buf b = BUF_INIT;
	json_object *o;

	if (arg[0] == '@') {
		if (read_file(arg + 1, &b) < 0)
			return NULL;
		o = json_tokener_parse(buf_cstr(&b));
	} else {
		o = json_tokener_parse(arg);
	}
	buf_free(&b);
	return o;
}

static long env_long(const char *name, long def)
{
	const char *v = getenv(name);

	return v && *v ? strtol(v, NULL, 10) : def;
}

int main(int argc, char **argv)
{
	struct aws_retry_settings rs;
	struct aws_ctx_opts o;
	struct aws_ctx *ctx = NULL;
	struct creds_opts co;
	struct aws_creds creds;
	struct annex_err err;
	const char *region = getenv("AWS_REGION");
	int i = 1, rc = 1, s;

	memset(&o, 0, sizeof(o));
	annex_err_clear(&err);
	for (; i < argc && argv[i][0] == '-'; i++) {
		if (!strcmp(argv[i], "-debug")) {
			o.debug = 1;
		} else if (!strcmp(argv[i], "-region") && i + 1 < argc) {
			region = argv[++i];
		} else if ((!strcmp(argv[i], "-url") || !strcmp(argv[i], "-knob")) && i + 1 < argc) {
			char *eq = strchr(argv[i + 1], '=');
			if (!eq)
				return usage("-url/-knob want SVC=URL");
			*eq = 0;
			if ((s = svc_of(argv[i + 1])) < 0)
				return usage("unknown service");
			if (argv[i][1] == 'u')
				o.option_url[s] = eq + 1;
			else
				o.knob_url[s] = eq + 1;
			i++;
		} else {
			return usage("unknown option");
		}
	}
	if (i >= argc)
		return usage("no command");
	o.region = region && *region ? region : "us-east-1";
	const char *cmd = argv[i++];

	if (!strcmp(cmd, "query-body")) {
		struct params p = PARAMS_INIT;
		struct buf body = BUF_INIT;
		if (i + 2 > argc || (s = svc_of(argv[i])) < 0 || !aws_query_version((enum aws_service)s))
			return usage("query-body SVC ACTION [Name=Value]...");
		if (add_params(&p, argv + i + 2, argc - i - 2) < 0)
			return usage("parameters are Name=Value");
		aws_query_body(&body, argv[i + 1], aws_query_version((enum aws_service)s), &p);
		printf("%s\n", buf_cstr(&body));
		buf_free(&body);
		params_free(&p);
		return 0;
	}

	if (strcmp(cmd, "endpoints") != 0) {
		memset(&co, 0, sizeof(co));
		memset(&creds, 0, sizeof(creds));
		if (creds_resolve(&co, &creds, &err) < 0)
			return fail(&err);
		o.creds = &creds;
	}
	/* this tool has no session: it takes the retry knobs from the
	 * environment, where the tests set them */
	memset(&rs, 0, sizeof(rs));   /* the time limits: the transport's own, no deadline */
	rs.max_attempts = (int)env_long("ANNEX_MAX_ATTEMPTS", 5);
	rs.base_ms = env_long("ANNEX_RETRY_BASE_MS", 200);
	rs.cap_ms = env_long("ANNEX_RETRY_CAP_MS", 20000);
	rs.iam_wait_ms = env_long("ANNEX_IAM_WAIT_S", 120) * 1000;
	o.retry = &rs;
	if (aws_ctx_new(&o, &ctx, &err) < 0)
		return fail(&err);

	if (!strcmp(cmd, "endpoints")) {
		for (s = 0; s < AWS_N_SERVICES; s++) {
			const struct aws_endpoint *ep = aws_ctx_endpoint(ctx, (enum aws_service)s);
			printf("%s %s %s %s\n", aws_service_name((enum aws_service)s), ep->url,
			       ep->signing_region, ep->source);
		}
		rc = 0;
	} else if (!strcmp(cmd, "query") || !strcmp(cmd, "paginate")) {
		struct params p = PARAMS_INIT;
		int pag = !strcmp(cmd, "paginate"), first = i + (pag ? 3 : 2);
		if (first > argc || (s = svc_of(argv[i])) < 0) {
			rc = usage("query SVC ACTION [Name=Value]...");
			goto out;
		}
		if (add_params(&p, argv + first, argc - first) < 0) {
			params_free(&p);
			rc = usage("parameters are Name=Value");
			goto out;
		}
		if (pag) {
			struct page_count pc = { argv[i + 2], 0, 0 };
			if (aws_query_paginate(ctx, (enum aws_service)s, argv[i + 1], &p, on_page, &pc, &err) == 0) {
				printf("%ld %s in %ld pages\n", pc.items, pc.element, pc.pages);
				rc = 0;
			}
		} else {
			xmlDoc *doc = NULL;
			if (aws_query(ctx, (enum aws_service)s, argv[i + 1], &p, &doc, &err) == 0) {
				xmlDocFormatDump(stdout, doc, 1);
				xmlFreeDoc(doc);
				rc = 0;
			}
		}
		params_free(&p);
		if (rc)
			rc = fail(&err);
	} else if (!strcmp(cmd, "json11")) {
		json_object *in = NULL, *out = NULL;
		if (i + 2 > argc || (s = svc_of(argv[i])) < 0) {
			rc = usage("json11 SVC OP [JSON]");
			goto out;
		}
		if (i + 2 < argc && !(in = parse_json_arg(argv[i + 2]))) {
			rc = usage("bad JSON");
			goto out;
		}
		if (aws_json11(ctx, (enum aws_service)s, argv[i + 1], in, &out, &err) == 0)
			rc = print_json(out);
		else
			rc = fail(&err);
		json_object_put(in);
	} else if (!strcmp(cmd, "paginate-json11") || !strcmp(cmd, "paginate-rest-json")) {
		int j11 = cmd[9] == 'j';
		struct json_count jc = { NULL, 0, 0 };
		json_object *in = NULL;
		if (i + 3 > argc || (s = svc_of(argv[i])) < 0) {
			rc = usage("paginate-json11 SVC OP KEY [JSON] | paginate-rest-json SVC PATH KEY [QUERY]");
			goto out;
		}
		jc.key = argv[i + 2];
		if (j11 && i + 3 < argc && !(in = parse_json_arg(argv[i + 3]))) {
			rc = usage("bad JSON");
			goto out;
		}
		if (j11)
			rc = aws_json11_paginate(ctx, (enum aws_service)s, argv[i + 1], in, on_json_page, &jc, &err);
		else
			rc = aws_rest_json_paginate(ctx, (enum aws_service)s, argv[i + 1], i + 3 < argc ? argv[i + 3] : NULL,
						    on_json_page, &jc, &err);
		json_object_put(in);
		if (rc == 0)
			printf("%ld %s in %ld pages\n", jc.items, jc.key, jc.pages);
		else
			rc = fail(&err);
	} else if (!strcmp(cmd, "rest-json")) {
		json_object *in = NULL, *out = NULL;
		char *path, *q;
		if (i + 3 > argc || (s = svc_of(argv[i])) < 0) {
			rc = usage("rest-json SVC METHOD PATH [JSON|@FILE]");
			goto out;
		}
		if (i + 3 < argc && !(in = parse_json_arg(argv[i + 3]))) {
			rc = usage("bad JSON");
			goto out;
		}
		path = xstrdup(argv[i + 2]);
		if ((q = strchr(path, '?')))
			*q++ = 0;
		if (aws_rest_json(ctx, (enum aws_service)s, argv[i + 1], path, q, in, &out, &err) == 0)
			rc = print_json(out);
		else
			rc = fail(&err);
		free(path);
		json_object_put(in);
	} else if (!strcmp(cmd, "s3")) {
		struct aws_reply reply;
		struct buf body = BUF_INIT;
		const char *key = i + 2 < argc ? argv[i + 2] : NULL;
		if (i + 2 > argc) {
			rc = usage("s3 METHOD BUCKET [KEY [@FILE|STRING]]");
			goto out;
		}
		if (i + 3 < argc) {
			if (argv[i + 3][0] == '@') {
				if (read_file(argv[i + 3] + 1, &body) < 0) {
					rc = usage("cannot read the body file");
					goto out;
				}
			} else {
				buf_puts(&body, argv[i + 3]);
			}
		}
		if (aws_s3(ctx, argv[i], argv[i + 1], key && *key ? key : NULL, NULL, body.data, body.len, NULL,
			   &reply, &err) == 0) {
			fwrite(reply.http.body.data ? reply.http.body.data : "", 1, reply.http.body.len, stdout);
			rc = 0;
		} else {
			rc = fail(&err);
		}
		aws_reply_free(&reply);
		buf_free(&body);
	} else {
		rc = usage("unknown command");
	}
out:
	aws_ctx_free(ctx);
	return rc;
}
