/* launchplan.h - the pure parts of a launch: validating what the user asked
 * for, naming the annex, the lease arithmetic and condor_annex's prompt
 * wording. No I/O, no AWS (cmd_launch.c does those). */
#ifndef ANNEX_LAUNCHPLAN_H
#define ANNEX_LAUNCHPLAN_H

#include <stddef.h>
#include <time.h>

#include "annex/buf.h"
#include "annex/err.h"

#define ANNEX_NAME_MAX 27            /* so that X_<uuid> fits EC2's 64-character ClientToken */
#define ANNEX_USER_DATA_MAX 16384    /* AWS's limit, before base64 */

/* Checks an annex name: required, [A-Za-z0-9.-], at most 27 characters. */
int launchplan_check_name(const char *name, struct annex_err *err);

/* Checks an instance type's shape ("m5.large", "g4dn.xlarge", "u-6tb1.metal", "c7i.metal-24xl"). */
int launchplan_check_instance_type(const char *type, const char *option, struct annex_err *err);

/* "arm64" for Graviton instance types (a1, and families whose letters
 * after the generation digit include 'g': m6g, c7gn, t4g, is4gen, g5g),
 * else "x86_64". Assumes a type launchplan_check_instance_type accepted. */
const char *launchplan_arch_of_type(const char *type);

/* Writes a random (version 4) UUID, 36 characters + NUL. */
int launchplan_uuid(char out[37], struct annex_err *err);

/* "X_<uuid>": the annex id, ClientToken, rule name and target id. */
char *launchplan_annex_id(const char *name, const char *uuid);


/* The lease end: now + hours, rounded to the second. */
time_t launchplan_lease_end(time_t now, double hours);

enum collector_verdict {
	COLLECTOR_OK,
	COLLECTOR_WARN_PRIVATE,      /* usable only if the cloud can route to it */
	COLLECTOR_REFUSE_LOOPBACK,
	COLLECTOR_REFUSE_LINK_LOCAL,
	COLLECTOR_REFUSE_UNQUALIFIED,
	COLLECTOR_REFUSE_EMPTY,
};

/* Classifies the collector address nodes will use ("host", "host:port",
 * "<ip:port?...>" sinful strings, "[v6]:port"); host_out receives the host
 * part. Pure: no name resolution. */
enum collector_verdict launchplan_classify_collector(const char *addr, char *host_out, size_t host_len,
						     int *port_out);

/* condor_annex's prompts and hints, exactly (SPEC.md section 1). */
void launchplan_prompt_ondemand(struct buf *out, long count, const char *type, double lease_h, double idle_h);
/* An EC2 Fleet's (-instance-types, -spot): the types joined "a, b or c". */
void launchplan_prompt_ec2fleet(struct buf *out, long count, int spot, char *const *types, size_t n_types,
				int prioritized, int fallback, double lease_h, double idle_h);
void launchplan_prompt_fleet(struct buf *out, long slots, double lease_h, double idle_h);
/* 1 for yes ("yes"/"y", any case), 0 for anything else (EOF = no). */
int launchplan_is_yes(const char *answer);

#endif
