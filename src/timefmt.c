/* timefmt.c - the one reader and writer of ISO 8601 times (see
 * include/annex/timefmt.h): AWS's timestamps (credential expirations, a
 * Spot Fleet's ValidUntil) and annex's own lease tags. The date arithmetic
 * is done here rather than with timegm, so nothing depends on TZ or a libc
 * extension. */
#include "annex/timefmt.h"

#include <string.h>

/* Reads exactly n decimal digits at *p into *v and moves *p past them. */
static int digits(const char **p, int n, int *v)
{
	int x = 0;

	for (int i = 0; i < n; i++) {
		char c = (*p)[i];
		if (c < '0' || c > '9')
			return -1;
		x = x * 10 + (c - '0');
	}
	*p += n;
	*v = x;
	return 0;
}

/* Consumes the character c at *p. */
static int expect(const char **p, char c)
{
	if (**p != c)
		return -1;
	(*p)++;
	return 0;
}

static int days_in_month(int y, int m)
{
	static const int days[12] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
	return m == 2 && leap ? 29 : days[m - 1];
}

/* Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's
 * days_from_civil). */
static long long days_from_civil(int y, int m, int d)
{
	y -= m <= 2;
	long long era = (y >= 0 ? y : y - 399) / 400;
	long long yoe = y - era * 400;
	long long doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	long long doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

/* The zone after the time: Z, +HH:MM, -HH:MM or nothing; *offset_s is
 * what to subtract from the local time to get UTC. */
static int parse_zone(const char **p, long long *offset_s)
{
	int sign, oh, om;

	*offset_s = 0;
	if (**p == 'Z' || **p == 'z') {
		(*p)++;
		return 0;
	}
	if (**p != '+' && **p != '-')
		return 0;
	sign = **p == '+' ? 1 : -1;
	(*p)++;
	if (digits(p, 2, &oh) < 0 || expect(p, ':') < 0 || digits(p, 2, &om) < 0 || oh > 23 || om > 59)
		return -1;
	*offset_s = sign * (oh * 3600LL + om * 60);
	return 0;
}

int timefmt_parse_iso8601(const char *s, time_t *out)
{
	int y, mo, d, h, mi, sec;
	long long offset_s;
	const char *p = s;

	if (!s)
		return -1;
	if (digits(&p, 4, &y) < 0 || expect(&p, '-') < 0 || digits(&p, 2, &mo) < 0 || expect(&p, '-') < 0 ||
	    digits(&p, 2, &d) < 0 || expect(&p, 'T') < 0 || digits(&p, 2, &h) < 0 || expect(&p, ':') < 0 ||
	    digits(&p, 2, &mi) < 0 || expect(&p, ':') < 0 || digits(&p, 2, &sec) < 0)
		return -1;
	if (mo < 1 || mo > 12 || d < 1 || d > days_in_month(y, mo) || h > 23 || mi > 59 || sec > 60)
		return -1;
	if (*p == '.') {
		p++;
		if (*p < '0' || *p > '9')
			return -1;
		while (*p >= '0' && *p <= '9')
			p++;
	}
	if (parse_zone(&p, &offset_s) < 0 || *p)
		return -1;
	*out = (time_t)(days_from_civil(y, mo, d) * 86400 + h * 3600LL + mi * 60 + sec - offset_s);
	return 0;
}

time_t timefmt_parse_time(const char *s)
{
	time_t t;
	return timefmt_parse_iso8601(s, &t) == 0 ? t : (time_t)-1;
}

/* Writes v as exactly width decimal digits. */
static void put_digits(char *out, int v, int width)
{
	for (int i = width - 1; i >= 0; i--, v /= 10)
		out[i] = (char)('0' + v % 10);
}

void timefmt_iso8601(time_t t, char out[TIMEFMT_ISO8601_SIZE])
{
	struct tm tm;

	out[0] = 0;
	if (!gmtime_r(&t, &tm) || tm.tm_year < -1900 || tm.tm_year > 9999 - 1900)
		return;
	memcpy(out, "0000-00-00T00:00:00Z", TIMEFMT_ISO8601_SIZE);
	put_digits(out, tm.tm_year + 1900, 4);
	put_digits(out + 5, tm.tm_mon + 1, 2);
	put_digits(out + 8, tm.tm_mday, 2);
	put_digits(out + 11, tm.tm_hour, 2);
	put_digits(out + 14, tm.tm_min, 2);
	put_digits(out + 17, tm.tm_sec, 2);
}
