/* test_timefmt.c - the ISO 8601 reader and writer (timefmt.c): the forms
 * AWS writes, the bounds of every field, and inputs that must be refused. */
#include "annex/timefmt.h"
#include "harness.h"

/* 2026-12-04T13:43:50Z */
#define T0 ((time_t)1796391830)

static const struct {
	const char *in;
	long long want;   /* seconds since the epoch; -1: refused */
} CASES[] = {
	/* the forms AWS returns */
	{ "2026-12-04T13:43:50Z", T0 },
	{ "2026-12-04T13:43:50.000Z", T0 },
	{ "2026-12-04T13:43:50.123456Z", T0 },
	{ "2026-12-04T13:43:50+00:00", T0 },
	{ "2026-12-04T13:43:50.000+00:00", T0 },
	{ "2026-12-04T13:43:50z", T0 },
	{ "2026-12-04T13:43:50", T0 },                 /* no zone: UTC */
	/* offsets move the instant */
	{ "2026-12-04T15:13:50+01:30", T0 },
	{ "2026-12-04T12:43:50-01:00", T0 },
	{ "2026-12-05T00:43:50+11:00", T0 },           /* across a day */
	/* calendar edges */
	{ "1970-01-01T00:00:00Z", 0 },
	{ "1969-12-31T23:59:59Z", -1 },                /* a second before the epoch (also the refusal mark) */
	{ "2000-02-29T00:00:00Z", 951782400 },         /* leap day of a century leap year */
	{ "2024-02-29T12:00:00Z", 1709208000 },
	{ "2030-01-01T00:00:00Z", 1893456000 },
	{ "2026-12-31T23:59:60Z", 1798761600 },        /* leap second: the next minute's start */
	{ "9999-12-31T23:59:59Z", 253402300799LL },
	/* refused: fields out of range */
	{ "2026-13-04T13:43:50Z", -1 },
	{ "2026-00-04T13:43:50Z", -1 },
	{ "2026-12-00T13:43:50Z", -1 },
	{ "2026-12-32T13:43:50Z", -1 },
	{ "2026-02-29T13:43:50Z", -1 },                /* not a leap year */
	{ "1900-02-29T00:00:00Z", -1 },                /* nor is a century */
	{ "2026-04-31T13:43:50Z", -1 },
	{ "2026-12-04T24:00:00Z", -1 },
	{ "2026-12-04T13:60:50Z", -1 },
	{ "2026-12-04T13:43:61Z", -1 },
	{ "2026-12-04T13:43:50+24:00", -1 },
	{ "2026-12-04T13:43:50+01:60", -1 },
	/* refused: shape */
	{ "", -1 },
	{ "soon", -1 },
	{ "2026-12-04", -1 },
	{ "2026-12-04 13:43:50Z", -1 },                /* a space for the T */
	{ "2026-12-04t13:43:50Z", -1 },
	{ "2026-12-4T13:43:50Z", -1 },                 /* short field */
	{ "26-12-04T13:43:50Z", -1 },
	{ "+2026-12-04T13:43:50Z", -1 },
	{ " 2026-12-04T13:43:50Z", -1 },
	{ "2026-12-04T13:43Z", -1 },
	{ "2026-12-04T13:43:50.Z", -1 },               /* a point without digits */
	{ "2026-12-04T13:43:50Zjunk", -1 },
	{ "2026-12-04T13:43:50Z ", -1 },
	{ "2026-12-04T13:43:50+0100", -1 },
	{ "2026-12-04T13:43:50+01", -1 },
	{ "2026-12-04T13:43:50+1:00", -1 },
	{ "2026-12-04T13:43:50UTC", -1 },
	{ "1796391830", -1 },                          /* epoch seconds are not ISO 8601 */
};

static void t_parse_table(void)
{
	for (size_t i = 0; i < sizeof CASES / sizeof CASES[0]; i++) {
		time_t t = 12345;
		int rc = timefmt_parse_iso8601(CASES[i].in, &t);
		int refused = CASES[i].want == -1 && strcmp(CASES[i].in, "1969-12-31T23:59:59Z") != 0;

		if (refused) {
			if (rc != -1 || t != 12345)
				harness_fail_(__FILE__, __LINE__, "\"%s\": rc %d, t %lld; want refused, t untouched",
					      CASES[i].in, rc, (long long)t);
		} else if (rc != 0 || (long long)t != CASES[i].want) {
			harness_fail_(__FILE__, __LINE__, "\"%s\": rc %d, t %lld; want %lld", CASES[i].in, rc,
				      (long long)t, CASES[i].want);
		}
	}
}

static void t_parse_null(void)
{
	time_t t = 7;
	CHECK_INT(timefmt_parse_iso8601(NULL, &t), -1);
	CHECK_INT(t, 7);
}

static void t_format(void)
{
	char out[TIMEFMT_ISO8601_SIZE];

	timefmt_iso8601(T0, out);
	CHECK_STR(out, "2026-12-04T13:43:50Z");
	timefmt_iso8601(0, out);
	CHECK_STR(out, "1970-01-01T00:00:00Z");
	timefmt_iso8601(1764111600, out);
	CHECK_STR(out, "2025-11-25T23:00:00Z");
	timefmt_iso8601(951782400, out);
	CHECK_STR(out, "2000-02-29T00:00:00Z");
	timefmt_iso8601(253402300799LL, out);
	CHECK_STR(out, "9999-12-31T23:59:59Z");
	timefmt_iso8601(253402300800LL, out);          /* year 10000 does not fit */
	CHECK_STR(out, "");
}

/* What the writer writes, the reader reads back. */
static void t_round_trip(void)
{
	static const time_t ts[] = { 0, 1, 59, 86399, 86400, 951782400, 1709208000, 1796391830, 4102444800LL };
	char out[TIMEFMT_ISO8601_SIZE];

	for (size_t i = 0; i < sizeof ts / sizeof ts[0]; i++) {
		time_t back = -1;
		timefmt_iso8601(ts[i], out);
		CHECK_INT(timefmt_parse_iso8601(out, &back), 0);
		CHECK_INT(back, ts[i]);
	}
}

TESTS(T(t_parse_table), T(t_parse_null), T(t_format), T(t_round_trip))
