/* ssm.h - the one SSM call annex makes: reading a public parameter (the
 * current Amazon Linux 2023 image id). */
#ifndef ANNEX_SSM_H
#define ANNEX_SSM_H

#include "annex/aws.h"

/* The parameter's value (malloc'd); ParameterNotFound is an error. */
int ssm_get_parameter(struct aws_ctx *ctx, const char *name, char **value, struct annex_err *err);

#endif
