/* cmd_stubs.c - placeholders that keep the build linking until each
 * command's real implementation lands. Each returns a "NotImplemented"
 * error naming the command.
 *
 * DELETE EACH FUNCTION BELOW AS ITS REAL IMPLEMENTATION (src/cmd_*.c) IS
 * MERGED, and this file once it is empty: a stub and the real function
 * cannot both link. */
#include "annex/cmd.h"

/* delete when src/cmd_reap.c lands */
int cmd_reap(const struct annex_opts *o, struct annex_err *err)
{
	(void)o;
	return annex_err_set(err, "NotImplemented", "-reap is not implemented yet");
}
