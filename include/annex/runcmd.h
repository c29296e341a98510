/* runcmd.h - running a local HTCondor tool (condor_version, condor_status)
 * without a shell, capturing its standard output. */
#ifndef ANNEX_RUNCMD_H
#define ANNEX_RUNCMD_H

#include "annex/buf.h"
#include "annex/err.h"

/* Runs argv[0] (looked up in PATH) with argv, stdin from /dev/null, stderr
 * discarded; appends its stdout to out and stores its exit status (or 128 +
 * signal) in *status. -1 with err when it cannot be started at all. */
int runcmd_capture(char *const argv[], struct buf *out, int *status, struct annex_err *err);

/* 1 when name is an executable file in PATH (or a path that is). */
int runcmd_exists(const char *name);

#endif
