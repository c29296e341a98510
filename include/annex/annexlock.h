/* annexlock.h - the per-annex lock: a launch and `-off` of the same annex
 * (same region, same -annex-name) never act at once on this host. A launch
 * holds it from before its first call that changes anything (the lease
 * rule) until its instances exist, tagged (RunInstances tags them as it
 * makes them; a Spot Fleet's request is tagged and -off's cancel ends
 * what it starts later); -off holds it across its listing and ending. So
 * an -off that starts while a launch of its annex is in flight waits for
 * the launch and then sees, and ends, every instance it started.
 *
 * The lock is per host (lockfile.h). Across hosts -off relies on the
 * cloud: after ending what it listed it lists again and ends what is new
 * until a listing finds nothing new (docs/security.md, "Local measures").
 */
#ifndef ANNEX_ANNEXLOCK_H
#define ANNEX_ANNEXLOCK_H

#include "annex/err.h"

struct annex_session;

/* Takes the lock of annex `name` in s's region, waiting up to the knob
 * ANNEX_LOCK_WAIT. Returns the descriptor to hand to annexlock_release
 * (>= 0), or -1 with err: "AnnexLock" when another process still held it
 * after the wait (the message names the annex, the region, the wait and
 * the other process when it is known) or the lock file cannot be made. */
int annexlock_take(const struct annex_session *s, const char *name, struct annex_err *err);

/* -auto's lock of prefix in s's region ("auto.REGION.PREFIX.lock"), held
 * from before it lists what is on its way until its launches are made, so
 * two runs from cron never plan at once; errors as annexlock_take. */
int annexlock_take_auto(const struct annex_session *s, const char *prefix, struct annex_err *err);

/* The lock file's name for (region, name): "name.REGION.NAME.lock" with
 * both parts escaped (lockfile_escape). malloc'd, or NULL when too long. */
char *annexlock_file_name(const char *region, const char *name);

void annexlock_release(int fd);

#endif
