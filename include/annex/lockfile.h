/* lockfile.h - per-user lock files that keep two annex processes from
 * acting on the same thing at once: flock(2) on a file in a directory only
 * the user can write (never a shared one such as /tmp, where another user
 * could create the file first and block every run of this one). Users:
 * -reap's lock (reaplock.h) and the per-annex lock of a launch and -off
 * (annexlock.h). A lock is per host: two hosts never see each other's.
 *
 * The file is never removed (removing a lock file another process may have
 * just opened would let a third lock a new file beside it). With
 * note_holder the holder writes its pid into it, so a waiter can name the
 * process it waited for.
 */
#ifndef ANNEX_LOCKFILE_H
#define ANNEX_LOCKFILE_H

#include <sys/types.h>

#include "annex/err.h"

/* How one kind of lock speaks in its errors. */
struct lockfile_kind {
	const char *code;      /* err->code: "ReapLock", "AnnexLock" */
	const char *what;      /* "-reap's lock", in messages */
	const char *fix;       /* appended to a refused directory's message, e.g. "set ANNEX_REAP_LOCK_FILE"; may be NULL */
	int note_holder;       /* write the holder's pid into the file (not for a file the user names: it keeps its bytes) */
};

/* The lock file name (one path component) in the user's private lock
 * directory, into *out (malloc'd): $XDG_RUNTIME_DIR/annex-NAME when that
 * variable names an absolute path to a directory of this user that no one
 * else may write to; else ~/.condor/annex/NAME, making ~/.condor and
 * ~/.condor/annex (0700) when missing. Returns 0, or -1 with err (code
 * k->code) when ~/.condor or ~/.condor/annex is not a directory of this
 * user, is writable by group or others, or there is no home. */
int lockfile_path(const struct lockfile_kind *k, const char *name, char **out, struct annex_err *err);

/* Opens (creating it 0600; never through a symlink; refusing a file that
 * is not a regular file of this user) and locks path, trying for up to
 * wait_ms; while waiting it blocks in flock (nothing polls or sleeps).
 * Returns the descriptor holding the lock (>= 0), with this process's pid
 * written into the file when k->note_holder; -2 when another process still held it at the end
 * of the wait (*holder, when not NULL, is the pid that process wrote, 0
 * when unknown); -1 with err on failure. */
int lockfile_acquire(const struct lockfile_kind *k, const char *path, long wait_ms, pid_t *holder,
		     struct annex_err *err);

/* Releases the lock (closing the descriptor); the file stays. fd < 0: no-op. */
void lockfile_release(int fd);

/* Appends to out (a buffer of size n) the file-name-safe form of s: letters,
 * digits and '-' as they are, every other byte as %XX (so '.', '/', '%'
 * and a leading '.' never reach the file system). Returns 0, or -1 when it
 * does not fit. */
int lockfile_escape(const char *s, char *out, size_t n);

#endif
