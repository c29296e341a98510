/* platforms.c - the distributions and architectures annex's nodes can boot,
 * and the pure decisions a launch makes from them (see
 * include/annex/platforms.h and docs/images.md). */
#include "annex/platforms.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

/* What the boot script installs HTCondor on (its install_htcondor), with
 * the architectures HTCondor's repositories carry packages for. HTCondor's
 * "Linux (from our repositories)" page (25.x, 2025): binaries for x86_64 on
 * every platform; also aarch64 for Enterprise Linux 8, 9 and 10 only. So
 * Amazon Linux 2023, Ubuntu and Debian are x86_64 only. Keep in step with
 * src/templates/bootscript.sh (tests/unit/test_platforms.c checks both). */
static const struct platform table[] = {
	{ "amzn", "2023", "Amazon Linux 2023", PLATFORM_X86_64 },
	{ "rocky", "9", "Rocky Linux 9", PLATFORM_X86_64 | PLATFORM_ARM64 },
	{ "almalinux", "9", "AlmaLinux 9", PLATFORM_X86_64 | PLATFORM_ARM64 },
	{ "rhel", "9", "Red Hat Enterprise Linux 9", PLATFORM_X86_64 | PLATFORM_ARM64 },
	{ "ubuntu", "22.04", "Ubuntu 22.04", PLATFORM_X86_64 },
	{ "ubuntu", "24.04", "Ubuntu 24.04", PLATFORM_X86_64 },
	{ "debian", "12", "Debian 12", PLATFORM_X86_64 },
};
#define N_TABLE (sizeof(table) / sizeof(table[0]))

const struct platform *platforms_at(size_t i)
{
	return i < N_TABLE ? &table[i] : NULL;
}

size_t platforms_count(void)
{
	return N_TABLE;
}

unsigned platforms_arch_bit(const char *arch)
{
	if (arch && strcmp(arch, "x86_64") == 0)
		return PLATFORM_X86_64;
	if (arch && strcmp(arch, "arm64") == 0)
		return PLATFORM_ARM64;
	return 0;
}

static const struct platform *row(const char *os_id, const char *version)
{
	for (size_t i = 0; i < N_TABLE; i++)
		if (strcmp(table[i].os_id, os_id) == 0 && strcmp(table[i].version, version) == 0)
			return &table[i];
	return NULL;
}

/* How an image is recognised: first match wins. The publishers' own
 * naming: Amazon (al2023-ami-..., amzn2-ami-...), Canonical
 * (ubuntu/images/hvm-ssd-gp3/ubuntu-noble-24.04-amd64-server-...; "Canonical,
 * Ubuntu, 24.04, amd64 noble image"), Debian (debian-12-amd64-...), Rocky
 * (Rocky-9-EC2-Base-9.4-...), AlmaLinux ("AlmaLinux OS 9.4.20240507 x86_64"),
 * Red Hat (RHEL-9.4.0_HVM-...), SUSE (suse-sles-15-...), Microsoft
 * (Windows_Server-2022-...). */
enum where { NAME_PREFIX, NAME_PART, DESC_PART, DETAILS_PART };

static const struct recognise {
	enum where where;
	const char *text;
	const char *family;
	const char *os_id, *version;  /* the table's row, or NULL: unsupported */
} recognisers[] = {
	{ NAME_PREFIX, "Windows_", "Windows", NULL, NULL },
	{ DETAILS_PART, "Windows", "Windows", NULL, NULL },
	{ NAME_PREFIX, "al2023-", "Amazon Linux 2023", "amzn", "2023" },
	{ DESC_PART, "Amazon Linux 2023", "Amazon Linux 2023", "amzn", "2023" },
	{ NAME_PREFIX, "al2022-", "Amazon Linux 2022", NULL, NULL },
	{ NAME_PREFIX, "amzn2-", "Amazon Linux 2", NULL, NULL },
	{ NAME_PREFIX, "amazon-eks-node", "Amazon Linux 2", NULL, NULL },
	{ NAME_PREFIX, "amzn-ami-", "Amazon Linux AMI (2018)", NULL, NULL },
	{ NAME_PART, "ubuntu-jammy-22.04-", "Ubuntu 22.04", "ubuntu", "22.04" },
	{ DESC_PART, "Canonical, Ubuntu, 22.04", "Ubuntu 22.04", "ubuntu", "22.04" },
	{ NAME_PART, "ubuntu-noble-24.04-", "Ubuntu 24.04", "ubuntu", "24.04" },
	{ DESC_PART, "Canonical, Ubuntu, 24.04", "Ubuntu 24.04", "ubuntu", "24.04" },
	{ NAME_PART, "/images/", "an Ubuntu release other than 22.04 and 24.04", NULL, NULL },
	{ DESC_PART, "Canonical, Ubuntu", "an Ubuntu release other than 22.04 and 24.04", NULL, NULL },
	{ NAME_PREFIX, "debian-12-", "Debian 12", "debian", "12" },
	{ NAME_PREFIX, "debian-", "a Debian release other than 12", NULL, NULL },
	{ NAME_PREFIX, "Rocky-9", "Rocky Linux 9", "rocky", "9" },
	{ NAME_PREFIX, "Rocky-", "a Rocky Linux release other than 9", NULL, NULL },
	{ NAME_PREFIX, "AlmaLinux OS 9", "AlmaLinux 9", "almalinux", "9" },
	{ NAME_PREFIX, "AlmaLinux OS ", "an AlmaLinux release other than 9", NULL, NULL },
	{ NAME_PREFIX, "RHEL-9", "Red Hat Enterprise Linux 9", "rhel", "9" },
	{ NAME_PREFIX, "RHEL-", "a Red Hat Enterprise Linux release other than 9", NULL, NULL },
	{ DETAILS_PART, "Red Hat", "Red Hat Enterprise Linux", NULL, NULL },
	{ NAME_PREFIX, "suse-", "SUSE Linux", NULL, NULL },
	{ DETAILS_PART, "SUSE", "SUSE Linux", NULL, NULL },
};

static int has_prefix(const char *s, const char *p)
{
	return s && strncasecmp(s, p, strlen(p)) == 0;
}

static int has_part(const char *s, const char *p)
{
	return s && strcasestr(s, p) != NULL;
}

const struct platform *platforms_recognise(const struct image_facts *img, char *family, size_t family_len)
{
	if (family_len)
		family[0] = 0;
	if (img->platform && strcasecmp(img->platform, "windows") == 0) {
		snprintf(family, family_len, "Windows");
		return NULL;
	}
	/* the name first (the publisher's own), then description and details */
	for (size_t i = 0; i < 2 * (sizeof(recognisers) / sizeof(recognisers[0])); i++) {
		const size_t n = sizeof(recognisers) / sizeof(recognisers[0]);
		const struct recognise *r = &recognisers[i % n];
		int by_name = r->where == NAME_PREFIX || r->where == NAME_PART, hit;
		if (by_name != (i < n))
			continue;
		switch (r->where) {
		case NAME_PREFIX: hit = has_prefix(img->name, r->text); break;
		case NAME_PART: hit = has_part(img->name, r->text) && has_part(img->name, "ubuntu"); break;
		case DESC_PART: hit = has_part(img->description, r->text); break;
		default: hit = has_part(img->platform_details, r->text); break;
		}
		if (!hit)
			continue;
		snprintf(family, family_len, "%s", r->family);
		return r->os_id ? row(r->os_id, r->version) : NULL;
	}
	return NULL;
}

/* "A, B or C": the table's distributions with packages for arch (0: all). */
static void list_names(struct buf *out, unsigned arch)
{
	size_t n = 0, k = 0;

	for (size_t i = 0; i < N_TABLE; i++)
		n += !arch || (table[i].arches & arch);
	for (size_t i = 0; i < N_TABLE; i++) {
		if (arch && !(table[i].arches & arch))
			continue;
		k++;
		buf_printf(out, "%s%s", k == 1 ? "" : k == n ? " or " : ", ", table[i].name);
	}
}

static int type_runs(const struct type_facts *t, const char *arch)
{
	for (size_t i = 0; i < t->n_arches; i++)
		if (arch && strcmp(t->arches[i], arch) == 0)
			return 1;
	return 0;
}

static void type_arches(struct buf *out, const struct type_facts *t)
{
	for (size_t i = 0; i < t->n_arches; i++)
		buf_printf(out, "%s%s", i ? "/" : "", t->arches[i]);
	if (!t->n_arches)
		buf_puts(out, "no listed architecture");
}

enum platform_verdict platforms_check_image(const struct image_facts *img, const struct type_facts *t,
					    struct buf *msg)
{
	char family[96];
	const struct platform *p = platforms_recognise(img, family, sizeof(family));
	const char *arch = img->arch && *img->arch ? img->arch : "x86_64";
	const char *id = img->id ? img->id : "?";
	unsigned bit = platforms_arch_bit(arch);
	struct buf dummy = BUF_INIT;
	enum platform_verdict v;

	if (!msg)
		msg = &dummy;
	if (strcmp(family, "Windows") == 0) {
		buf_printf(msg, "image %s is Windows: annex's nodes run a Linux boot script; use an image of ", id);
		list_names(msg, PLATFORM_X86_64);
		buf_puts(msg, " (or give no image for the current Amazon Linux 2023)");
		v = PLATFORM_REFUSE_WINDOWS;
	} else if (!type_runs(t, arch)) {
		buf_printf(msg, "image %s is %s%s%s but %s runs ", id, arch, *family ? " " : "", family, t->type);
		type_arches(msg, t);
		buf_printf(msg, ": use a%s %s image, or an instance type for %s", type_runs(t, "x86_64") ? "n" : "",
			   platforms_type_arch(t) ? platforms_type_arch(t) : "matching", arch);
		if (bit == PLATFORM_ARM64)
			buf_puts(msg, " (Graviton: m7g.large, c7g.large, ...)");
		else if (bit == PLATFORM_X86_64)
			buf_puts(msg, " (e.g. " PLATFORMS_DEFAULT_TYPE ")");
		v = PLATFORM_REFUSE_ARCH_MISMATCH;
	} else if (!*family) {
		buf_printf(msg, "cannot tell which distribution image %s (%s) is: unless HTCondor is installed on it, "
			   "the nodes can install HTCondor only on ", id, img->name && *img->name ? img->name : "no name");
		list_names(msg, bit ? bit : PLATFORM_X86_64);
		buf_printf(msg, " for %s", arch);
		v = PLATFORM_WARN_UNKNOWN;
	} else if (p && (p->arches & bit)) {
		v = PLATFORM_OK;
	} else if (!img->is_public) {
		buf_printf(msg, "image %s looks like %s %s, which HTCondor publishes no packages for; it is a "
			   "private image, so annex assumes HTCondor is installed on it", id, arch, family);
		v = PLATFORM_WARN_PRIVATE;
	} else if (p) {
		buf_printf(msg, "image %s is %s %s: HTCondor publishes no packages for it; use ", id, arch, family);
		if (bit == PLATFORM_ARM64) {
			buf_puts(msg, "an x86_64 type (e.g. " PLATFORMS_DEFAULT_TYPE ") with an x86_64 image, or a ");
			list_names(msg, PLATFORM_ARM64);
			buf_puts(msg, " arm64 image");
		} else {
			buf_puts(msg, "an image of ");
			list_names(msg, PLATFORM_X86_64);
		}
		v = PLATFORM_REFUSE_DISTRO_ARCH;
	} else {
		buf_printf(msg, "image %s is %s (%s): the nodes' boot script cannot install HTCondor on it; use an "
			   "image of ", id, family, arch);
		list_names(msg, bit ? bit : PLATFORM_X86_64);
		buf_printf(msg, " for %s", arch);
		if (bit == PLATFORM_X86_64)
			buf_puts(msg, " (or give no image for the current Amazon Linux 2023)");
		v = PLATFORM_REFUSE_DISTRO;
	}
	buf_free(&dummy);
	return v;
}

int platforms_type_not_nitro(const struct type_facts *t, struct buf *msg)
{
	if (t->bare_metal || !t->hypervisor || strcmp(t->hypervisor, "xen") != 0)
		return 0;
	if (msg)
		buf_printf(msg, "%s is not built on the AWS Nitro System (hypervisor xen): its nodes cannot read "
			   "their instance tags from the metadata service, so they will not follow a lease change "
			   "(-duration on a running annex); a current-generation type such as "
			   PLATFORMS_DEFAULT_TYPE " can", t->type);
	return 1;
}

const char *platforms_type_arch(const struct type_facts *t)
{
	if (type_runs(t, "x86_64"))
		return "x86_64";
	if (type_runs(t, "arm64"))
		return "arm64";
	return t->n_arches ? t->arches[0] : NULL;
}

const char *platforms_default_image_parameter(const char *arch, const char *type, struct buf *msg)
{
	if (arch && strcmp(arch, "x86_64") == 0)
		return "/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64";
	if (msg) {
		buf_printf(msg, "no default image for %s (%s): HTCondor publishes %s packages only for ", type,
			   arch ? arch : "unknown architecture", arch ? arch : "such");
		if (platforms_arch_bit(arch))
			list_names(msg, platforms_arch_bit(arch));
		else
			buf_puts(msg, "no distribution");
		buf_puts(msg, ", which publish no public image parameter; give such an image with "
			 "-aws-on-demand-ami-id (or ANNEX_DEFAULT_ODI_IMAGE_ID), or use an x86_64 type such as "
			 PLATFORMS_DEFAULT_TYPE);
	}
	return NULL;
}
