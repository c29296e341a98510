/* typeselect.h - instance types chosen by attribute ranges (issue 21, item
 * 1): -vcpus A-B, -memory-gib A-B, -gpus A-B. annex resolves the ranges
 * itself into a short list of types (DescribeInstanceTypes), shown to the
 * user and launched as an explicit list; docs/commands.md, "Instance
 * types by attribute ranges", says why (not EC2's InstanceRequirements).
 *
 * The pure part (parsing a range, matching one type, ordering and
 * capping; typeselect.c) needs no AWS; typeselect_resolve makes the calls
 * (typeselect_ec2.c).
 *
 *   struct typeselect_list l;
 *   if (typeselect_resolve(aws, &o->typesel, "x86_64", "on-demand", 20, &l, err) == 0)
 *       ... l.v[0 .. l.n) are the kept types, smallest first; l.matched matched ...
 *   typeselect_list_free(&l);
 */
#ifndef ANNEX_TYPESELECT_H
#define ANNEX_TYPESELECT_H

#include <stddef.h>

#include "annex/buf.h"
#include "annex/err.h"

struct aws_ctx;

/* Far above any instance type (the largest have under 1000 vCPUs, 32 TiB
 * and 16 GPUs), low enough that no arithmetic on it overflows. */
#define TYPESELECT_MAX_VALUE 1e9

/* One option's range: lo <= v <= hi, each bound optional. */
struct typeselect_range {
	int given;                  /* the option was given */
	int has_lo, has_hi;
	double lo, hi;
};

/* The three ranges of one launch (cli.h's struct annex_opts holds them). */
struct typeselect {
	struct typeselect_range vcpus, memory_gib, gpus;
};

/* Parses "A-B", "A-", "-B" or "N" (exactly N) for option opt (named, with
 * its dash, in the one-line usage error): whole numbers, or with decimal
 * set decimal numbers ("0.5-1.5"). Refuses an empty, malformed or reversed
 * range. 0, or -1 with err "Usage". */
int typeselect_parse_range(const char *opt, const char *s, int decimal, struct typeselect_range *r,
			   struct annex_err *err);

/* 1 when any range was given. */
int typeselect_given(const struct typeselect *ts);

/* "-vcpus 16-64 -memory-gib 64- -gpus 1" (the ranges given), for messages. */
void typeselect_text(const struct typeselect *ts, struct buf *out);

/* What one type offers. */
struct typeselect_type {
	char name[64];
	long vcpus;                 /* VCpuInfo.DefaultVCpus */
	long memory_mib;            /* MemoryInfo.SizeInMiB */
	long gpus;                  /* GpuInfo: the sum of Gpus[].Count; 0 without GpuInfo */
};

/* 1 when t is inside every range given. */
int typeselect_matches(const struct typeselect *ts, const struct typeselect_type *t);

/* Sorts v by vCPUs, then memory, then name (smallest first), drops
 * repeated names (a reply may repeat a type) and returns how many remain;
 * the first of them are the ones a cap keeps. */
size_t typeselect_order(struct typeselect_type *v, size_t n);

/* The types kept, smallest first, and how many matched in all. */
struct typeselect_list {
	struct typeselect_type *v;
	size_t n;
	size_t matched;
};

void typeselect_list_free(struct typeselect_list *l);

/* DescribeInstanceTypes, every page, with the filters EC2 has
 * (current-generation true, processor-info.supported-architecture arch,
 * supported-usage-class usage_class, and an exact vCPU or memory value when
 * a range is one value); each type is then matched here (EC2 has no range
 * filters, and GPU count no filter at all). Keeps the max smallest. A
 * range matching nothing is no error here: out->n is 0. */
int typeselect_resolve(struct aws_ctx *aws, const struct typeselect *ts, const char *arch,
		       const char *usage_class, size_t max, struct typeselect_list *out, struct annex_err *err);


#endif
