/* harness.h - a tiny unit-test harness. Each test file defines test
 * functions and lists them in TESTS; the runner prints "PASS name" or
 * "FAIL name: file:line: expr" per test and ends with "N passed, M failed".
 *
 *   static void t_example(void) { CHECK(1 + 1 == 2); CHECK_STR("a", "a"); }
 *   TESTS(T(t_example))
 */
#ifndef ANNEX_TEST_HARNESS_H
#define ANNEX_TEST_HARNESS_H

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

/* ANNEX_TEST_ASAN: built with AddressSanitizer. GCC says so with
 * __SANITIZE_ADDRESS__, clang (14) only through __has_feature. Tests that
 * cap their address space use it: ASan's shadow memory exceeds any such cap. */
#if defined(__SANITIZE_ADDRESS__)
#define ANNEX_TEST_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define ANNEX_TEST_ASAN 1
#endif
#endif

/* Peak-RSS bounds (KiB) gain ASan's quarantine under ASan: freed blocks
 * stay resident there (256 MiB by default) instead of going back. The
 * bound stays finite, so an unbounded growth still fails. */
#ifdef ANNEX_TEST_ASAN
#define ANNEX_TEST_RSS_SLACK_KIB (256L * 1024)
#else
#define ANNEX_TEST_RSS_SLACK_KIB 0L
#endif

static int harness_failed_;
static char harness_why_[4096];

/* Records the first failure of the current test. */
__attribute__((format(printf, 3, 4), unused))
static void harness_fail_(const char *file, int line, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (harness_failed_++)
		return;
	n = snprintf(harness_why_, sizeof harness_why_, "%s:%d: ", file, line);
	va_start(ap, fmt);
	vsnprintf(harness_why_ + n, sizeof harness_why_ - (size_t)n, fmt, ap);
	va_end(ap);
}

#define CHECK(expr) do { if (!(expr)) harness_fail_(__FILE__, __LINE__, "%s", #expr); } while (0)

#define CHECK_STR(got, want) do { const char *g_ = (got), *w_ = (want); \
	if (!g_ || !w_ || strcmp(g_, w_) != 0) harness_fail_(__FILE__, __LINE__, \
		"got \"%s\", want \"%s\"", g_ ? g_ : "(null)", w_ ? w_ : "(null)"); } while (0)

#define CHECK_INT(got, want) do { long long g_ = (long long)(got), w_ = (long long)(want); \
	if (g_ != w_) harness_fail_(__FILE__, __LINE__, "%s = %lld, want %lld", #got, g_, w_); } while (0)

struct harness_test { const char *name; void (*fn)(void); };
#define T(fn) { #fn, fn }
#define TESTS(...) \
	int main(void) { \
		static const struct harness_test tests_[] = { __VA_ARGS__ }; \
		int pass = 0, fail = 0; \
		for (size_t i = 0; i < sizeof tests_ / sizeof tests_[0]; i++) { \
			harness_failed_ = 0; harness_why_[0] = 0; \
			tests_[i].fn(); \
			if (harness_failed_) { fail++; printf("FAIL %s: %s\n", tests_[i].name, harness_why_); } \
			else { pass++; printf("PASS %s\n", tests_[i].name); } \
		} \
		printf("%d passed, %d failed\n", pass, fail); \
		return fail ? 1 : 0; \
	}

#endif
