/* launch_userdata.h - what a launch's nodes boot with: the collector
 * address they join (checked), the pool password, the user's own script,
 * -config-dir's files and the HTCondor series to install, rendered by
 * bootscript.c into the launch spec's base64 user-data. The password, the
 * script and the user-data are secrets: held in cleansed buffers, never
 * printed. */
#ifndef ANNEX_LAUNCH_USERDATA_H
#define ANNEX_LAUNCH_USERDATA_H

#include <stddef.h>

#include "annex/bootscript.h"
#include "annex/cli.h"
#include "annex/err.h"
#include "annex/launch.h"

struct launch_userdata {
	char *collector;                        /* host[:port] the nodes join */
	unsigned char *password;                /* secret */
	size_t password_len;
	unsigned char *user_script;             /* secret; NULL: none */
	size_t user_script_len;
	const char *config_dir;                 /* -config-dir, for messages */
	struct bootscript_file *config_files;   /* its files */
	size_t n_config_files;
	char series[16];                        /* HTCondor series the nodes install if absent */
	char series_why[256];                   /* one line saying why */
	int no_may_use_aws;                     /* -no-may-use-aws: START without MayUseAWS == TRUE */
	long boot_failure_grace_s;              /* ANNEX_BOOT_FAILURE_GRACE; 0: the default */
	long join_timeout_s;                    /* ANNEX_JOIN_TIMEOUT; 0: the default */
	long spot_poll_s;                       /* ANNEX_SPOT_POLL_INTERVAL; 0: the default */
};

/* Refuses a collector address cloud nodes cannot use (empty, loopback,
 * link-local, unqualified), naming knob, the knob it came from; warns on
 * stderr about a private one. Takes addr (malloc'd, may be NULL) either way. */
int launch_userdata_collector(struct launch_userdata *u, char *addr, const char *knob, struct annex_err *err);

/* Reads the pool password (password_file, which must not be empty), the
 * user's own script (-aws-user-data[-file], else condor_annex's
 * -aws-default-user-data[-file]) and -config-dir's files; notes that
 * -aws-s3-config-path is ignored. */
int launch_userdata_read(struct launch_userdata *u, const struct annex_opts *o, const char *password_file,
			 struct annex_err *err);

/* The series nodes install when their image has none: the pool's own
 * (from the local condor_version) while HTCondor's repository carries it,
 * else the current LTS. */
void launch_userdata_pick_series(struct launch_userdata *u);

/* Renders the boot script for spec's annex (name, id, lease, idle time,
 * owners) and puts it, base64-encoded, into spec->user_data_b64. Refuses a
 * user-data over AWS's 16 KB limit, naming what made it large. */
int launch_userdata_encode(const struct launch_userdata *u, struct launch_spec *spec, struct annex_err *err);

/* Frees u, cleansing the secrets. */
void launch_userdata_free(struct launch_userdata *u);

#endif
