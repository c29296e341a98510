/* reaplock.h - the lock that keeps two `annex -reap` runs from acting at
 * once (cron may start one while the last is still going): flock(2) on a
 * per-user lock file, through lockfile.h. */
#ifndef ANNEX_REAPLOCK_H
#define ANNEX_REAPLOCK_H

#include "annex/err.h"

/* The lock file, into *out (malloc'd): configured (ANNEX_REAP_LOCK_FILE)
 * when not NULL or empty; else $XDG_RUNTIME_DIR/annex-reap.lock when that
 * variable names an absolute path to a directory of this user that no one
 * else may write to; else ~/.condor/annex/reap.lock, making ~/.condor and
 * ~/.condor/annex (0700) when missing. Never a shared directory such as
 * /tmp. Returns 0, or -1 with err ("ReapLock") when ~/.condor or
 * ~/.condor/annex is not a directory of this user or is writable by group
 * or others, or there is no home. */
int reaplock_path(const char *configured, char **out, struct annex_err *err);

/* Opens (creating it 0600; never through a symlink; refusing a file that
 * is not a regular file of this user) and locks path, trying for up to
 * wait_ms. Returns the descriptor holding the lock (>= 0); -2 when another
 * process still held it at the end of the wait; -1 with err on failure. */
int reaplock_acquire(const char *path, long wait_ms, struct annex_err *err);

/* Releases the lock (closing the descriptor); the file stays. */
void reaplock_release(int fd);

#endif
