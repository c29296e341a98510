/* ec2_images.c - EC2 calls about what a launch boots: images
 * (DescribeImages) and instance types (DescribeInstanceTypes). */
#include "annex/ec2.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "annex/xml.h"

int ec2_image_exists(struct aws_ctx *ctx, const char *image_id, char *arch, size_t arch_len,
		     struct annex_err *err)
{
	struct params p = PARAMS_INIT;
	xmlDoc *doc = NULL;
	xmlNode *set, *item;
	int found = 0;

	params_add(&p, "ImageId.1", image_id);
	if (ec2_query(ctx, "DescribeImages", &p, &doc, err) != 0) {
		if (strncmp(err->code, "InvalidAMIID", 12) == 0) {
			annex_err_clear(err);
			return 0;
		}
		return -1;
	}
	set = xml_find_deep(xmlDocGetRootElement(doc), "imagesSet");
	item = set ? xml_first(set, "item") : NULL;
	if (item) {
		found = 1;
		if (arch && xml_text_buf(item, "architecture", arch, arch_len) != 0)
			snprintf(arch, arch_len, "x86_64");
	}
	xmlFreeDoc(doc);
	return found;
}

int ec2_describe_image(struct aws_ctx *ctx, const char *image_id, struct ec2_image_info *info,
		       struct annex_err *err)
{
	struct params p = PARAMS_INIT;
	xmlDoc *doc = NULL;
	xmlNode *set, *item;
	char pub[8] = "";

	memset(info, 0, sizeof(*info));
	params_add(&p, "ImageId.1", image_id);
	if (ec2_query(ctx, "DescribeImages", &p, &doc, err) != 0) {
		if (strncmp(err->code, "InvalidAMIID", 12) == 0) {
			annex_err_clear(err);
			return 0;
		}
		return -1;
	}
	set = xml_find_deep(xmlDocGetRootElement(doc), "imagesSet");
	item = set ? xml_first(set, "item") : NULL;
	if (item) {
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
	return item ? 1 : 0;
}

int ec2_describe_instance_type(struct aws_ctx *ctx, const char *type, struct ec2_type_info *info,
			       struct annex_err *err)
{
	struct params p = PARAMS_INIT;
	xmlDoc *doc = NULL;
	xmlNode *set, *item, *archs;
	char metal[8] = "";

	memset(info, 0, sizeof(*info));
	params_add(&p, "InstanceType.1", type);
	if (ec2_query(ctx, "DescribeInstanceTypes", &p, &doc, err) != 0) {
		if (strncmp(err->code, "InvalidInstanceType", 19) == 0) {
			annex_err_clear(err);
			return 0;
		}
		return -1;
	}
	set = xml_find_deep(xmlDocGetRootElement(doc), "instanceTypeSet");
	item = set ? xml_first(set, "item") : NULL;
	if (item) {
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
	}
	xmlFreeDoc(doc);
	return item ? 1 : 0;
}
