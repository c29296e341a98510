/* cmd_stubs.c - placeholders that keep the build linking until each
 * command's real implementation lands. Each returns a "NotImplemented"
 * error naming the command.
 *
 * DELETE EACH FUNCTION BELOW AS ITS REAL IMPLEMENTATION (src/cmd_*.c) IS
 * MERGED, and this file once it is empty: a stub and the real function
 * cannot both link. */
#include "annex/cmd.h"

/* delete when src/cmd_config_val.c lands (config engineer) */
/* delete when bare "off" (condor_off -annex X) lands */
int cmd_condor_off(const struct annex_opts *o, struct annex_err *err)
{
	(void)o;
	return annex_err_set(err, "NotImplemented", "off (condor_off -annex) is not implemented yet");
}

/* delete when src/cmd_reap.c lands */
int cmd_reap(const struct annex_opts *o, struct annex_err *err)
{
	(void)o;
	return annex_err_set(err, "NotImplemented", "-reap is not implemented yet");
}
