/* poolstatus.h - which EC2 instances joined the pool, from HTCondor's own
 * condor_status (SPEC.md section 2: annex links no HTCondor library). Run
 * through runcmd.c, no shell; used by the inventory (inventory.c). */
#ifndef ANNEX_POOLSTATUS_H
#define ANNEX_POOLSTATUS_H

#include "annex/err.h"

/* The condor_status to run: named (the knob ANNEX_CONDOR_STATUS: a path, or a name looked
 * up on PATH) when set and not empty, else condor_status on PATH. Returns
 * a malloc'd path, or NULL with *why set to a one-line reason (malloc'd). */
char *poolstatus_find(const char *named, char **why);

/* One startd ad of the -af query, as printed ("undefined" for a missing
 * attribute); instance_id is NULL when the ad has no EC2InstanceID;
 * entered is EnteredCurrentState, -1 when not a number. */
struct poolstatus_ad {
	const char *name;
	const char *annex;
	const char *instance_id;
	const char *state;
	const char *activity;
	long long entered;
};
typedef void (*poolstatus_ad_fn)(const struct poolstatus_ad *ad, void *ud);

/* Runs `EXE -annex NAME -af Name AnnexName EC2InstanceID State Activity
 * EnteredCurrentState` (stdin /dev/null, stderr passed through) and calls
 * fn for each output line whose AnnexName is NAME and whose EC2InstanceID
 * looks like an instance id or is undefined, only once the program has
 * exited 0. -1 with err when it cannot be started ("Exec"), is killed or
 * exits non-zero ("PoolStatus"). */
int poolstatus_annex_ads(const char *exe, const char *annex, poolstatus_ad_fn fn, void *ud,
			 struct annex_err *err);

#endif
