/* cmd.h - the commands: orchestration only. Each takes the parsed options,
 * prints its progress lines on stdout, and returns 0 or -1 with err set;
 * main() prints err and picks the exit status. */
#ifndef ANNEX_CMD_H
#define ANNEX_CMD_H

#include "annex/cli.h"
#include "annex/err.h"

int cmd_config_val(const struct annex_opts *o, int *exit_status, struct annex_err *err);
int cmd_setup(const struct annex_opts *o, struct annex_err *err);
int cmd_check_setup(const struct annex_opts *o, struct annex_err *err);
int cmd_launch(const struct annex_opts *o, struct annex_err *err);
int cmd_auto(const struct annex_opts *o, struct annex_err *err);
int cmd_status(const struct annex_opts *o, struct annex_err *err);
int cmd_off(const struct annex_opts *o, struct annex_err *err);
int cmd_lease(const struct annex_opts *o, struct annex_err *err);       /* -annex-name X -duration H */
int cmd_reap(const struct annex_opts *o, struct annex_err *err);
int cmd_condor_off(const struct annex_opts *o, struct annex_err *err);  /* bare "off" */

#endif
