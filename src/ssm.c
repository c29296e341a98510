/* ssm.c - SSM GetParameter (JSON 1.1, X-Amz-Target: AmazonSSM.GetParameter). */
#include "annex/ssm.h"

int ssm_get_parameter(struct aws_ctx *ctx, const char *name, char **value, struct annex_err *err)
{
	json_object *in = json_object_new_object(), *out = NULL, *param, *v;
	int rc;

	*value = NULL;
	json_object_object_add(in, "Name", json_object_new_string(name));
	rc = aws_json11(ctx, AWS_SSM, "GetParameter", in, &out, err);
	json_object_put(in);
	if (rc == 0) {
		if (json_object_object_get_ex(out, "Parameter", &param) &&
		    json_object_object_get_ex(param, "Value", &v) && json_object_is_type(v, json_type_string))
			*value = xstrdup(json_object_get_string(v));
		else
			rc = annex_err_set(err, "BadReply", "SSM GetParameter %s: reply without a value", name);
	}
	json_object_put(out);
	return rc;
}
