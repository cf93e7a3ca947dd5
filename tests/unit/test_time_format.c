/* test_time_format.c — unit tests of time_format_rfc3339 and time_split_utc (src/core/clock.c):
 * the hand-written formatter against instants worked out by hand and against strftime over a
 * sweep, and the lock-free split against gmtime_r. */
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

/* time_split_utc against glibc's gmtime_r: a sweep over ±3,000 years with an odd step (so
 * every field takes many values), and the edges of days, leap days and centuries. */
static void expect_like_gmtime(int64_t secs) {
  time_t t = (time_t)secs;
  struct tm tm;
  assert_non_null(gmtime_r(&t, &tm));
  time_parts got;
  time_split_utc(secs, &got);
  assert_int_equal(got.year, (int64_t)tm.tm_year + 1900);
  assert_int_equal(got.month, tm.tm_mon + 1);
  assert_int_equal(got.day, tm.tm_mday);
  assert_int_equal(got.hour, tm.tm_hour);
  assert_int_equal(got.minute, tm.tm_min);
  assert_int_equal(got.second, tm.tm_sec);
}

static void test_split_against_gmtime(void **state) {
  const int64_t span = 3000LL * 366 * 86400;
  for (int64_t s = -span; s < span; s += 86400LL * 29 + 3607) expect_like_gmtime(s);
  /* around midnight on both sides of 1970, and at the leap days of 1900, 2000, 2100 */
  static const int64_t days[] = {-1, 0, 1, -25509, 11016, 11017, 47540, 47541, -25568, 10956, 47482};
  for (size_t i = 0; i < sizeof days / sizeof days[0]; i++)
    for (int64_t d = -1; d <= 1; d++)
      expect_like_gmtime((days[i] + d) * 86400 - 1), expect_like_gmtime((days[i] + d) * 86400),
          expect_like_gmtime((days[i] + d) * 86400 + 1);
  time_parts p;
  time_split_utc(-62167219200LL, &p); /* 0000-01-01T00:00:00Z */
  assert_int_equal(p.year, 0);
  assert_int_equal(p.month, 1);
  assert_int_equal(p.day, 1);
  time_split_utc(-62167219201LL, &p); /* one second before: year -1 */
  assert_int_equal(p.year, -1);
  assert_int_equal(p.month, 12);
  assert_int_equal(p.day, 31);
  assert_int_equal(p.second, 59);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_known_instants),
      cmocka_unit_test(test_sweep_against_strftime),
      cmocka_unit_test(test_split_against_gmtime),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
