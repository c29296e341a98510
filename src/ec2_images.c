/* ec2_images.c - EC2 calls about what a launch boots: images
 * (DescribeImages) and instance types (DescribeInstanceTypes). */
#include "annex/ec2.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "annex/xml.h"

/* Describes one resource: action with name = value. 1 with *doc (free it)
 * and *item set, 0 when there is none (no item, or an error code that
 * starts with notfound), -1 with err. */
static int ec2_describe_one(struct aws_ctx *ctx, const char *action, const char *name, const char *value,
			    const char *notfound, const char *set_name, xmlDoc **doc, xmlNode **item,
			    struct annex_err *err)
{
	struct params p = PARAMS_INIT;
	xmlNode *set;

	*doc = NULL;
	*item = NULL;
	params_add(&p, name, value);
	if (ec2_query(ctx, action, &p, doc, err) != 0) {
		if (strncmp(err->code, notfound, strlen(notfound)) == 0) {
			annex_err_clear(err);
			return 0;
		}
		return -1;
	}
	set = xml_find_deep(xmlDocGetRootElement(*doc), set_name);
	*item = set ? xml_first(set, "item") : NULL;
	return *item ? 1 : 0;
}

int ec2_image_exists(struct aws_ctx *ctx, const char *image_id, char *arch, size_t arch_len,
		     struct annex_err *err)
{
	xmlDoc *doc;
	xmlNode *item;
	int rc = ec2_describe_one(ctx, "DescribeImages", "ImageId.1", image_id, "InvalidAMIID", "imagesSet",
				  &doc, &item, err);

	if (rc == 1 && arch && xml_text_buf(item, "architecture", arch, arch_len) != 0)
		snprintf(arch, arch_len, "x86_64");
	xmlFreeDoc(doc);
	return rc;
}

int ec2_describe_image(struct aws_ctx *ctx, const char *image_id, struct ec2_image_info *info,
		       struct annex_err *err)
{
	xmlDoc *doc;
	xmlNode *item;
	char pub[8] = "";
	int rc;

	memset(info, 0, sizeof(*info));
	rc = ec2_describe_one(ctx, "DescribeImages", "ImageId.1", image_id, "InvalidAMIID", "imagesSet", &doc,
			      &item, err);
	if (rc == 1) {
		xml_text_buf(item, "imageId", info->id, sizeof(info->id));
		xml_text_buf(item, "architecture", info->arch, sizeof(info->arch));
		xml_text_buf(item, "name", info->name, sizeof(info->name));
		xml_text_buf(item, "description", info->description, sizeof(info->description));
		xml_text_buf(item, "platform", info->platform, sizeof(info->platform));
		xml_text_buf(item, "platformDetails", info->platform_details, sizeof(info->platform_details));
		xml_text_buf(item, "isPublic", pub, sizeof(pub));
		info->is_public = strcmp(pub, "true") == 0;
		if (!*info->id)
			snprintf(info->id, sizeof(info->id), "%s", image_id);
	}
	xmlFreeDoc(doc);
	return rc;
}

/* A whole number at path under item; 0 when absent or not one. */
static long xml_long(xmlNode *item, const char *path)
{
	char v[32] = "";
	char *end;
	long n;

	xml_text_buf(item, path, v, sizeof(v));
	n = strtol(v, &end, 10);
	return *v && !*end && n > 0 ? n : 0;
}

int ec2_describe_instance_type(struct aws_ctx *ctx, const char *type, struct ec2_type_info *info,
			       struct annex_err *err)
{
	xmlDoc *doc;
	xmlNode *item, *archs;
	char metal[8] = "";
	int rc;

	memset(info, 0, sizeof(*info));
	rc = ec2_describe_one(ctx, "DescribeInstanceTypes", "InstanceType.1", type, "InvalidInstanceType",
			      "instanceTypeSet", &doc, &item, err);
	if (rc == 1) {
		xml_text_buf(item, "instanceType", info->type, sizeof(info->type));
		xml_text_buf(item, "hypervisor", info->hypervisor, sizeof(info->hypervisor));
		xml_text_buf(item, "bareMetal", metal, sizeof(metal));
		info->bare_metal = strcmp(metal, "true") == 0;
		archs = xml_find(item, "processorInfo/supportedArchitectures");
		for (xmlNode *a = archs ? xml_first(archs, "item") : NULL; a && info->n_arches < EC2_TYPE_MAX_ARCHES;
		     a = xml_next(a, "item")) {
			xmlChar *t = xmlNodeGetContent(a);
			if (t && *t)
				snprintf(info->arches[info->n_arches++], sizeof(info->arches[0]), "%s", (const char *)t);
			xmlFree(t);
		}
		if (!*info->type)
			snprintf(info->type, sizeof(info->type), "%s", type);
		info->vcpus = xml_long(item, "vCpuInfo/defaultVCpus");
		info->memory_mib = xml_long(item, "memoryInfo/sizeInMiB");
		archs = xml_find(item, "gpuInfo/gpus");
		for (xmlNode *g = archs ? xml_first(archs, "item") : NULL; g; g = xml_next(g, "item"))
			info->gpus += xml_long(g, "count");
	}
	xmlFreeDoc(doc);
	return rc;
}
