/* backoff.c - capped exponential backoff with full jitter (see
 * include/annex/aws.h): the wait before retry k is drawn uniformly from
 * [0, min(cap, base * 2^k)], which spreads competing clients apart better
 * than a fixed or "equal jitter" schedule. Pure: the random number comes in
 * as an argument, so tests can pin it. */
#include "annex/aws.h"

long aws_backoff_delay_ms(int attempt, long base_ms, long cap_ms, uint64_t rnd)
{
	long ceiling = base_ms;

	if (base_ms <= 0 || cap_ms <= 0)
		return 0;
	for (int i = 0; i < attempt && ceiling < cap_ms; i++)
		ceiling = ceiling > cap_ms / 2 ? cap_ms : ceiling * 2;
	if (ceiling > cap_ms)
		ceiling = cap_ms;
	return (long)(rnd % ((uint64_t)ceiling + 1));
}
