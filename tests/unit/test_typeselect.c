/* Unit tests for typeselect.c's pure part: ranges, one type's match, the
 * order and its text. */
#include "annex/typeselect.h"
#include "harness.h"

#include <string.h>

static int parse(const char *s, int decimal, struct typeselect_range *r, struct annex_err *e)
{
	annex_err_clear(e);
	return typeselect_parse_range("-vcpus", s, decimal, r, e);
}

static void t_ranges(void)
{
	struct typeselect_range r;
	struct annex_err e;

	CHECK_INT(parse("16-64", 0, &r, &e), 0);
	CHECK(r.given && r.has_lo && r.has_hi && r.lo == 16 && r.hi == 64);
	CHECK_INT(parse("64-", 0, &r, &e), 0);
	CHECK(r.given && r.has_lo && !r.has_hi && r.lo == 64);
	CHECK_INT(parse("-8", 0, &r, &e), 0);
	CHECK(r.given && !r.has_lo && r.has_hi && r.hi == 8);
	CHECK_INT(parse("4", 0, &r, &e), 0);         /* exactly 4 */
	CHECK(r.given && r.has_lo && r.has_hi && r.lo == 4 && r.hi == 4);
	CHECK_INT(parse("0", 0, &r, &e), 0);         /* -gpus 0: none */
	CHECK(r.lo == 0 && r.hi == 0);
	CHECK_INT(parse("4-4", 0, &r, &e), 0);
	CHECK_INT(parse("0.5-1.5", 1, &r, &e), 0);   /* memory: fractional */
	CHECK(r.lo == 0.5 && r.hi == 1.5);
	CHECK_INT(parse(".5-", 1, &r, &e), 0);
	CHECK(r.lo == 0.5 && !r.has_hi);
	CHECK_INT(parse("3.75", 1, &r, &e), 0);
	CHECK(r.lo == 3.75 && r.hi == 3.75);
}

static void t_refused(void)
{
	const char *whole[] = { "", "-", "--", "1-2-3", "a", "1a", "2.5", "-1-", "1--2", " 4", "4 ", "+4", "1e3",
				"0x10", "4-b", "99999999999" };
	const char *dec[] = { "", "-", ".", "1.5.2", "1e3", "inf", "nan", "1,5", "-.-" };
	struct typeselect_range r;
	struct annex_err e;

	for (size_t i = 0; i < sizeof whole / sizeof *whole; i++) {
		CHECK_INT(parse(whole[i], 0, &r, &e), -1);
		CHECK_STR(e.code, "Usage");
		CHECK(strstr(e.msg, "-vcpus requires a range A-B, A-, -B or N of whole numbers") != NULL);
		CHECK(!r.given);
	}
	for (size_t i = 0; i < sizeof dec / sizeof *dec; i++)
		CHECK_INT(parse(dec[i], 1, &r, &e), -1);
	CHECK_INT(parse("64-16", 0, &r, &e), -1);    /* reversed */
	CHECK_STR(e.msg, "-vcpus 64-16: the lower bound is above the upper one (write 16-64)");
	CHECK_INT(parse("8-0.5", 1, &r, &e), -1);
	CHECK(strstr(e.msg, "(write 0.5-8)") != NULL);
	CHECK(strchr(e.msg, '\n') == NULL);
}

static struct typeselect_type ty(const char *name, long vcpus, long mib, long gpus)
{
	struct typeselect_type t;
	memset(&t, 0, sizeof t);
	snprintf(t.name, sizeof t.name, "%s", name);
	t.vcpus = vcpus;
	t.memory_mib = mib;
	t.gpus = gpus;
	return t;
}

static void t_matches(void)
{
	struct typeselect ts;
	struct typeselect_type m5 = ty("m5.4xlarge", 16, 65536, 0), g4 = ty("g4dn.xlarge", 4, 16384, 1),
		nano = ty("t3.nano", 2, 512, 0);
	struct annex_err e;

	memset(&ts, 0, sizeof ts);
	CHECK(!typeselect_given(&ts));
	CHECK(typeselect_matches(&ts, &m5));        /* no range: everything */
	typeselect_parse_range("-vcpus", "16-64", 0, &ts.vcpus, &e);
	typeselect_parse_range("-memory-gib", "64-", 1, &ts.memory_gib, &e);
	CHECK(typeselect_given(&ts));
	CHECK(typeselect_matches(&ts, &m5));        /* bounds are inclusive */
	CHECK(!typeselect_matches(&ts, &g4));
	memset(&ts, 0, sizeof ts);
	typeselect_parse_range("-gpus", "1-", 0, &ts.gpus, &e);
	CHECK(typeselect_matches(&ts, &g4));
	CHECK(!typeselect_matches(&ts, &m5));
	memset(&ts, 0, sizeof ts);
	typeselect_parse_range("-gpus", "0", 0, &ts.gpus, &e);
	CHECK(!typeselect_matches(&ts, &g4));
	CHECK(typeselect_matches(&ts, &m5));
	memset(&ts, 0, sizeof ts);
	typeselect_parse_range("-memory-gib", "0.5", 1, &ts.memory_gib, &e);   /* 512 MiB exactly */
	CHECK(typeselect_matches(&ts, &nano));
	typeselect_parse_range("-memory-gib", "0.6-", 1, &ts.memory_gib, &e);
	CHECK(!typeselect_matches(&ts, &nano));
	typeselect_parse_range("-memory-gib", "-0.49", 1, &ts.memory_gib, &e);
	CHECK(!typeselect_matches(&ts, &nano));
}

static void t_order(void)
{
	struct typeselect_type v[] = {
		ty("r5.large", 2, 16384, 0), ty("m5.xlarge", 4, 16384, 0), ty("c5.large", 2, 4096, 0),
		ty("m5.large", 2, 8192, 0), ty("c5a.large", 2, 4096, 0), ty("c5.large", 2, 4096, 0),  /* repeated */
		ty("g4dn.xlarge", 4, 16384, 1),
	};
	size_t n = typeselect_order(v, sizeof v / sizeof *v);

	CHECK_INT(n, 6);
	CHECK_STR(v[0].name, "c5.large");           /* vCPUs, then memory, then name */
	CHECK_STR(v[1].name, "c5a.large");
	CHECK_STR(v[2].name, "m5.large");
	CHECK_STR(v[3].name, "r5.large");
	CHECK_STR(v[4].name, "m5.xlarge");          /* no GPU before a GPU at the same size */
	CHECK_STR(v[5].name, "g4dn.xlarge");
	CHECK_INT(typeselect_order(v, 0), 0);
}

static void t_text(void)
{
	struct typeselect ts;
	struct annex_err e;
	struct buf b = BUF_INIT;

	memset(&ts, 0, sizeof ts);
	typeselect_parse_range("-vcpus", "16-64", 0, &ts.vcpus, &e);
	typeselect_parse_range("-memory-gib", "0.5-", 1, &ts.memory_gib, &e);
	typeselect_parse_range("-gpus", "1", 0, &ts.gpus, &e);
	typeselect_text(&ts, &b);
	CHECK_STR(buf_cstr(&b), "-vcpus 16-64 -memory-gib 0.5- -gpus 1");
	buf_reset(&b);
	memset(&ts, 0, sizeof ts);
	typeselect_parse_range("-memory-gib", "-123456789", 1, &ts.memory_gib, &e);
	typeselect_text(&ts, &b);
	CHECK_STR(buf_cstr(&b), "-memory-gib -123456789");
	buf_free(&b);
}

TESTS(T(t_ranges), T(t_refused), T(t_matches), T(t_order), T(t_text))
