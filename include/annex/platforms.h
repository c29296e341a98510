/* platforms.h - which images and instance types annex's nodes can boot.
 *
 * The one table of the distributions and architectures the node's boot
 * script (src/templates/bootscript.sh) installs HTCondor on, from
 * HTCondor's own repositories, and the pure decisions a launch makes from
 * it: recognising an image's distribution from what DescribeImages says,
 * whether an image suits an instance type (DescribeInstanceTypes), the
 * default type and the default image of an architecture. No I/O, no AWS
 * (imagecheck.c makes the calls). docs/images.md explains the table.
 */
#ifndef ANNEX_PLATFORMS_H
#define ANNEX_PLATFORMS_H

#include <stddef.h>

#include "annex/buf.h"

/* The default instance type (ANNEX_DEFAULT_ODI_INSTANCE_TYPE's default):
 * Nitro-based (instance tags in the metadata service), x86_64 (so the
 * default Amazon Linux 2023 image has HTCondor packages), 2 vCPUs and
 * 8 GiB like condor_annex's m4.large, offered in every commercial region. */
#define PLATFORMS_DEFAULT_TYPE "m6i.large"

enum {
	PLATFORM_X86_64 = 1,
	PLATFORM_ARM64 = 2,
};

/* A distribution the boot script installs HTCondor on. */
struct platform {
	const char *os_id;      /* /etc/os-release ID, as the boot script matches it */
	const char *version;    /* /etc/os-release VERSION_ID (major for EL) */
	const char *name;       /* "Amazon Linux 2023" */
	unsigned arches;        /* PLATFORM_X86_64 | PLATFORM_ARM64: HTCondor publishes packages */
};

/* The table, in the order messages list it. */
const struct platform *platforms_at(size_t i);
size_t platforms_count(void);

/* PLATFORM_X86_64 for "x86_64", PLATFORM_ARM64 for "arm64", else 0. */
unsigned platforms_arch_bit(const char *arch);

/* What DescribeImages says of an image; any field may be NULL. */
struct image_facts {
	const char *id;
	const char *arch;              /* architecture: x86_64, arm64, i386, x86_64_mac, arm64_mac */
	const char *name;
	const char *description;
	const char *platform;          /* "windows" or absent */
	const char *platform_details;  /* "Linux/UNIX", "Red Hat Enterprise Linux", "Windows", ... */
	int is_public;
};

/* What DescribeInstanceTypes says of a type. */
struct type_facts {
	const char *type;
	const char *const *arches;     /* ProcessorInfo.SupportedArchitectures */
	size_t n_arches;
	const char *hypervisor;        /* "nitro", "xen", or NULL/"" (bare metal) */
	int bare_metal;
};

/* The distribution an image is, recognised from its name, description and
 * platform fields: the table's row (NULL when the boot script does not
 * support it or it is not recognised); family gets a name for messages
 * ("Amazon Linux 2", "Windows", "" when not recognised). */
const struct platform *platforms_recognise(const struct image_facts *img, char *family, size_t family_len);

enum platform_verdict {
	PLATFORM_OK,
	PLATFORM_WARN_UNKNOWN,            /* distribution not recognised: it may carry HTCondor */
	PLATFORM_WARN_PRIVATE,            /* a private image of a distribution or arch the script
					   * cannot install on: annex assumes it carries HTCondor */
	PLATFORM_REFUSE_ARCH_MISMATCH,    /* the type cannot run the image's architecture */
	PLATFORM_REFUSE_DISTRO,           /* a public image of a distribution the script cannot install on */
	PLATFORM_REFUSE_DISTRO_ARCH,      /* a public image of a supported distribution on an arch
					   * HTCondor publishes no packages for */
	PLATFORM_REFUSE_WINDOWS,          /* the nodes run a bash boot script */
};

/* Whether img suits type t. msg (may be NULL) gets one line: for a refusal
 * the error (naming what would work), for a warning the warning, nothing
 * for PLATFORM_OK. */
enum platform_verdict platforms_check_image(const struct image_facts *img, const struct type_facts *t,
					    struct buf *msg);

static inline int platforms_refuses(enum platform_verdict v)
{
	return v >= PLATFORM_REFUSE_ARCH_MISMATCH;
}

/* 1 when t is not built on the Nitro System (hypervisor xen), with msg (may
 * be NULL) the warning line: its nodes cannot read their instance tags from
 * the metadata service, so they would not follow a lease change. annex
 * warns and goes on (docs/images.md says why). 0 otherwise. */
int platforms_type_not_nitro(const struct type_facts *t, struct buf *msg);

/* The architecture annex picks an image for on type t: x86_64 when the type
 * runs it, else arm64, else the first listed (NULL when none). */
const char *platforms_type_arch(const struct type_facts *t);

/* The public SSM parameter naming the default image for arch (the current
 * Amazon Linux 2023 image), or NULL when HTCondor publishes no packages for
 * any distribution with such a parameter on that arch; then msg (may be
 * NULL) gets the one-line refusal naming what to give instead. type names
 * the instance type in that message. */
const char *platforms_default_image_parameter(const char *arch, const char *type, struct buf *msg);

#endif
