/* Unit tests for platforms.c: recognising images, the image/type verdicts,
 * the Nitro warning, the default image per architecture, and the table's
 * agreement with the boot script's own. */
#include "annex/platforms.h"
#include "annex/embedded.h"
#include "harness.h"

#include <stdlib.h>
#include <string.h>

static const char *const X86[] = { "x86_64" };
static const char *const X86_I386[] = { "i386", "x86_64" };
static const char *const ARM[] = { "arm64" };

static const struct type_facts m6i = { "m6i.large", X86, 1, "nitro", 0 };
static const struct type_facts m7g = { "m7g.large", ARM, 1, "nitro", 0 };
static const struct type_facts t2 = { "t2.micro", X86_I386, 2, "xen", 0 };
static const struct type_facts m4 = { "m4.large", X86, 1, "xen", 0 };
static const struct type_facts metal = { "m5.metal", X86, 1, NULL, 1 };

/* Images as their publishers name them (DescribeImages). */
static void t_recognise(void)
{
	static const struct {
		const char *name, *desc, *details, *family, *os_id, *version;
	} cases[] = {
		{ "al2023-ami-2023.6.20241212.0-kernel-6.1-x86_64", "Amazon Linux 2023 AMI 2023.6.20241212.0 x86_64 HVM kernel-6.1",
		  "Linux/UNIX", "Amazon Linux 2023", "amzn", "2023" },
		{ "al2023-ami-ecs-hvm-2023.0.20250403-kernel-6.1-arm64", "Amazon Linux AMI 2023.0.20250403 arm64 ECS HVM EBS",
		  NULL, "Amazon Linux 2023", "amzn", "2023" },
		{ "my-own-build", "Amazon Linux 2023 with extras", NULL, "Amazon Linux 2023", "amzn", "2023" },
		/* the name wins over a description copied from another image */
		{ "Rocky-9-EC2-Base-9.4-20240523.0.aarch64", "Amazon Linux 2023 AMI 2023.6 arm64", NULL, "Rocky Linux 9",
		  "rocky", "9" },
		{ "amzn2-ami-kernel-5.10-hvm-2.0.20240131.0-x86_64-gp2", "Amazon Linux 2 Kernel 5.10 AMI", NULL,
		  "Amazon Linux 2", NULL, NULL },
		{ "amzn-ami-hvm-2017.09.1.20171103-x86_64-gp2", "Amazon Linux AMI 2017.09.1", NULL,
		  "Amazon Linux AMI (2018)", NULL, NULL },
		{ "ubuntu/images/hvm-ssd-gp3/ubuntu-noble-24.04-amd64-server-20240423",
		  "Canonical, Ubuntu, 24.04, amd64 noble image", NULL, "Ubuntu 24.04", "ubuntu", "24.04" },
		{ "ubuntu/images/hvm-ssd/ubuntu-jammy-22.04-arm64-server-20240207", "Canonical, Ubuntu, 22.04 LTS, arm64 jammy image",
		  NULL, "Ubuntu 22.04", "ubuntu", "22.04" },
		{ "ubuntu-pro-server/images/hvm-ssd-gp3/ubuntu-noble-24.04-amd64-pro-server-20240607", NULL, NULL,
		  "Ubuntu 24.04", "ubuntu", "24.04" },
		{ "ubuntu/images/hvm-ssd/ubuntu-focal-20.04-amd64-server-20240201", "Canonical, Ubuntu, 20.04 LTS, amd64 focal image",
		  NULL, "an Ubuntu release other than 22.04 and 24.04", NULL, NULL },
		{ "debian-12-amd64-20240717-1811", "Debian 12 (20240717-1811)", NULL, "Debian 12", "debian", "12" },
		{ "debian-11-arm64-20240104-1616", "Debian 11", NULL, "a Debian release other than 12", NULL, NULL },
		{ "Rocky-9-EC2-Base-9.4-20240523.0.x86_64", "Rocky Linux 9.4", NULL, "Rocky Linux 9", "rocky", "9" },
		{ "Rocky-8-EC2-Base-8.10-20240528.0.aarch64", "Rocky Linux 8.10", NULL, "a Rocky Linux release other than 9",
		  NULL, NULL },
		{ "AlmaLinux OS 9.4.20240507 aarch64", "Official AlmaLinux OS 9.4 aarch64 image", NULL, "AlmaLinux 9",
		  "almalinux", "9" },
		{ "RHEL-9.4.0_HVM-20240605-x86_64-82-Hourly2-GP3", "Provided by Red Hat, Inc.", "Red Hat Enterprise Linux",
		  "Red Hat Enterprise Linux 9", "rhel", "9" },
		{ "RHEL-8.10.0_HVM-20240605-x86_64-82-Hourly2-GP3", "Provided by Red Hat, Inc.", "Red Hat Enterprise Linux",
		  "a Red Hat Enterprise Linux release other than 9", NULL, NULL },
		{ "suse-sles-15-sp6-v20240808-hvm-ssd-x86_64", "SUSE Linux Enterprise Server 15 SP6", "SUSE Linux",
		  "SUSE Linux", NULL, NULL },
		{ "Windows_Server-2022-English-Full-Base-2024.08.14", "Microsoft Windows Server 2022", "Windows", "Windows",
		  NULL, NULL },
		{ "Deep Learning AMI Ubuntu Linux - 2.4_Oct2017", "Deep Learning on Ubuntu Linux", NULL, "", NULL, NULL },
		{ "golden-htcondor-node-v7", "our node image", "Linux/UNIX", "", NULL, NULL },
		{ NULL, NULL, NULL, "", NULL, NULL },
	};
	for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
		struct image_facts img = { "ami-1", "x86_64", cases[i].name, cases[i].desc, NULL, cases[i].details, 1 };
		char family[96];
		const struct platform *p = platforms_recognise(&img, family, sizeof family);
		if (strcmp(family, cases[i].family) != 0)
			harness_fail_(__FILE__, __LINE__, "%s: family '%s', want '%s'", cases[i].name ? cases[i].name : "(none)",
				      family, cases[i].family);
		if (!cases[i].os_id ? p != NULL :
		    !p || strcmp(p->os_id, cases[i].os_id) != 0 || strcmp(p->version, cases[i].version) != 0)
			harness_fail_(__FILE__, __LINE__, "%s: row %s %s", cases[i].name ? cases[i].name : "(none)",
				      p ? p->os_id : "none", p ? p->version : "");
	}
	struct image_facts win = { "ami-2", "x86_64", "my-server", NULL, "windows", NULL, 0 };
	char family[32];
	CHECK(platforms_recognise(&win, family, sizeof family) == NULL);
	CHECK_STR(family, "Windows");
}

/* Every verdict, with the words its message must carry. */
static void t_verdicts(void)
{
	static const struct {
		const char *arch, *name;
		int is_public;
		const struct type_facts *type;
		enum platform_verdict want;
		const char *says, *says_too;
	} cases[] = {
		{ "x86_64", "al2023-ami-2023.6-kernel-6.1-x86_64", 1, &m6i, PLATFORM_OK, NULL, NULL },
		{ "x86_64", "ubuntu/images/hvm-ssd-gp3/ubuntu-noble-24.04-amd64-server-1", 1, &m6i, PLATFORM_OK, NULL, NULL },
		{ "x86_64", "debian-12-amd64-1", 1, &t2, PLATFORM_OK, NULL, NULL },
		{ "arm64", "Rocky-9-EC2-Base-9.4-1.aarch64", 1, &m7g, PLATFORM_OK, NULL, NULL },
		{ "arm64", "AlmaLinux OS 9.4.1 aarch64", 1, &m7g, PLATFORM_OK, NULL, NULL },
		/* the case: the arm64 AL2023 image, for which HTCondor has no packages */
		{ "arm64", "al2023-ami-2023.6-kernel-6.1-arm64", 1, &m7g, PLATFORM_REFUSE_DISTRO_ARCH,
		  "image ami-1 is arm64 Amazon Linux 2023: HTCondor publishes no packages for it; use an x86_64 type "
		  "(e.g. m6i.large) with an x86_64 image, or a Rocky Linux 9, AlmaLinux 9 or Red Hat Enterprise Linux 9 arm64 image", NULL },
		{ "arm64", "ubuntu/images/hvm-ssd/ubuntu-jammy-22.04-arm64-server-1", 1, &m7g, PLATFORM_REFUSE_DISTRO_ARCH,
		  "arm64 Ubuntu 22.04: HTCondor publishes no packages", "Rocky Linux 9, AlmaLinux 9 or Red Hat Enterprise Linux 9 arm64 image" },
		{ "arm64", "debian-12-arm64-1", 1, &m7g, PLATFORM_REFUSE_DISTRO_ARCH, "arm64 Debian 12", NULL },
		/* image and type disagree */
		{ "arm64", "al2023-ami-2023.6-kernel-6.1-arm64", 1, &m6i, PLATFORM_REFUSE_ARCH_MISMATCH,
		  "image ami-1 is arm64 Amazon Linux 2023 but m6i.large runs x86_64: use an x86_64 image, or an "
		  "instance type for arm64 (Graviton: m7g.large, c7g.large, ...)", NULL },
		{ "x86_64", "Rocky-9-EC2-Base-9.4-1.x86_64", 1, &m7g, PLATFORM_REFUSE_ARCH_MISMATCH,
		  "is x86_64 Rocky Linux 9 but m7g.large runs arm64", "(e.g. m6i.large)" },
		{ "arm64", "golden", 0, &m6i, PLATFORM_REFUSE_ARCH_MISMATCH, "is arm64 but m6i.large runs x86_64", NULL },
		/* distributions the script cannot install on */
		{ "x86_64", "amzn2-ami-kernel-5.10-hvm-2.0-x86_64-gp2", 1, &m6i, PLATFORM_REFUSE_DISTRO,
		  "image ami-1 is Amazon Linux 2 (x86_64): the nodes' boot script cannot install HTCondor on it; use an "
		  "image of Amazon Linux 2023, Rocky Linux 9, AlmaLinux 9, Red Hat Enterprise Linux 9, Ubuntu 22.04, Ubuntu 24.04 or Debian 12 for "
		  "x86_64 (or give no image for the current Amazon Linux 2023)", NULL },
		{ "arm64", "Rocky-8-EC2-Base-8.10-1.aarch64", 1, &m7g, PLATFORM_REFUSE_DISTRO,
		  "Rocky Linux release other than 9 (arm64)", "use an image of Rocky Linux 9, AlmaLinux 9 or Red Hat Enterprise Linux 9 for arm64" },
		{ "x86_64", "Windows_Server-2022-English-Full-Base-1", 1, &m6i, PLATFORM_REFUSE_WINDOWS,
		  "image ami-1 is Windows", NULL },
		{ "x86_64", "Windows_Server-2022-English-Full-Base-1", 0, &m6i, PLATFORM_REFUSE_WINDOWS, "Windows", NULL },
		/* private images may carry HTCondor: warn */
		{ "x86_64", "amzn2-ami-with-condor", 0, &m6i, PLATFORM_WARN_PRIVATE,
		  "looks like x86_64 Amazon Linux 2", "private image, so annex assumes HTCondor is installed" },
		{ "arm64", "al2023-ami-with-condor-arm64", 0, &m7g, PLATFORM_WARN_PRIVATE, "arm64 Amazon Linux 2023", NULL },
		{ "x86_64", "golden-htcondor-node-v7", 1, &m6i, PLATFORM_WARN_UNKNOWN,
		  "cannot tell which distribution image ami-1 (golden-htcondor-node-v7) is", "Ubuntu 24.04 or Debian 12" },
		{ "arm64", "golden-arm", 0, &m7g, PLATFORM_WARN_UNKNOWN, "only on Rocky Linux 9, AlmaLinux 9 or Red Hat Enterprise Linux 9 for arm64",
		  NULL },
	};
	for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
		struct image_facts img = { "ami-1", cases[i].arch, cases[i].name, NULL, NULL, NULL, cases[i].is_public };
		struct buf msg = BUF_INIT;
		enum platform_verdict v = platforms_check_image(&img, cases[i].type, &msg);
		if (v != cases[i].want)
			harness_fail_(__FILE__, __LINE__, "case %zu (%s on %s): verdict %d, want %d (%s)", i, cases[i].name,
				      cases[i].type->type, (int)v, (int)cases[i].want, buf_cstr(&msg));
		if ((cases[i].says && !strstr(buf_cstr(&msg), cases[i].says)) ||
		    (cases[i].says_too && !strstr(buf_cstr(&msg), cases[i].says_too)))
			harness_fail_(__FILE__, __LINE__, "case %zu: message '%s'", i, buf_cstr(&msg));
		if (v == PLATFORM_OK && msg.len != 0)
			harness_fail_(__FILE__, __LINE__, "case %zu: OK with a message '%s'", i, buf_cstr(&msg));
		if (strchr(buf_cstr(&msg), '\n'))
			harness_fail_(__FILE__, __LINE__, "case %zu: more than one line", i);
		CHECK_INT(platforms_refuses(v), v >= PLATFORM_REFUSE_ARCH_MISMATCH);
		buf_free(&msg);
	}
	/* NULL msg is allowed */
	struct image_facts img = { "ami-1", "arm64", "al2023-ami-x-arm64", NULL, NULL, NULL, 1 };
	CHECK_INT(platforms_check_image(&img, &m7g, NULL), PLATFORM_REFUSE_DISTRO_ARCH);
}

static void t_nitro(void)
{
	struct buf msg = BUF_INIT;

	CHECK_INT(platforms_type_not_nitro(&m6i, &msg), 0);
	CHECK_INT(platforms_type_not_nitro(&metal, &msg), 0);
	CHECK_INT((int)msg.len, 0);
	CHECK_INT(platforms_type_not_nitro(&m4, &msg), 1);
	CHECK(strstr(buf_cstr(&msg), "m4.large is not built on the AWS Nitro System (hypervisor xen)") == buf_cstr(&msg));
	CHECK(strstr(buf_cstr(&msg), "lease change") != NULL);
	CHECK(strstr(buf_cstr(&msg), "m6i.large") != NULL);
	CHECK_INT(platforms_type_not_nitro(&t2, NULL), 1);
	buf_free(&msg);
}

static void t_default_image(void)
{
	struct buf msg = BUF_INIT;

	CHECK_STR(platforms_type_arch(&m6i), "x86_64");
	CHECK_STR(platforms_type_arch(&t2), "x86_64");
	CHECK_STR(platforms_type_arch(&m7g), "arm64");
	CHECK_STR(platforms_default_image_parameter("x86_64", "m6i.large", &msg),
		  "/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64");
	CHECK_INT((int)msg.len, 0);
	/* never AL2023 arm64: HTCondor has no packages for it */
	CHECK(platforms_default_image_parameter("arm64", "m7g.large", &msg) == NULL);
	CHECK_STR(buf_cstr(&msg), "no default image for m7g.large (arm64): HTCondor publishes arm64 packages only for "
		  "Rocky Linux 9, AlmaLinux 9 or Red Hat Enterprise Linux 9, which publish no public image parameter; give such an image with "
		  "-aws-on-demand-ami-id (or ANNEX_DEFAULT_ODI_IMAGE_ID), or use an x86_64 type such as m6i.large");
	CHECK(platforms_default_image_parameter(NULL, "x.large", NULL) == NULL);
	CHECK_STR(PLATFORMS_DEFAULT_TYPE, "m6i.large");
	buf_free(&msg);
}

/* The table says what the boot script does: every (distribution, version,
 * architecture) the table allows is in the script's accepted case line, and
 * nothing else is. */
static void t_table_matches_bootscript(void)
{
	const struct annex_embedded *e = embedded_find("src/templates/bootscript.sh");
	char *script, *start, *end;
	size_t want = 0, have = 0;

	CHECK(e != NULL);
	if (!e)
		return;
	script = strndup(e->data, e->len);
	start = strstr(script, "case \"$id:$version:$arch\" in\n");
	CHECK(start != NULL);
	if (!start) {
		free(script);
		return;
	}
	start = strchr(start, '\n') + 1;
	end = strstr(start, ") ;;");
	CHECK(end != NULL);
	if (!end) {
		free(script);
		return;
	}
	*end = 0;
	for (size_t i = 0; i < platforms_count(); i++) {
		const struct platform *p = platforms_at(i);
		for (unsigned bit = PLATFORM_X86_64; bit <= PLATFORM_ARM64; bit <<= 1) {
			char pat[64];
			int el = strcmp(p->os_id, "rocky") == 0 || strcmp(p->os_id, "almalinux") == 0 ||
				 strcmp(p->os_id, "rhel") == 0;
			if (!(p->arches & bit))
				continue;
			want++;
			snprintf(pat, sizeof pat, "%s:%s%s:%s", p->os_id, p->version, el ? "*" : "",
				 bit == PLATFORM_X86_64 ? "x86_64" : "aarch64");
			if (!strstr(start, pat))
				harness_fail_(__FILE__, __LINE__, "boot script does not accept %s", pat);
		}
	}
	for (char *p = start; (p = strchr(p, ':')) != NULL; p++)
		have++;
	CHECK_INT((int)have, (int)(2 * want));   /* two colons a pattern: no pattern beyond the table's */
	free(script);
}

TESTS(T(t_recognise), T(t_verdicts), T(t_nitro), T(t_default_image), T(t_table_matches_bootscript))
