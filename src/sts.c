/* sts.c - STS GetCallerIdentity: who the credentials belong to. */
#include "annex/sts.h"

#include <stdio.h>
#include <string.h>

#include "annex/xml.h"

int sts_get_caller_identity(struct aws_ctx *ctx, struct sts_identity *out, struct annex_err *err)
{
	struct params p = PARAMS_INIT;
	xmlDoc *doc = NULL;
	xmlNode *res;
	const char *colon;

	memset(out, 0, sizeof(*out));
	if (aws_query(ctx, AWS_STS, "GetCallerIdentity", &p, &doc, err) != 0)
		return -1;
	res = xml_find_deep(xmlDocGetRootElement(doc), "GetCallerIdentityResult");
	if (!res || xml_text_buf(res, "Account", out->account, sizeof(out->account)) != 0 ||
	    xml_text_buf(res, "Arn", out->arn, sizeof(out->arn)) != 0) {
		xmlFreeDoc(doc);
		return annex_err_set(err, "BadReply", "STS GetCallerIdentity: reply without Account or Arn");
	}
	xmlFreeDoc(doc);
	/* arn:PARTITION:... */
	if (strncmp(out->arn, "arn:", 4) == 0 && (colon = strchr(out->arn + 4, ':')) != NULL)
		snprintf(out->partition, sizeof(out->partition), "%.*s", (int)(colon - out->arn - 4), out->arn + 4);
	else
		snprintf(out->partition, sizeof(out->partition), "aws");
	return 0;
}
