/* bootscript.h - the node's boot script (EC2 user-data, SPEC.md section 7).
 *
 * bootscript_render() fills the embedded template src/templates/bootscript.sh
 * with the values below. Every value reaches the script through one function,
 * bootscript_shell_quote(), as a single-quoted shell word; binary values (the
 * pool password, the user's script, extra config files) travel as base64
 * (OpenSSL EVP) and are decoded on the node with `base64 -d`, so their bytes
 * survive exactly and the password is never on a command line.
 *
 * The HTCondor config the node writes (/etc/condor/config.d/50-annex.config)
 * is composed here too (bootscript_render_config), from values validated for
 * HTCondor's config syntax (no newline, no macro or comment characters where
 * they would change the meaning); only EC2InstanceID is appended on the node,
 * read at boot from the instance metadata service.
 */
#ifndef ANNEX_BOOTSCRIPT_H
#define ANNEX_BOOTSCRIPT_H

#include <stddef.h>

#include "annex/buf.h"
#include "annex/err.h"

/* AWS's limit on user-data, before base64. */
#define BOOTSCRIPT_MAX_USER_DATA 16384
/* Where HTCondor 9+ keeps the pool password by default. */
#define BOOTSCRIPT_DEFAULT_PASSWORD_FILE "/etc/condor/passwords.d/POOL"
/* How long a node whose boot failed waits before it powers off
 * (ANNEX_BOOT_FAILURE_GRACE), and how long a node has to join the pool
 * before its watchdog powers it off (ANNEX_JOIN_TIMEOUT), in seconds. */
#define BOOTSCRIPT_DEFAULT_FAILURE_GRACE 300
#define BOOTSCRIPT_DEFAULT_JOIN_TIMEOUT 1800
/* How often a Spot node's interruption watcher asks the metadata service
 * for a notice (ANNEX_SPOT_POLL_INTERVAL), in seconds, and the most. */
#define BOOTSCRIPT_DEFAULT_SPOT_POLL 5
#define BOOTSCRIPT_MAX_SPOT_POLL 60
/* The current long-term-support series of HTCondor's repositories. */
#define BOOTSCRIPT_LTS_SERIES "25.0"

/* One HTCondor knob copied from the pool, e.g. { "SEC_DEFAULT_ENCRYPTION", "REQUIRED" }. */
struct bootscript_knob {
	const char *name;
	const char *value;
};

/* One extra config file from -config-dir: written to /etc/condor/config.d/<name>. */
struct bootscript_file {
	const char *name;
	const unsigned char *data;
	size_t len;
};

struct bootscript_values {
	const char *collector_addr;        /* host[:port] the nodes use (COLLECTOR_HOST) */
	const char *annex_name;            /* [A-Za-z0-9.-], at most 27 characters */
	const char *annex_id;              /* X_<uuid>, logged by the node */
	long long lease_end;               /* epoch seconds: the power-off backstop's fallback */
	const char *lease_end_iso;         /* ISO 8601 UTC of the same instant; NULL: derived */
	long idle_s;                       /* STARTD_NOCLAIM_SHUTDOWN */
	const char *owners;                /* "u1, u2" (comma or space separated); NULL: no owner clause */
	int no_may_use_aws;                /* 1: START does not require the job's MayUseAWS == TRUE */
	long boot_failure_grace_s;         /* 0: BOOTSCRIPT_DEFAULT_FAILURE_GRACE; at most 86400 */
	long join_timeout_s;               /* 0: BOOTSCRIPT_DEFAULT_JOIN_TIMEOUT; 60 to 604800 */
	int spot;                          /* 1: the launch asked for Spot: the script carries the
					    * interruption watcher (else not: 2 KB less user-data),
					    * armed when the node's instance-life-cycle is spot or,
					    * unreadable, on this flag */
	long spot_poll_s;                  /* 0: BOOTSCRIPT_DEFAULT_SPOT_POLL; 1 to BOOTSCRIPT_MAX_SPOT_POLL */
	const unsigned char *password;     /* the pool password file's bytes (secret) */
	size_t password_len;
	const char *password_file;         /* node-side SEC_PASSWORD_FILE; NULL: the default */
	const struct bootscript_knob *security;  /* pool settings copied before annex's own; may be NULL */
	size_t n_security;
	const char *series;                /* HTCondor repository series: "25.0", "25.x", ... */
	const struct bootscript_file *config_files;  /* from -config-dir; may be NULL */
	size_t n_config_files;
	const unsigned char *user_script;  /* the user's own user-data, run last; NULL: none */
	size_t user_script_len;
};

/* Appends s (len bytes) to out as one single-quoted shell word, each ' written
 * as '\''. The only way a value enters the script. s must hold no NUL byte
 * (a shell word cannot); callers pass binary data through base64 instead. */
void bootscript_shell_quote(struct buf *out, const char *s, size_t len);

/* Renders the boot script into out, which this function initialises as a
 * secret buffer (it holds the pool password): free it with buf_free().
 * Returns -1 with err->code "BootScript" naming the offending value. */
int bootscript_render(const struct bootscript_values *v, struct buf *out, struct annex_err *err);

/* The body of 50-annex.config (without the EC2InstanceID line the node adds). */
int bootscript_render_config(const struct bootscript_values *v, struct buf *out, struct annex_err *err);

/* Renders and returns what goes into RunInstances' UserData: the script as
 * is when it fits BOOTSCRIPT_MAX_USER_DATA, else gzip-compressed (cloud-init
 * detects gzip by its magic bytes), *gzipped telling which. Fails when even
 * the compressed script is too large. out is a secret buffer, as above. */
int bootscript_user_data(const struct bootscript_values *v, struct buf *out, int *gzipped,
			 struct annex_err *err);

/* Picks the repository series to install from the output of the local
 * `condor_version` (NULL or unparsable: none): the pool's own series
 * ("24.0" for 24.0.x, "25.x" for a 25.N feature release) when HTCondor's
 * repository still carries it, else BOOTSCRIPT_LTS_SERIES. Writes the series
 * to out and a one-line reason to why (both at least 128 bytes), for launch
 * to print. */
void bootscript_pick_series(const char *condor_version_output, char *out, size_t out_len,
			    char *why, size_t why_len);

#endif
