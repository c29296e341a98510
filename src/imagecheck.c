/* imagecheck.c - a launch's instance types and images, described once
 * each and checked with platforms.c before the user is asked (see
 * include/annex/imagecheck.h). */
#include "annex/imagecheck.h"

#include <stdlib.h>
#include <string.h>

#include "annex/buf.h"
#include "annex/platforms.h"
#include "annex/ssm.h"

struct imagecheck_type {
	char *name;
	int found;
	struct ec2_type_info info;
	const char *arches[EC2_TYPE_MAX_ARCHES];
};

struct imagecheck_image {
	char *id;
	int found;
	struct ec2_image_info info;
};

void imagecheck_init(struct imagecheck *ic, struct aws_ctx *aws, const char *region, FILE *warn)
{
	memset(ic, 0, sizeof(*ic));
	ic->aws = aws;
	ic->region = region ? region : "this region";
	ic->warn = warn;
}

void imagecheck_free(struct imagecheck *ic)
{
	for (size_t i = 0; i < ic->n_types; i++)
		free(ic->types[i].name);
	for (size_t i = 0; i < ic->n_images; i++)
		free(ic->images[i].id);
	free(ic->types);
	free(ic->images);
	memset(ic, 0, sizeof(*ic));
}

static void warn(struct imagecheck *ic, const struct buf *msg)
{
	if (ic->warn && msg->len)
		fprintf(ic->warn, "annex: warning: %s.\n", buf_cstr(msg));
}

static struct type_facts facts_of(const struct imagecheck_type *t)
{
	struct type_facts f = { t->info.type, t->arches, t->info.n_arches, t->info.hypervisor, t->info.bare_metal };
	return f;
}

/* The type, described once (the first time: the Nitro warning). */
static struct imagecheck_type *get_type(struct imagecheck *ic, const char *name, struct annex_err *err)
{
	struct imagecheck_type *t;
	struct buf msg = BUF_INIT;
	struct type_facts f;
	int rc;

	for (size_t i = 0; i < ic->n_types; i++) {
		if (strcmp(ic->types[i].name, name) != 0)
			continue;
		if (!ic->types[i].found)
			annex_err_set(err, "InvalidInstanceType", "instance type %s is not offered in %s; "
				      "choose another (e.g. " PLATFORMS_DEFAULT_TYPE ")", name, ic->region);
		return ic->types[i].found ? &ic->types[i] : NULL;
	}
	ic->types = xrealloc(ic->types, (ic->n_types + 1) * sizeof(*ic->types));
	t = &ic->types[ic->n_types];
	memset(t, 0, sizeof(*t));
	rc = ec2_describe_instance_type(ic->aws, name, &t->info, err);
	if (rc < 0) {
		annex_err_prefix(err, "describing instance type %s", name);
		return NULL;
	}
	t->name = xstrdup(name);
	t->found = rc;
	ic->n_types++;
	if (!rc) {
		annex_err_set(err, "InvalidInstanceType", "instance type %s is not offered in %s (DescribeInstanceTypes); "
			      "choose another (e.g. " PLATFORMS_DEFAULT_TYPE ")", name, ic->region);
		return NULL;
	}
	for (size_t i = 0; i < t->info.n_arches; i++)
		t->arches[i] = t->info.arches[i];
	f = facts_of(t);
	if (platforms_type_not_nitro(&f, &msg))
		warn(ic, &msg);
	buf_free(&msg);
	return t;
}

static struct imagecheck_image *get_image(struct imagecheck *ic, const char *id, struct annex_err *err)
{
	struct imagecheck_image *im = NULL;
	int rc;

	for (size_t i = 0; i < ic->n_images && !im; i++)
		if (strcmp(ic->images[i].id, id) == 0)
			im = &ic->images[i];
	if (!im) {
		ic->images = xrealloc(ic->images, (ic->n_images + 1) * sizeof(*ic->images));
		im = &ic->images[ic->n_images];
		memset(im, 0, sizeof(*im));
		rc = ec2_describe_image(ic->aws, id, &im->info, err);
		if (rc < 0) {
			annex_err_prefix(err, "describing image %s", id);
			return NULL;
		}
		im->id = xstrdup(id);
		im->found = rc;
		ic->n_images++;
	}
	if (!im->found) {
		annex_err_set(err, "InvalidAMIID.NotFound", "image %s does not exist in %s; check the AMI id "
			      "(image ids differ from region to region) and the region (-aws-region)", id, ic->region);
		return NULL;
	}
	return im;
}

int imagecheck_pair(struct imagecheck *ic, const char *type, const char *image_id, struct annex_err *err)
{
	struct imagecheck_type *t = NULL;
	struct imagecheck_image *im;
	struct image_facts img;
	struct type_facts f;
	const char *own_arch[1];
	struct buf msg = BUF_INIT;
	enum platform_verdict v;
	int before = (int)ic->n_images;

	if (type && !(t = get_type(ic, type, err)))
		return -1;
	if (!(im = get_image(ic, image_id, err)))
		return -1;
	img = (struct image_facts){ im->info.id, im->info.arch, im->info.name, im->info.description,
				    im->info.platform, im->info.platform_details, im->info.is_public };
	if (t) {
		f = facts_of(t);
	} else {  /* no type named: only what the image itself says */
		own_arch[0] = *im->info.arch ? im->info.arch : "x86_64";
		f = (struct type_facts){ "the instance type", own_arch, 1, "nitro", 0 };
	}
	v = platforms_check_image(&img, &f, &msg);
	if (platforms_refuses(v))
		annex_err_set(err, "UnsuitableImage", "%s", buf_cstr(&msg));
	else if (v != PLATFORM_OK && (int)ic->n_images > before)  /* warn once per image */
		warn(ic, &msg);
	buf_free(&msg);
	return platforms_refuses(v) ? -1 : 0;
}

int imagecheck_pick_image(struct imagecheck *ic, const char *type, char **image_id, struct annex_err *err)
{
	struct imagecheck_type *t;
	struct type_facts f;
	struct buf msg = BUF_INIT;
	const char *arch, *param;
	int rc;

	if (!*image_id) {
		if (!(t = get_type(ic, type, err)))
			return -1;
		f = facts_of(t);
		arch = platforms_type_arch(&f);
		param = platforms_default_image_parameter(arch, type, &msg);
		if (!param) {
			annex_err_set(err, "NoDefaultImage", "%s", buf_cstr(&msg));
			buf_free(&msg);
			return -1;
		}
		rc = ssm_get_parameter(ic->aws, param, image_id, err);
		if (rc != 0)
			return annex_err_prefix(err, "looking up the Amazon Linux 2023 image (give "
						"-aws-on-demand-ami-id or set ANNEX_DEFAULT_ODI_IMAGE_ID)");
		printf("Using the current Amazon Linux 2023 image for %s, %s (set ANNEX_DEFAULT_ODI_IMAGE_ID "
		       "or -aws-on-demand-ami-id to choose another).\n", arch, *image_id);
	}
	return imagecheck_pair(ic, type, *image_id, err);
}
