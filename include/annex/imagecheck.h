/* imagecheck.h - before a launch asks the user anything: every instance
 * type and image it names, checked against what the nodes can boot
 * (platforms.h): the type is offered in the region (DescribeInstanceTypes;
 * a type not built on Nitro is a warning), the image exists
 * (DescribeImages), the type runs the image's architecture, and HTCondor
 * publishes packages for the image's distribution on that architecture.
 * Used for on-demand launches and for every (type, image) pair of a Spot
 * Fleet config. Each type and image is described once per launch.
 *
 *   struct imagecheck ic;
 *   imagecheck_init(&ic, aws, region, stderr);
 *   rc = imagecheck_pick_image(&ic, "m6i.large", &image_id, err);  // NULL: the default
 *   rc = imagecheck_pair(&ic, "m6i.large", image_id, err);
 *   imagecheck_free(&ic);
 */
#ifndef ANNEX_IMAGECHECK_H
#define ANNEX_IMAGECHECK_H

#include <stdio.h>

#include "annex/aws.h"
#include "annex/ec2.h"
#include "annex/err.h"

struct imagecheck_type;
struct imagecheck_image;

struct imagecheck {
	struct aws_ctx *aws;
	const char *region;          /* named in messages */
	FILE *warn;                  /* one "annex: warning: ..." line per warning */
	struct imagecheck_type *types;
	size_t n_types;
	struct imagecheck_image *images;
	size_t n_images;
};

void imagecheck_init(struct imagecheck *ic, struct aws_ctx *aws, const char *region, FILE *warn);
void imagecheck_free(struct imagecheck *ic);

/* When *image_id is NULL, sets it (malloc'd) to the default image for
 * type's architecture (the current Amazon Linux 2023 for x86_64, from its
 * public SSM parameter, saying so on stdout) or refuses where HTCondor
 * offers no such image (arm64). Then imagecheck_pair. 0, or -1 with err. */
int imagecheck_pick_image(struct imagecheck *ic, const char *type, char **image_id, struct annex_err *err);

/* Checks type (may be NULL: only the image) and image_id together; prints
 * the warnings, refuses with a one-line err naming what would work. */
int imagecheck_pair(struct imagecheck *ic, const char *type, const char *image_id, struct annex_err *err);

#endif
