/* test_time_format.c — unit tests of time_format_rfc3339 (src/core/clock.c): the hand-written
 * formatter against instants worked out by hand and against strftime over a sweep. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "core/clock.h"

static void check(int64_t ms, const char *want) {
  char out[40];
  memset(out, 'x', sizeof out);
  time_format_rfc3339(ms, out);
  assert_string_equal(out, want);
}

static void test_known_instants(void **state) {
  check(0, "1970-01-01T08:00:00+08:00");
  check(1, "1970-01-01T08:00:00.001+08:00");
  check(999, "1970-01-01T08:00:00.999+08:00");
  check(-1, "1970-01-01T07:59:59.999+08:00");
  check(-8 * 3600 * 1000LL, "1970-01-01T00:00:00+08:00");
  check(-8 * 3600 * 1000LL - 1, "1969-12-31T23:59:59.999+08:00");
  /* National Day 2026, 09:00 Beijing time = 01:00 UTC */
  check(1790816400000LL, "2026-10-01T09:00:00+08:00");
  /* the last millisecond of 2025 in Beijing */
  check(1767196799999LL, "2025-12-31T23:59:59.999+08:00");
  /* a leap day */
  check(1709136000000LL, "2024-02-29T00:00:00+08:00");
  /* year 9999 still goes through the fast path; 10000 falls back and still fits */
  check(253402271999000LL, "9999-12-31T23:59:59+08:00");
  char out[40];
  time_format_rfc3339(253402272000000LL, out);
  assert_string_equal(out, "10000-01-01T00:00:00+08:00");
}

static void test_sweep_against_strftime(void **state) {
  /* every 7 hours 13 minutes 17.123 s across 1999–2031 */
  for (int64_t ms = 915148800000LL; ms < 1956528000000LL; ms += 25997123LL) {
    time_t secs = (time_t)((ms + 8 * 3600 * 1000LL) / 1000);
    struct tm tm;
    gmtime_r(&secs, &tm);
    char base[32], want[48], got[40];
    strftime(base, sizeof base, "%Y-%m-%dT%H:%M:%S", &tm);
    int frac = (int)((ms + 8 * 3600 * 1000LL) % 1000);
    if (frac)
      snprintf(want, sizeof want, "%s.%03d+08:00", base, frac);
    else
      snprintf(want, sizeof want, "%s+08:00", base);
    time_format_rfc3339(ms, got);
    assert_string_equal(got, want);
  }
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_known_instants),
      cmocka_unit_test(test_sweep_against_strftime),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
