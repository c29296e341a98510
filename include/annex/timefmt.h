/* timefmt.h - ISO 8601 times as AWS writes them and annex tags them
 * (timefmt.c). Pure: no clock, no time zone, no locale. */
#ifndef ANNEX_TIMEFMT_H
#define ANNEX_TIMEFMT_H

#include <time.h>

/* Room for "2026-12-04T13:43:50Z" and its NUL. */
#define TIMEFMT_ISO8601_SIZE 21

/* Parses YYYY-MM-DDTHH:MM:SS, then optional fractional seconds (".000",
 * ignored), then Z (or z), +HH:MM or -HH:MM, or nothing (UTC), and nothing
 * after: 2026-12-04T13:43:50Z, 2026-12-04T13:43:50.000Z,
 * 2026-12-04T13:43:50+00:00. Every field has its fixed width and range
 * (the day within its month; a leap second 60 is allowed). Returns 0 with
 * *out the seconds since the epoch, or -1 (*out untouched). */
int timefmt_parse_iso8601(const char *s, time_t *out);

/* The same for callers that keep -1 as "unknown" (as mktime does): the
 * time, or -1 when s is NULL or not such a time. */
time_t timefmt_parse_time(const char *s);

/* Formats t as UTC "2026-12-04T13:43:50Z"; "" when t falls outside the
 * years 0000-9999. */
void timefmt_iso8601(time_t t, char out[TIMEFMT_ISO8601_SIZE]);

#endif
