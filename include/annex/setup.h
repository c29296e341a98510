/* setup.h - annex -setup's parts, which cmd_setup.c orchestrates: the
 * state its steps share, the chains that create the AWS side
 * (setup_chains.c) and -setup -remove (setup_remove.c). */
#ifndef ANNEX_SETUP_H
#define ANNEX_SETUP_H

#include <sys/types.h>

#include "annex/condorsetup.h"
#include "annex/err.h"
#include "annex/session.h"

struct setup_state {
	struct annex_session *s;
	char account[32];
	char partition[16];
	char *bucket;
	char *lease_role_arn, *function_arn, *node_role_arn, *profile_arn, *fleet_role_arn, *group_id;
	char *node_profile;           /* ANNEX_DEFAULT_ODI_INSTANCE_PROFILE_ARN before setup (setup_drift.h) */
	char *conn_role_arn, *conn_function_arn;   /* the connectivity function (issue 19) */
	struct condorsetup cs;        /* condor_annex's -setup block, if any */
	int condor_pieces;            /* CONDORSETUP_* bits in effect from it */
};

/* Creates (or finds, and brings in line with this version: setup_drift.h)
 * every piece, the independent chains side by side (aws_run_parallel),
 * printing condor_annex's progress lines in order; with -dry-run prints
 * what it would create or correct instead. setup_chains.c. */
int setup_create(struct setup_state *st, struct annex_err *err);

/* -setup -remove: deletes exactly what setup made, after listing running
 * annexes (refused unless -force) and asking (unless -yes). setup_remove.c. */
int setup_remove(struct setup_state *st, struct annex_err *err);

/* Where -setup records its knobs (malloc'd, NULL when root has no
 * LOCAL_CONFIG_DIR) and the mode of that file. cmd_setup.c. */
char *setup_knob_file(struct annex_session *s, mode_t *mode);

#endif
