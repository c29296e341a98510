/* permprobe.h - least privilege proven at check time: -check-setup asks
 * EC2 whether the user's credentials may make each mutating call a launch,
 * -off and the undo make, with DryRun=true and the parameters annex sends
 * (its instance profile, security groups, image, type, fleet role and
 * tags), and reads the verdict (docs/iam.md, "What -check-setup proves"):
 *
 *   DryRunOperation        allowed
 *   UnauthorizedOperation  missing: the action is named with AWS's message
 *   a success reply        the endpoint ignored DryRun (an emulator): read
 *                          calls count as allowed; what a mutating call
 *                          made is ended at once and the probe fails
 *   NotFound/Malformed of  TerminateInstances/CancelSpotFleetRequests/
 *   the made-up id         DeleteFleets name an id, CreateFleet a launch
 *   (or template)          template, that does not exist; AWS looked it up
 *                          before deciding, so the permission is not proved
 *                          either way (a warning, not a failure)
 *   anything else          the call would fail: AWS's words, a failure
 *
 * The probes are independent and run at once (aws_run_parallel); each is
 * resent on throttling like any call. The lease function's role is another
 * principal that the user's credentials cannot probe: -check-setup's drift
 * comparison (setup_drift.h) checks its policy document instead. */
#ifndef ANNEX_PERMPROBE_H
#define ANNEX_PERMPROBE_H

#include <stdio.h>

#include "annex/aws.h"

/* What the probes send: annex's pieces, from the knobs -setup writes. */
struct permprobe_spec {
	const char *image_id;          /* NULL: the probe line says none could be had */
	const char *instance_type;
	const char *instance_profile_arn;
	const char *security_group_ids; /* comma- or space-separated */
	const char *key_name;          /* NULL: none */
	const char *fleet_role_arn;    /* NULL: no Spot Fleet probe */
	const char *probes;            /* ANNEX_CHECK_PERMISSIONS: the EC2 actions to probe */
};

/* The verdict, as text for one check line. */
struct permprobe_result {
	int probed;                    /* probes sent */
	int missing;                   /* actions refused (UnauthorizedOperation) */
	int failing;                   /* probes that failed otherwise (or made something) */
	struct buf denied;             /* "ec2:RunInstances (UnauthorizedOperation: ...); ..." */
	struct buf failed;             /* the same shape, for the failing ones */
	struct buf unproven;           /* "ec2:TerminateInstances (...); ..." */
};

/* The action names ANNEX_CHECK_PERMISSIONS accepts, space-separated. */
extern const char permprobe_actions[];

/* Checks a probe list: 0, or -1 naming the word that is no probe. */
int permprobe_validate(const char *probes, struct annex_err *err);

/* Sends every probe the spec's list names, at once, and fills res (free
 * with permprobe_result_free). Returns -1 only when the spec is unusable. */
int permprobe_run(struct aws_ctx *aws, const struct permprobe_spec *spec, struct permprobe_result *res,
		  struct annex_err *err);
void permprobe_result_free(struct permprobe_result *res);

#endif
