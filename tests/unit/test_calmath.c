/* test_calmath.c — unit tests of src/modules/calendar/calmath.c: civil dates, the parsers,
 * deadlines and elapsed business time on an "office hours" calendar carrying the real
 * 2025/2026 Chinese public holidays and make-up working days (调休), and the 7x24 calendar.
 *
 * Expected deadlines were worked out by hand; each case says how. Office hours are
 * Mon–Fri 08:30–12:00 (3.5 h) and 14:00–17:30 (3.5 h): 7 h a day, 35 h an ordinary week.
 * A make-up workday works Monday's hours. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>

#include "modules/calendar/calmath.h"

#define MINS(n) ((int64_t)(n) * 60000)
#define HOURS(n) ((int64_t)(n) * 3600000)

/* The State Council's 2025 and 2026 arrangements (data/cn-holidays-2025-2026.json): every
 * "off" date, weekend days folded into a holiday included, and every make-up workday. */
static const char *const holiday_dates[] = {
    /* 2025 */
    "2025-01-01",                                                         /* 元旦 */
    "2025-01-28", "2025-01-29", "2025-01-30", "2025-01-31", "2025-02-01", /* 春节 */
    "2025-02-02", "2025-02-03", "2025-02-04",                             /* */
    "2025-04-04", "2025-04-05", "2025-04-06",                             /* 清明节 */
    "2025-05-01", "2025-05-02", "2025-05-03", "2025-05-04", "2025-05-05", /* 劳动节 */
    "2025-05-31", "2025-06-01", "2025-06-02",                             /* 端午节 */
    "2025-10-01", "2025-10-02", "2025-10-03", "2025-10-04", "2025-10-05", /* 国庆节、中秋节 */
    "2025-10-06", "2025-10-07", "2025-10-08",                             /* */
    /* 2026 */
    "2026-01-01", "2026-01-02", "2026-01-03",                             /* 元旦 */
    "2026-02-15", "2026-02-16", "2026-02-17", "2026-02-18", "2026-02-19", /* 春节 */
    "2026-02-20", "2026-02-21", "2026-02-22", "2026-02-23",               /* */
    "2026-04-04", "2026-04-05", "2026-04-06",                             /* 清明节 */
    "2026-05-01", "2026-05-02", "2026-05-03", "2026-05-04", "2026-05-05", /* 劳动节 */
    "2026-06-19", "2026-06-20", "2026-06-21",                             /* 端午节 */
    "2026-09-25", "2026-09-26", "2026-09-27",                             /* 中秋节 */
    "2026-10-01", "2026-10-02", "2026-10-03", "2026-10-04", "2026-10-05", /* 国庆节 */
    "2026-10-06", "2026-10-07",
};
static const char *const workday_dates[] = {
    "2025-01-26", "2025-02-08", "2025-04-27", "2025-09-28", "2025-10-11", /* 2025 */
    "2026-01-04", "2026-02-14", "2026-02-28", "2026-05-09", "2026-09-20", "2026-10-10", /* 2026 */
};
#define NHOL (sizeof holiday_dates / sizeof holiday_dates[0])
#define NWORK (sizeof workday_dates / sizeof workday_dates[0])

static int32_t holidays[NHOL], workdays[NWORK];
static cal_calendar office;       /* office hours + the holiday data */
static cal_calendar office_plain; /* office hours, no lists */

static void set_office_week(cal_calendar *c) {
  memset(c, 0, sizeof *c);
  for (int d = 0; d < 5; d++) {
    c->week[d][0] = (cal_period){8 * 60 + 30, 12 * 60};
    c->week[d][1] = (cal_period){14 * 60, 17 * 60 + 30};
    c->nperiods[d] = 2;
  }
}

static int setup(void **state) {
  for (size_t i = 0; i < NHOL; i++)
    if (cal_parse_date(holiday_dates[i], &holidays[i])) return -1;
  for (size_t i = 0; i < NWORK; i++)
    if (cal_parse_date(workday_dates[i], &workdays[i])) return -1;
  set_office_week(&office);
  office.holidays = holidays;
  office.nholidays = NHOL;
  office.workdays = workdays;
  office.nworkdays = NWORK;
  set_office_week(&office_plain);
  return 0;
}

static int64_t T(const char *s) {
  int64_t ms = 0;
  err e;
  if (cal_parse_rfc3339(s, &ms, &e)) fail_msg("bad test timestamp %s: %s", s, e.msg);
  return ms;
}

#define assert_instant(got, want)      \
  do {                                 \
    char b_[32];                       \
    int64_t g_ = (got);                \
    assert_true(g_ != -1);             \
    cal_format_rfc3339(g_, b_);        \
    assert_string_equal(b_, (want));   \
  } while (0)

#define assert_deadline(cal, start, dur, want) assert_instant(cal_add((cal), T(start), (dur)), want)

/* ---- civil dates -------------------------------------------------------------------- */

static void test_civil_dates(void **state) {
  assert_int_equal(cal_days_from_civil(1970, 1, 1), 0);
  assert_int_equal(cal_days_from_civil(2000, 3, 1), 11017);
  assert_int_equal(cal_days_from_civil(1969, 12, 31), -1);
  assert_int_equal(cal_days_from_civil(1, 1, 1), CAL_DAY_MIN);
  assert_int_equal(cal_days_from_civil(10000, 1, 1), CAL_DAY_MAX);
  for (int32_t z = CAL_DAY_MIN; z < CAL_DAY_MAX; z += 37) {
    int y, m, d;
    cal_civil_from_days(z, &y, &m, &d);
    assert_int_equal(cal_days_from_civil(y, m, d), z);
  }
  assert_int_equal(cal_weekday(0), 3);                                /* 1970-01-01 Thursday */
  assert_int_equal(cal_weekday(cal_days_from_civil(2026, 9, 30)), 2); /* Wednesday */
  assert_int_equal(cal_weekday(cal_days_from_civil(1969, 12, 29)), 0); /* Monday */
  /* every make-up workday in the data falls on a weekend */
  for (size_t i = 0; i < NWORK; i++) assert_true(cal_weekday(workdays[i]) >= 5);
  char b[16];
  cal_format_date(cal_days_from_civil(2026, 2, 28), b);
  assert_string_equal(b, "2026-02-28");
}

static void test_parse_date(void **state) {
  int32_t z;
  assert_int_equal(cal_parse_date("2026-10-01", &z), 0);
  assert_int_equal(z, cal_days_from_civil(2026, 10, 1));
  assert_int_equal(cal_parse_date("2024-02-29", &z), 0); /* leap year */
  assert_int_equal(cal_parse_date("2000-02-29", &z), 0); /* divisible by 400 */
  assert_int_equal(cal_parse_date("0001-01-01", &z), 0);
  assert_int_equal(cal_parse_date("9999-12-31", &z), 0);
  static const char *const bad[] = {
      "2025-02-29", "1900-02-29", "2026-04-31", "2026-06-31", "2026-13-01", "2026-00-10",
      "2026-01-00", "2026-01-32", "2026-1-01",  "2026-01-1",  "26-01-01",   "2026/01/01",
      "2026-01-01 ", " 2026-01-01", "2026-01-01T", "0000-01-01", "abcd-ef-gh", "",
      "+026-01-01", "2026-0a-01",
  };
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    if (cal_parse_date(bad[i], &z) == 0) fail_msg("accepted bad date \"%s\"", bad[i]);
  }
  assert_int_equal(cal_parse_date(NULL, &z), -1);
}

static void test_parse_hhmm(void **state) {
  int m;
  assert_int_equal(cal_parse_hhmm("08:30", &m), 0);
  assert_int_equal(m, 510);
  assert_int_equal(cal_parse_hhmm("00:00", &m), 0);
  assert_int_equal(m, 0);
  assert_int_equal(cal_parse_hhmm("23:59", &m), 0);
  assert_int_equal(m, 1439);
  assert_int_equal(cal_parse_hhmm("24:00", &m), 0); /* only valid as an end; caldoc checks */
  assert_int_equal(m, 1440);
  static const char *const bad[] = {"24:01", "25:00", "8:30",   "08:60",  "0830", "08:30:00",
                                    "",      " 8:30", "08:3",   "-1:00",  "08-30", "ab:cd",
                                    "99:99", "08:30 "};
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
    if (cal_parse_hhmm(bad[i], &m) == 0) fail_msg("accepted bad time \"%s\"", bad[i]);
  char b[8];
  cal_format_hhmm(1440, b);
  assert_string_equal(b, "24:00");
  cal_format_hhmm(510, b);
  assert_string_equal(b, "08:30");
}

/* ---- durations ---------------------------------------------------------------------- */

static void test_parse_duration_good(void **state) {
  static const struct {
    const char *in;
    int64_t secs;
  } good[] = {
      {"8h", 28800},        {"30m", 1800},       {"90s", 90},           {"1h30m", 5400},
      {"2d", 172800},       {"1d2h3m4s", 93784}, {"0", 0},              {"3600", 3600},
      {"0h", 0},            {"08h", 28800},      {"PT8H", 28800},       {"PT1H30M", 5400},
      {"PT90S", 90},        {"P2D", 172800},     {"P1DT4H", 100800},    {"PT0S", 0},
      {"365d", 31536000},   {"1000h", 3600000},  {"36500d", CAL_DURATION_MAX_S},
      {"3153600000", CAL_DURATION_MAX_S},
  };
  for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
    int64_t s = -1;
    err e;
    err_clear(&e);
    if (cal_parse_duration(good[i].in, &s, &e)) fail_msg("rejected \"%s\": %s", good[i].in, e.msg);
    assert_int_equal(s, good[i].secs);
  }
}

static void test_parse_duration_bad(void **state) {
  static const struct {
    const char *in, *msg; /* msg: a substring the message must contain */
  } bad[] = {
      {"", "empty"},
      {"-1h", "negative"},
      {"-5", "negative"},
      {"8x", "unknown unit 'x'"},
      {"8H", "unknown unit 'H'"},
      {"8w", "unknown unit 'w'"},
      {"h", "expected a number at position 1"},
      {"1h30", "number at the end has no unit"},
      {"30m1h", "repeated or out of order"},
      {"1h1h", "repeated or out of order"},
      {"8 h", "unknown unit ' '"},
      {" 8h", "expected a number at position 1"},
      {"8h ", "expected a number at position 3"},
      {"8h!", "expected a number at position 3"},
      {"1.5h", "fractional"},
      {"+8h", "expected a number"},
      {"99999999999999999999", "exceeds the maximum"},
      {"99999999999999999999h", "exceeds the maximum"},
      {"36501d", "exceeds the maximum"},
      {"3153600001", "exceeds the maximum"},
      {"P", "no components"},
      {"PT", "no hours, minutes or seconds after 'T'"},
      {"P1DT", "no hours, minutes or seconds after 'T'"},
      {"PT1.5H", "fractional"},
      {"P1W", "only days (D)"},
      {"P1Y", "only days (D)"},
      {"P1M", "only days (D)"},
      {"P8H", "must follow 'T'"},
      {"PT1D", "unknown unit 'D'"},
      {"PT30M1H", "repeated or out of order"},
      {"PTT1H", "second 'T'"},
      {"PT8", "no unit"},
      {"PT8H ", "expected a number"},
      {"pt8h", "expected a number at position 1"},
      {"P36501D", "exceeds the maximum"},
  };
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    int64_t s = 42;
    err e;
    err_clear(&e);
    if (cal_parse_duration(bad[i].in, &s, &e) == 0) fail_msg("accepted bad \"%s\"", bad[i].in);
    assert_int_equal(e.code, ERR_validation_failed);
    assert_string_equal(e.field, "");
    if (!strstr(e.msg, bad[i].msg))
      fail_msg("\"%s\": message \"%s\" lacks \"%s\"", bad[i].in, e.msg, bad[i].msg);
    assert_int_equal(s, 42); /* untouched on failure */
  }
  int64_t s;
  err e;
  assert_int_equal(cal_parse_duration(NULL, &s, &e), -1);
}

/* ---- RFC 3339 ----------------------------------------------------------------------- */

static void test_rfc3339(void **state) {
  /* 2026-01-01T00:00:00Z is 1767225600 s: 2025-01-01 is 1735689600, plus 365 days. */
  assert_int_equal(T("2026-01-01T00:00:00Z"), 1767225600000LL);
  assert_int_equal(T("1970-01-01T00:00:00Z"), 0);
  assert_int_equal(T("1970-01-01T08:00:00+08:00"), 0);
  assert_int_equal(T("1969-12-31T19:00:00-05:00"), 0);
  assert_int_equal(T("1970-01-01T05:30:00+05:30"), 0);
  assert_int_equal(T("1970-01-01T00:00:00-00:00"), 0);
  assert_int_equal(T("2026-09-30T16:00:00+08:00"), T("2026-09-30T08:00:00Z"));
  assert_int_equal(T("2026-09-30t08:00:00z"), T("2026-09-30T08:00:00Z"));
  assert_int_equal(T("2026-09-30T08:00:00.5Z"), T("2026-09-30T08:00:00Z") + 500);
  assert_int_equal(T("2026-09-30T08:00:00.123456789Z"), T("2026-09-30T08:00:00Z") + 123);
  assert_int_equal(T("2026-09-30T08:00:00.07Z"), T("2026-09-30T08:00:00Z") + 70);
  /* an offset can move the civil date across midnight and across a year */
  assert_int_equal(T("2025-12-31T23:30:00-01:00"), T("2026-01-01T00:30:00Z"));

  char b[32];
  cal_format_rfc3339(0, b);
  assert_string_equal(b, "1970-01-01T08:00:00+08:00");
  cal_format_rfc3339(-1, b); /* floored: the second before */
  assert_string_equal(b, "1970-01-01T07:59:59+08:00");
  cal_format_rfc3339(T("2026-10-09T01:30:00.999Z"), b);
  assert_string_equal(b, "2026-10-09T09:30:00+08:00");
  cal_format_rfc3339(T("2026-12-31T16:00:00Z"), b); /* 2027-01-01 00:00 in Beijing */
  assert_string_equal(b, "2027-01-01T00:00:00+08:00");
  cal_format_rfc3339(T("9999-12-31T23:59:59+08:00"), b);
  assert_string_equal(b, "9999-12-31T23:59:59+08:00");
  cal_format_rfc3339(T("0001-01-01T00:00:00+08:00"), b);
  assert_string_equal(b, "0001-01-01T00:00:00+08:00");
  /* the extremes of int64 still fit the 32 bytes */
  cal_format_rfc3339(INT64_MAX, b);
  assert_true(strlen(b) < 32 && strstr(b, "+08:00"));
  cal_format_rfc3339(INT64_MIN, b);
  assert_true(strlen(b) < 32 && b[0] == '-' && strstr(b, "+08:00"));
  char date[16];
  cal_format_date(INT32_MIN, date);
  assert_true(strlen(date) < 16 && date[0] == '-');
  cal_format_date(INT32_MAX, date);
  assert_true(strlen(date) < 16);

  static const struct {
    const char *in, *msg;
  } bad[] = {
      {"", "empty"},
      {"2026-09-30T16:00:00", "needs a time zone"},
      {"2026-09-30T16:00", "not an RFC 3339"},
      {"2026-09-30 16:00:00+08:00", "not an RFC 3339"},
      {"2026-02-30T16:00:00+08:00", "not an RFC 3339"},
      {"2026-9-30T16:00:00+08:00", "not an RFC 3339"},
      {"2026-09-30T24:00:00Z", "out-of-range time"},
      {"2026-09-30T12:60:00Z", "out-of-range time"},
      {"2026-12-31T23:59:60Z", "leap seconds"},
      {"2026-09-30T16:00:00+0800", "malformed offset"},
      {"2026-09-30T16:00:00+8:00", "malformed offset"},
      {"2026-09-30T16:00:00+24:00", "out-of-range offset"},
      {"2026-09-30T16:00:00+08:60", "out-of-range offset"},
      {"2026-09-30T16:00:00+08:00x", "trailing"},
      {"2026-09-30T16:00:00ZZ", "trailing"},
      {"2026-09-30T16:00:00.Z", "fractional"},
      {"2026-09-30T16:00:00.1234567890Z", "fractional"},
      {"2026-09-30T16:00:00 Z", "time zone"},
      {"2026-09-30T16:00:00UTC", "time zone"},
      {"0001-01-01T00:00:00+09:00", "outside the years"}, /* 0000-12-31 23:00 Beijing */
      {"9999-12-31T16:00:00Z", "outside the years"}, /* 10000-01-01 00:00 in Beijing */
  };
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    int64_t ms = 7;
    err e;
    err_clear(&e);
    if (cal_parse_rfc3339(bad[i].in, &ms, &e) == 0) fail_msg("accepted bad \"%s\"", bad[i].in);
    assert_int_equal(e.code, ERR_validation_failed);
    if (!strstr(e.msg, bad[i].msg))
      fail_msg("\"%s\": message \"%s\" lacks \"%s\"", bad[i].in, e.msg, bad[i].msg);
    assert_int_equal(ms, 7);
  }
  int64_t ms;
  err e;
  assert_int_equal(cal_parse_rfc3339("0000-12-31T23:00:00Z", &ms, &e), -1); /* year 0 */
  /* the first and last instants of the supported range */
  assert_int_equal(cal_parse_rfc3339("0001-01-01T00:00:00+08:00", &ms, &e), 0);
  assert_int_equal(cal_parse_rfc3339("9999-12-31T23:59:59.999+08:00", &ms, &e), 0);
  assert_int_equal(cal_parse_rfc3339(NULL, &ms, &e), -1);
}

/* ---- deadlines on the office calendar ----------------------------------------------- */

static void test_add_national_day_2026(void **state) {
  /* Wed 09-30 16:00–17:30 gives 1.5 h (6.5 h left); 10-01..10-07 are holidays; Thu 10-08
   * 08:30–12:00 gives 3.5 h (3 h left); 14:00 + 3 h = 17:00. */
  assert_deadline(&office, "2026-09-30T16:00:00+08:00", HOURS(8), "2026-10-08T17:00:00+08:00");
  /* 9.5 h: 1.5 h on 09-30, 7 h on Thu 10-08 (1 h left), Fri 10-09 08:30 + 1 h. */
  assert_deadline(&office, "2026-09-30T16:00:00+08:00", HOURS(9) + MINS(30),
                  "2026-10-09T09:30:00+08:00");
  /* 12 h: 1.5 + 7 leaves 3.5 h, exactly Fri 10-09's morning: due at 12:00, not 14:00. */
  assert_deadline(&office, "2026-09-30T16:00:00+08:00", HOURS(12), "2026-10-09T12:00:00+08:00");
  /* 12 h + 1 min: the extra minute is the first of the afternoon. */
  assert_deadline(&office, "2026-09-30T16:00:00+08:00", HOURS(12) + MINS(1),
                  "2026-10-09T14:01:00+08:00");
}

static void test_add_start_in_holiday(void **state) {
  /* Sat 10-03 is a holiday; 10-04..10-07 too; counting starts Thu 10-08 08:30; + 2 h. */
  assert_deadline(&office, "2026-10-03T10:00:00+08:00", HOURS(2), "2026-10-08T10:30:00+08:00");
  /* Mon 10-05 (a weekday, but a holiday) + 14 h: Thu 10-08 7 h, Fri 10-09 7 h → 17:30. */
  assert_deadline(&office, "2026-10-05T09:00:00+08:00", HOURS(14), "2026-10-09T17:30:00+08:00");
  /* + 15 h: the 15th hour falls on Sat 10-10, a make-up day: 08:30 + 1 h. */
  assert_deadline(&office, "2026-10-05T09:00:00+08:00", HOURS(15), "2026-10-10T09:30:00+08:00");
}

static void test_add_makeup_days(void **state) {
  /* Sat 10-10 is a make-up workday with Monday's hours: 10:00–12:00 2 h, 14:00 + 2 h. */
  assert_deadline(&office, "2026-10-10T10:00:00+08:00", HOURS(4), "2026-10-10T16:00:00+08:00");
  /* Sun 09-20 make-up day, start before hours: 08:30–12:00 3.5 h, 14:00–17:30 3.5 h (1 h
   * left), Mon 09-21 08:30 + 1 h. */
  assert_deadline(&office, "2026-09-20T07:00:00+08:00", HOURS(8), "2026-09-21T09:30:00+08:00");
  /* Fri 09-18 after hours; Sat 09-19 is an ordinary Saturday (off); Sun 09-20 is a make-up
   * day: 08:30 + 1 h. */
  assert_deadline(&office, "2026-09-18T18:00:00+08:00", HOURS(1), "2026-09-20T09:30:00+08:00");
  /* Sat 2026-02-28 (make-up, after the Spring Festival) 17:00 + 1 h: 0.5 h, then Sun 03-01
   * off, Mon 03-02 08:30 + 0.5 h. */
  assert_deadline(&office, "2026-02-28T17:00:00+08:00", HOURS(1), "2026-03-02T09:00:00+08:00");
}

static void test_add_lunch_and_hours(void **state) {
  /* Tue 09-29 inside the lunch break: counting starts 14:00; + 1 h. */
  assert_deadline(&office, "2026-09-29T12:30:00+08:00", HOURS(1), "2026-09-29T15:00:00+08:00");
  /* exactly 12:00 is already the break ([08:30, 12:00) is half-open): 14:00 + 30 min. */
  assert_deadline(&office, "2026-09-29T12:00:00+08:00", MINS(30), "2026-09-29T14:30:00+08:00");
  /* morning budget straddling lunch: 11:00–12:00 1 h, 14:00 + 1 h. */
  assert_deadline(&office, "2026-09-29T11:00:00+08:00", HOURS(2), "2026-09-29T15:00:00+08:00");
  /* before hours: 08:30 + 30 min. */
  assert_deadline(&office, "2026-09-29T06:00:00+08:00", MINS(30), "2026-09-29T09:00:00+08:00");
  /* after hours on Tue: Wed 09-30 08:30 + 1 h. */
  assert_deadline(&office, "2026-09-29T18:00:00+08:00", HOURS(1), "2026-09-30T09:30:00+08:00");
  /* at 17:30 exactly (closed): Wed 08:30 + 7 h fills the whole day → Wed 17:30. */
  assert_deadline(&office, "2026-09-29T17:30:00+08:00", HOURS(7), "2026-09-30T17:30:00+08:00");
  /* Mid-Autumn: Thu 09-24 17:00 + 1 h: 0.5 h, Fri 09-25..Sun 09-27 off, Mon 09-28 08:30 +
   * 0.5 h. */
  assert_deadline(&office, "2026-09-24T17:00:00+08:00", HOURS(1), "2026-09-28T09:00:00+08:00");
  /* sub-minute precision survives: 09:00:00.250 + 1.5 s. */
  assert_int_equal(cal_add(&office, T("2026-09-29T09:00:00.250+08:00"), 1500),
                   T("2026-09-29T09:00:01.750+08:00"));
}

static void test_add_spring_festival_2026(void **state) {
  /* Fri 02-13 16:00–17:30 1.5 h (12.5 h left); Sat 02-14 make-up 7 h (5.5 h left);
   * 02-15..02-23 off; Tue 02-24 08:30–12:00 3.5 h (2 h left), 14:00 + 2 h. */
  assert_deadline(&office, "2026-02-13T16:00:00+08:00", HOURS(14), "2026-02-24T16:00:00+08:00");
  /* Sat 02-14 (make-up) 17:00 + 1 h: 0.5 h, then nine days off, Tue 02-24 08:30 + 0.5 h. */
  assert_deadline(&office, "2026-02-14T17:00:00+08:00", HOURS(1), "2026-02-24T09:00:00+08:00");
  /* starting on New Year's Eve (02-16, a holiday): Tue 02-24 08:30 + 7 h → 17:30. */
  assert_deadline(&office, "2026-02-16T20:00:00+08:00", HOURS(7), "2026-02-24T17:30:00+08:00");
}

static void test_add_year_end_2025_2026(void **state) {
  /* Wed 2025-12-31 15:00–17:30 2.5 h (4.5 h left); 2026-01-01..03 off; Sun 01-04 make-up:
   * 08:30–12:00 3.5 h (1 h left), 14:00 + 1 h. */
  assert_deadline(&office, "2025-12-31T15:00:00+08:00", HOURS(7), "2026-01-04T15:00:00+08:00");
  /* 17:00 + 4 h: 0.5 h, then Sun 01-04's morning is exactly 3.5 h: due 12:00. */
  assert_deadline(&office, "2025-12-31T17:00:00+08:00", HOURS(4), "2026-01-04T12:00:00+08:00");
  /* 2025 side: Fri 2025-09-26 17:00 + 1 h → 0.5 h, Sat 09-27 off, Sun 09-28 make-up 09:00. */
  assert_deadline(&office, "2025-09-26T17:00:00+08:00", HOURS(1), "2025-09-28T09:00:00+08:00");
  /* National Day 2025 is eight days (10-01..10-08) and Sat 10-11 is a make-up day:
   * Tue 09-30 17:00 + 7.5 h: 0.5 h, Thu 10-09 7 h; total 7.5 → Thu 10-09 17:30. */
  assert_deadline(&office, "2025-09-30T17:00:00+08:00", HOURS(7) + MINS(30),
                  "2025-10-09T17:30:00+08:00");
  /* + 15 h: 0.5 + 7 (Thu 10-09) + 7 (Fri 10-10) = 14.5, Sat 10-11 make-up 08:30 + 0.5 h. */
  assert_deadline(&office, "2025-09-30T17:00:00+08:00", HOURS(15), "2025-10-11T09:00:00+08:00");
}

static void test_add_zero_and_invalid(void **state) {
  /* a zero budget is due at the start, in working time or not */
  assert_deadline(&office, "2026-10-03T10:00:00+08:00", 0, "2026-10-03T10:00:00+08:00");
  assert_deadline(&office, "2026-09-29T09:00:00+08:00", 0, "2026-09-29T09:00:00+08:00");
  assert_int_equal(cal_add(&office, T("2026-09-29T09:00:00+08:00"), -1), -1);
  cal_calendar none;
  memset(&none, 0, sizeof none);
  assert_int_equal(cal_add(&none, T("2026-09-29T09:00:00+08:00"), 1), -1);
  assert_int_equal(cal_add(&none, T("2026-09-29T09:00:00+08:00"), 0), T("2026-09-29T09:00:00+08:00"));
  assert_int_equal(cal_elapsed(&none, 0, T("2026-09-29T09:00:00+08:00")), 0);
  assert_int_equal(cal_next_working_instant(&none, 0), -1);
  /* the deadline would pass 9999-12-31 */
  assert_int_equal(cal_add(&office, T("9999-12-30T09:00:00+08:00"), HOURS(1000)), -1);
  assert_int_equal(cal_add(&office, T("2026-09-29T09:00:00+08:00"), INT64_MAX), -1);
  assert_int_equal(cal_add(&office, INT64_MAX, 1), -1);
  assert_int_equal(cal_add(&office, INT64_MIN, 1), -1);
}

static void test_add_long_durations(void **state) {
  /* 1000 h from Mon 2026-01-05 08:30 = 142 working days of 7 h + 6 h. Working days from
   * 01-05: Jan 20; Feb 20 weekdays − 6 holidays (16–20, 23) + 2 make-up Saturdays = 16;
   * Mar 22; Apr 22 − 1 (04-06) = 21; May 21 − 3 (01, 04, 05) + 1 (05-09) = 19; Jun 22 − 1
   * (06-19) = 21; Jul 23. 20+16+22+21+19+21+23 = 142, ending Fri 07-31 17:30. Then Mon
   * 08-03: 08:30–12:00 3.5 h, 14:00 + 2.5 h = 16:30. */
  assert_deadline(&office, "2026-01-05T08:30:00+08:00", HOURS(1000), "2026-08-03T16:30:00+08:00");
  /* "365d" = 8760 h of business time from Mon 2027-01-04 08:30 (no list entries from 2027
   * on): 8760 = 250 weeks × 35 h + 10 h. 250 weeks = 1750 days → Mon 2031-10-20 08:30
   * (2027-01-04 + 1461 days = 2031-01-04, + 289 days = 10-20). Then Mon 7 h, Tue 08:30 +
   * 3 h = 11:30. */
  assert_deadline(&office, "2027-01-04T08:30:00+08:00", HOURS(8760), "2031-10-21T11:30:00+08:00");
  /* A century of business time terminates fast and round-trips. */
  int64_t s = T("2025-06-01T00:00:00+08:00"), d = HOURS(35) * 52 * 100;
  int64_t dl = cal_add(&office, s, d);
  assert_true(dl > s);
  assert_int_equal(cal_elapsed(&office, s, dl), d);
  /* 2026 starts on a Thursday and has 365 days: 52 weeks + 1 day = 261 weekdays; minus 19
   * weekday holidays (01-01, 01-02; 02-16..20, 02-23; 04-06; 05-01, 05-04, 05-05; 06-19;
   * 09-25; 10-01, 10-02, 10-05..07) plus 6 make-up days = 248 working days of 7 h.
   * Month by month: 21 16 22 21 19 21 23 21 22 18 21 23 = 248. */
  assert_int_equal(cal_elapsed(&office, T("2026-01-01T00:00:00+08:00"), T("2027-01-01T00:00:00+08:00")),
                   HOURS(248 * 7));
  /* 2025 starts on a Wednesday: 261 weekdays; minus 18 weekday holidays (01-01; 01-28..31,
   * 02-03, 02-04; 04-04; 05-01, 05-02, 05-05; 06-02; 10-01..03, 10-06..08) plus 5 make-up
   * days = 248. */
  assert_int_equal(cal_elapsed(&office, T("2025-01-01T00:00:00+08:00"), T("2026-01-01T00:00:00+08:00")),
                   HOURS(248 * 7));
}

static void test_week_skip_matches_day_walk(void **state) {
  /* Sunday holidays change nothing (Sunday has no hours) but stop the whole-week skip: the
   * results with and without them must be identical. */
  static int32_t sundays[600];
  int32_t first = cal_days_from_civil(2027, 1, 3); /* a Sunday */
  assert_int_equal(cal_weekday(first), 6);
  for (int i = 0; i < 600; i++) sundays[i] = first + 7 * i;
  cal_calendar walked = office_plain;
  walked.holidays = sundays;
  walked.nholidays = 600;
  int64_t starts[] = {T("2027-01-01T00:00:00+08:00"), T("2027-03-17T11:11:11+08:00"),
                      T("2028-02-29T17:29:59+08:00")};
  int64_t durs[] = {1, HOURS(35), HOURS(35) + 1, HOURS(70), HOURS(1000), HOURS(2000) + MINS(7)};
  for (size_t i = 0; i < 3; i++)
    for (size_t j = 0; j < 6; j++) {
      int64_t a = cal_add(&office_plain, starts[i], durs[j]);
      assert_int_equal(a, cal_add(&walked, starts[i], durs[j]));
      assert_int_equal(cal_elapsed(&office_plain, starts[i], a), durs[j]);
      assert_int_equal(cal_elapsed(&walked, starts[i], a), durs[j]);
    }
}

/* ---- 7x24 --------------------------------------------------------------------------- */

static void test_7x24(void **state) {
  cal_calendar c = cal_7x24();
  assert_int_equal(cal_week_ms(&c), HOURS(168));
  /* every instant is working time: deadlines are plain additions */
  assert_deadline(&c, "2026-09-30T16:00:00+08:00", HOURS(8), "2026-10-01T00:00:00+08:00");
  /* 1000 h = 41 days 16 h: 09-30 16:00 + 41 d = 11-10 16:00, + 16 h = 11-11 08:00. */
  assert_deadline(&c, "2026-09-30T16:00:00+08:00", HOURS(1000), "2026-11-11T08:00:00+08:00");
  assert_deadline(&c, "2026-10-03T03:00:00+08:00", MINS(1), "2026-10-03T03:01:00+08:00");
  for (int64_t s = T("2026-01-01T00:00:00Z"); s < T("2026-01-15T00:00:00Z"); s += 7777777) {
    assert_int_equal(cal_add(&c, s, 123456789), s + 123456789);
    assert_int_equal(cal_elapsed(&c, s, s + 987654321), 987654321);
    assert_true(cal_is_working(&c, s));
    assert_int_equal(cal_next_working_instant(&c, s), s);
  }
}

/* Found by tests/fuzz/fuzz_calendar: before 1970 the day numbers are negative and the
 * week skip computed INT64_MAX - day (signed overflow) when the calendar has no holiday or
 * workday after the start. */
static void test_before_1970_without_lists(void **state) {
  cal_calendar c = cal_7x24();
  assert_deadline(&c, "1900-01-01T00:00:00+08:00", HOURS(24 * 30), "1900-01-31T00:00:00+08:00");
  assert_deadline(&c, "0001-01-01T00:00:00+08:00", HOURS(24 * 365), "0002-01-01T00:00:00+08:00");
  assert_int_equal(cal_elapsed(&c, T("1900-01-01T00:00:00+08:00"), T("1969-12-31T00:00:00+08:00")),
                   (int64_t)(T("1969-12-31T00:00:00+08:00") - T("1900-01-01T00:00:00+08:00")));
  /* office hours without lists: 35 h a week, so 70 h is two weeks on, Monday morning */
  assert_deadline(&office_plain, "1950-01-02T08:30:00+08:00", HOURS(70), "1950-01-13T17:30:00+08:00");
  assert_int_equal(cal_elapsed(&office_plain, T("1950-01-02T00:00:00+08:00"), T("1950-01-16T00:00:00+08:00")),
                   HOURS(70));
}

/* ---- elapsed ------------------------------------------------------------------------ */

static void test_elapsed(void **state) {
  /* a pause across a weekend adds no business time: Fri 09-11 17:30 .. Mon 09-14 08:30 */
  assert_int_equal(cal_elapsed(&office, T("2026-09-11T17:30:00+08:00"), T("2026-09-14T08:30:00+08:00")), 0);
  /* Fri 17:00 .. Mon 09:00: 0.5 h + 0.5 h */
  assert_int_equal(cal_elapsed(&office, T("2026-09-11T17:00:00+08:00"), T("2026-09-14T09:00:00+08:00")), HOURS(1));
  /* the National Day week adds nothing: Wed 09-30 17:30 .. Thu 10-08 08:30 */
  assert_int_equal(cal_elapsed(&office, T("2026-09-30T17:30:00+08:00"), T("2026-10-08T08:30:00+08:00")), 0);
  assert_int_equal(cal_elapsed(&office, T("2026-09-30T16:00:00+08:00"), T("2026-10-08T17:00:00+08:00")), HOURS(8));
  /* an ordinary week Mon 00:00 .. Mon 00:00 is 35 h */
  assert_int_equal(cal_elapsed(&office, T("2026-09-07T00:00:00+08:00"), T("2026-09-14T00:00:00+08:00")), HOURS(35));
  /* the week with the Sunday make-up day 09-20 and the Friday holiday 09-25 is 35 h too:
   * Sun 09-20 + Mon–Thu 09-21..24 */
  assert_int_equal(cal_elapsed(&office, T("2026-09-19T00:00:00+08:00"), T("2026-09-26T00:00:00+08:00")), HOURS(35));
  /* inside one period, and across lunch */
  assert_int_equal(cal_elapsed(&office, T("2026-09-29T09:00:00+08:00"), T("2026-09-29T09:00:01+08:00")), 1000);
  assert_int_equal(cal_elapsed(&office, T("2026-09-29T11:00:00+08:00"), T("2026-09-29T15:00:00+08:00")), HOURS(2));
  /* empty and reversed intervals */
  int64_t t = T("2026-09-29T09:00:00+08:00");
  assert_int_equal(cal_elapsed(&office, t, t), 0);
  assert_int_equal(cal_elapsed(&office, t + 1, t), 0);
}

/* Brute force: working minutes in [from, to) by testing every minute with cal_is_working. */
static int64_t brute_elapsed(const cal_calendar *c, int64_t from, int64_t to) {
  int64_t n = 0;
  for (int64_t m = from; m < to; m += MINS(1)) n += cal_is_working(c, m);
  return n * MINS(1);
}

static void test_round_trips(void **state) {
  const int64_t durs[] = {1, MINS(1), HOURS(1), HOURS(3) + MINS(30), HOURS(7), HOURS(8), HOURS(35), HOURS(200)};
  int n = 0;
  for (int64_t s = T("2026-09-15T00:00:00+08:00"); s < T("2026-10-20T00:00:00+08:00"); s += MINS(53)) {
    for (size_t i = 0; i < sizeof durs / sizeof durs[0]; i++) {
      int64_t dl = cal_add(&office, s, durs[i]);
      assert_true(dl > s);
      assert_int_equal(cal_elapsed(&office, s, dl), durs[i]);
      /* minimal: one millisecond earlier the budget is not yet spent, and that last
       * millisecond is working time */
      assert_int_equal(cal_elapsed(&office, s, dl - 1), durs[i] - 1);
      assert_true(cal_is_working(&office, dl - 1));
      n++;
    }
  }
  assert_true(n > 7000);
  /* the year end and Spring Festival as well, with odd starts and durations */
  for (int64_t s = T("2025-12-20T00:00:00+08:00"); s < T("2026-03-05T00:00:00+08:00"); s += 4321987)
    for (int64_t d = 1; d < HOURS(300); d = d * 3 + 12345) {
      int64_t dl = cal_add(&office, s, d);
      assert_int_equal(cal_elapsed(&office, s, dl), d);
    }
  /* minute-aligned elapsed agrees with counting minutes one by one */
  for (int64_t s = T("2026-09-14T07:00:00+08:00"); s < T("2026-10-12T00:00:00+08:00"); s += HOURS(29) + MINS(17)) {
    int64_t to = s + HOURS(24 * 9) + MINS(41);
    assert_int_equal(cal_elapsed(&office, s, to), brute_elapsed(&office, s, to));
  }
  int64_t a = T("2026-01-20T00:00:00+08:00"), b = T("2026-03-03T00:00:00+08:00");
  assert_int_equal(cal_elapsed(&office, a, b), brute_elapsed(&office, a, b));
}

/* ---- working instants --------------------------------------------------------------- */

static void test_next_working_and_is_working(void **state) {
  assert_instant(cal_next_working_instant(&office, T("2026-10-03T10:00:00+08:00")), "2026-10-08T08:30:00+08:00");
  assert_instant(cal_next_working_instant(&office, T("2026-09-29T09:00:00+08:00")), "2026-09-29T09:00:00+08:00");
  assert_instant(cal_next_working_instant(&office, T("2026-09-29T12:00:00+08:00")), "2026-09-29T14:00:00+08:00");
  assert_instant(cal_next_working_instant(&office, T("2026-09-29T17:30:00+08:00")), "2026-09-30T08:30:00+08:00");
  assert_instant(cal_next_working_instant(&office, T("2026-09-18T17:30:00+08:00")), "2026-09-20T08:30:00+08:00");
  assert_instant(cal_next_working_instant(&office, T("2026-02-14T17:30:00+08:00")), "2026-02-24T08:30:00+08:00");
  /* the start of a period is working, its end is not */
  assert_true(cal_is_working(&office, T("2026-09-29T08:30:00+08:00")));
  assert_false(cal_is_working(&office, T("2026-09-29T08:30:00+08:00") - 1));
  assert_true(cal_is_working(&office, T("2026-09-29T12:00:00+08:00") - 1));
  assert_false(cal_is_working(&office, T("2026-09-29T12:00:00+08:00")));
  assert_false(cal_is_working(&office, T("2026-10-05T10:00:00+08:00"))); /* Monday holiday */
  assert_true(cal_is_working(&office, T("2026-10-10T09:00:00+08:00")));  /* Saturday make-up */
  assert_false(cal_is_working(&office, T("2026-09-19T09:00:00+08:00"))); /* ordinary Saturday */
  assert_false(cal_is_working(&office, INT64_MAX));
  assert_int_equal(cal_next_working_instant(&office, INT64_MIN), -1);

  /* Monday-only calendar whose Mondays are holidays: none within 3 years → -1; if the
   * holidays stop after ~2 years, the first free Monday is found. */
  static int32_t mondays[160];
  int32_t first = cal_days_from_civil(2026, 1, 5);
  for (int i = 0; i < 160; i++) mondays[i] = first + 7 * i;
  cal_calendar c;
  memset(&c, 0, sizeof c);
  c.week[0][0] = (cal_period){540, 600};
  c.nperiods[0] = 1;
  c.holidays = mondays;
  c.nholidays = 160; /* 2026-01-05 + 159 weeks = Mon 2029-01-22, past 2026-01-01 + 1098 days */
  assert_int_equal(cal_next_working_instant(&c, T("2026-01-01T00:00:00+08:00")), -1);
  c.nholidays = 100; /* last holiday 100th Monday: 2026-01-05 + 693 days = 2027-11-29 */
  assert_instant(cal_next_working_instant(&c, T("2026-01-01T00:00:00+08:00")), "2027-12-06T09:00:00+08:00");
  /* cal_add has no 3-year limit: it walks past the holidays to Mon 2029-01-29 09:00 */
  c.nholidays = 160;
  assert_instant(cal_add(&c, T("2026-01-01T00:00:00+08:00"), MINS(30)), "2029-01-29T09:30:00+08:00");
}

static void test_midnight_and_conflicts(void **state) {
  /* periods touching midnight join up: Mon 22:00–24:00, Tue 00:00–02:00 */
  cal_calendar c;
  memset(&c, 0, sizeof c);
  c.week[0][0] = (cal_period){22 * 60, 1440};
  c.nperiods[0] = 1;
  c.week[1][0] = (cal_period){0, 120};
  c.nperiods[1] = 1;
  /* Mon 2026-09-28 23:00 + 2 h: 1 h to midnight, 1 h into Tuesday */
  assert_deadline(&c, "2026-09-28T23:00:00+08:00", HOURS(2), "2026-09-29T01:00:00+08:00");
  assert_true(cal_is_working(&c, T("2026-09-29T00:00:00+08:00")));
  assert_int_equal(cal_elapsed(&c, T("2026-09-28T00:00:00+08:00"), T("2026-10-05T00:00:00+08:00")), HOURS(4));
  /* a date in both lists (rejected by caldoc_parse) counts as a holiday */
  int32_t d = cal_days_from_civil(2026, 10, 10);
  cal_calendar both = office_plain;
  both.holidays = &d;
  both.nholidays = 1;
  both.workdays = &d;
  both.nworkdays = 1;
  assert_false(cal_is_working(&both, T("2026-10-10T09:00:00+08:00")));
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_civil_dates),
      cmocka_unit_test(test_parse_date),
      cmocka_unit_test(test_parse_hhmm),
      cmocka_unit_test(test_parse_duration_good),
      cmocka_unit_test(test_parse_duration_bad),
      cmocka_unit_test(test_rfc3339),
      cmocka_unit_test(test_add_national_day_2026),
      cmocka_unit_test(test_add_start_in_holiday),
      cmocka_unit_test(test_add_makeup_days),
      cmocka_unit_test(test_add_lunch_and_hours),
      cmocka_unit_test(test_add_spring_festival_2026),
      cmocka_unit_test(test_add_year_end_2025_2026),
      cmocka_unit_test(test_add_zero_and_invalid),
      cmocka_unit_test(test_add_long_durations),
      cmocka_unit_test(test_week_skip_matches_day_walk),
      cmocka_unit_test(test_7x24),
      cmocka_unit_test(test_before_1970_without_lists),
      cmocka_unit_test(test_elapsed),
      cmocka_unit_test(test_round_trips),
      cmocka_unit_test(test_next_working_and_is_working),
      cmocka_unit_test(test_midnight_and_conflicts),
  };
  return cmocka_run_group_tests(tests, setup, NULL);
}
