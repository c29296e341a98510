/* setupregions.h - the regions that have a setup recorded in the
 * configuration, for -reap, which visits each of them.
 *
 * -setup writes its knobs region-prefixed (LOCAL.ANNEX_DEFAULT_S3_BUCKET,
 * SPEC.md section 3), LOCAL being the region with '-' turned into '_';
 * since this change it also writes LOCAL.ANNEX_SETUP_REGION = REGION. A
 * region counts as set up when the configuration sets, under its local
 * name, ANNEX_SETUP_REGION or a lease function ARN (a setup made before
 * ANNEX_SETUP_REGION existed, or by condor_annex). Only the names are
 * looked at here; the values are read through the knob registry by the
 * session opened for the region (session_open_region).
 */
#ifndef ANNEX_SETUPREGIONS_H
#define ANNEX_SETUPREGIONS_H

#include <stddef.h>

#include "annex/config.h"

/* The regions, sorted and without repeats; a local name that is no valid
 * region name ("my_test") is left out. *out is a malloc'd vector of
 * malloc'd strings (setupregions_free); returns how many. */
size_t setupregions_find(const struct annex_config *cfg, char ***out);

/* The region whose local name is local ("us_east_1" -> "us-east-1"), or
 * NULL when local is not one (malloc'd). */
char *setupregions_from_local_name(const char *local);

void setupregions_free(char **v, size_t n);

#endif
