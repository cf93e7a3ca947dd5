/* fuzz_calendar.c — libFuzzer target: the business calendar (src/modules/calendar/):
 * caldoc_parse on arbitrary JSON, the small parsers (cal_parse_duration, cal_parse_rfc3339,
 * cal_parse_date, cal_parse_hhmm) and the maths (cal_add, cal_elapsed,
 * cal_next_working_instant) on parsed calendars and on calendars built from raw bytes.
 *
 * Input: four short lines — a duration, an RFC 3339 start, a date, a time of day — then
 * the calendar document (everything after the fourth newline). Every line also goes
 * through every parser, so each parser sees the others' inputs too.
 *
 * Properties checked (calmath.h and caldoc.h promise them):
 *   - what a parser accepts is in range and survives format → parse;
 *   - a parsed document renders to a document that parses to the same calendar;
 *   - d = cal_elapsed(s, cal_add(s, d)) whenever cal_add is defined, and the last
 *     millisecond before the deadline is working time (the deadline is the earliest one);
 *   - cal_elapsed is additive over adjacent intervals and never exceeds wall time;
 *   - cal_next_working_instant lands on working time with nothing worked in between.
 */
#include <jansson.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "modules/calendar/caldoc.h"
#include "modules/calendar/calmath.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(cond) \
  do {              \
    if (!(cond)) abort(); \
  } while (0)

#define DAY_MS CAL_MS_PER_DAY
/* First and last instants the calendar maths supports (calmath.h). */
#define T_MIN ((int64_t)CAL_DAY_MIN * DAY_MS - CAL_TZ_OFFSET_MS)
#define T_MAX ((int64_t)CAL_DAY_MAX * DAY_MS - CAL_TZ_OFFSET_MS)

static void check_parsers(const char *s) {
  int32_t days;
  if (cal_parse_date(s, &days) == 0) {
    CHECK(days >= CAL_DAY_MIN && days < CAL_DAY_MAX);
    char out[16];
    cal_format_date(days, out);
    int32_t again;
    CHECK(strcmp(out, s) == 0 && cal_parse_date(out, &again) == 0 && again == days);
  }
  int min;
  if (cal_parse_hhmm(s, &min) == 0) {
    CHECK(min >= 0 && min <= 1440);
    char out[8];
    cal_format_hhmm(min, out);
    CHECK(strcmp(out, s) == 0);
  }
  err e;
  err_clear(&e);
  int64_t secs;
  if (cal_parse_duration(s, &secs, &e) == 0)
    CHECK(secs >= 0 && secs <= CAL_DURATION_MAX_S);
  else
    CHECK(e.code == ERR_validation_failed && e.msg[0]);
  err_clear(&e);
  int64_t ms;
  if (cal_parse_rfc3339(s, &ms, &e) == 0) {
    CHECK(ms >= T_MIN && ms < T_MAX);
    char out[32];
    cal_format_rfc3339(ms, out);
    int64_t again;
    err_clear(&e);
    CHECK(cal_parse_rfc3339(out, &again, &e) == 0);
    int64_t floored = ms - ((ms % 1000) + 1000) % 1000;
    CHECK(again == floored);
  } else {
    CHECK(e.code == ERR_validation_failed && e.msg[0]);
  }
}

static int same_calendar(const cal_calendar *a, const cal_calendar *b) {
  for (int d = 0; d < 7; d++) {
    if (a->nperiods[d] != b->nperiods[d]) return 0;
    for (int i = 0; i < a->nperiods[d]; i++)
      if (a->week[d][i].start_min != b->week[d][i].start_min || a->week[d][i].end_min != b->week[d][i].end_min)
        return 0;
  }
  if (a->nholidays != b->nholidays || a->nworkdays != b->nworkdays) return 0;
  for (size_t i = 0; i < a->nholidays; i++)
    if (a->holidays[i] != b->holidays[i]) return 0;
  for (size_t i = 0; i < a->nworkdays; i++)
    if (a->workdays[i] != b->workdays[i]) return 0;
  return 1;
}

/* The maths on one calendar from start s with a budget of d ms. */
static void check_maths(const cal_calendar *c, int64_t s, int64_t d) {
  int64_t r = cal_add(c, s, d);
  if (d == 0) CHECK(r == s);
  if (r != -1 && d > 0) {
    CHECK(r > s && r <= T_MAX);
    CHECK(cal_elapsed(c, s, r) == d);
    CHECK(cal_elapsed(c, s, r - 1) == d - 1);
    CHECK(cal_is_working(c, r - 1));
    int64_t mid = s + (r - s) / 2;
    CHECK(cal_elapsed(c, s, mid) + cal_elapsed(c, mid, r) == d);
  }
  if (r == -1 && d > 0 && s >= T_MIN && s < T_MAX && cal_week_ms(c) > 0) {
    /* undefined only when the deadline would pass year 9999 */
    CHECK(cal_elapsed(c, s, T_MAX) < d);
  }
  int64_t n = cal_next_working_instant(c, s);
  if (n != -1) {
    CHECK(n >= s && cal_is_working(c, n));
    CHECK(cal_elapsed(c, s, n) == 0);
  }
  int64_t w = cal_elapsed(c, s, s + d);
  CHECK(w >= 0 && w <= d);
}

/* A valid calendar straight from bytes (sorted, non-overlapping periods; sorted unique day
 * lists near `near_day`), so the maths is fuzzed beyond what valid JSON documents reach. */
static size_t build_calendar(const uint8_t *p, size_t n, int32_t near_day, cal_calendar *c, int32_t *hol,
                             int32_t *work, size_t list_cap) {
  size_t used = 0;
#define NEXT() (used < n ? p[used++] : 0)
  memset(c, 0, sizeof *c);
  for (int d = 0; d < 7; d++) {
    int np = NEXT() % 4, at = 0;
    for (int i = 0; i < np && at < 1440; i++) {
      int gap = (NEXT() * 7) % 600, len = 1 + (NEXT() * 11) % 720;
      int start = at + (i ? gap : gap % 5 == 0 ? 0 : gap);
      if (start >= 1440) break;
      int end = start + len > 1440 ? 1440 : start + len;
      c->week[d][c->nperiods[d]++] = (cal_period){start, end};
      at = end + 1; /* touching periods are valid too, but keep them apart here */
    }
  }
  size_t nh = NEXT() % (list_cap + 1), nw = NEXT() % (list_cap + 1);
  int32_t day = near_day - 30;
  for (size_t i = 0; i < nh; i++) hol[c->nholidays++] = day += 1 + NEXT() % 20;
  day = near_day - 30;
  for (size_t i = 0; i < nw; i++) work[c->nworkdays++] = day += 1 + NEXT() % 20;
  c->holidays = c->nholidays ? hol : NULL;
  c->workdays = c->nworkdays ? work : NULL;
#undef NEXT
  return used;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size > 65536) return 0;
  char *buf = malloc(size + 1);
  if (!buf) return 0;
  memcpy(buf, data, size);
  buf[size] = '\0';

  /* four lines, then the document */
  const char *line[4] = {"", "", "", ""};
  char *rest = buf;
  for (int i = 0; i < 4 && rest; i++) {
    char *nl = strchr(rest, '\n');
    line[i] = rest;
    if (nl) *nl = '\0';
    rest = nl ? nl + 1 : NULL;
  }
  for (int i = 0; i < 4; i++) check_parsers(line[i]);

  err e;
  err_clear(&e);
  int64_t dur_s = 3600, start = 1790812800000LL; /* 2026-10-01T08:00:00+08:00 */
  if (cal_parse_duration(line[0], &dur_s, &e) != 0) dur_s = 3600;
  int64_t parsed;
  if (cal_parse_rfc3339(line[1], &parsed, &e) == 0) start = parsed;
  /* a few milliseconds from the bytes, so budgets are not always whole seconds */
  int64_t extra_ms = size ? data[size - 1] * 7 : 0;
  int64_t d = dur_s * 1000 + extra_ms;

  if (rest) {
    json_error_t je;
    json_t *doc = json_loads(rest, JSON_REJECT_DUPLICATES, &je);
    if (doc) {
      cal_calendar cal;
      char name[CALDOC_NAME_BUF];
      err_clear(&e);
      if (caldoc_parse(doc, &cal, name, sizeof name, &e) == 0) {
        json_t *again = caldoc_render(&cal, name);
        CHECK(again);
        cal_calendar cal2;
        char name2[CALDOC_NAME_BUF];
        err_clear(&e);
        CHECK(caldoc_parse(again, &cal2, name2, sizeof name2, &e) == 0);
        CHECK(same_calendar(&cal, &cal2) && strcmp(name, name2) == 0);
        json_t *third = caldoc_render(&cal2, name2);
        CHECK(third && json_equal(again, third));
        json_decref(third);
        json_decref(again);
        caldoc_free(&cal2);
        check_maths(&cal, start, d);
        check_maths(&cal, start, extra_ms);
        caldoc_free(&cal);
      } else {
        CHECK(e.code == ERR_validation_failed || e.code == ERR_unknown_field);
        CHECK(e.msg[0] != '\0');
      }
      json_decref(doc);
    }
  }

  /* and on a calendar made from the raw bytes */
  enum { LIST_CAP = 12 };
  int32_t hol[LIST_CAP], work[LIST_CAP];
  cal_calendar raw;
  int64_t sday = (start + CAL_TZ_OFFSET_MS) / DAY_MS;
  build_calendar(data, size, (int32_t)sday, &raw, hol, work, LIST_CAP);
  check_maths(&raw, start, d);
  check_maths(&raw, start + extra_ms * 997, extra_ms * 60000);
  cal_calendar full = cal_7x24();
  check_maths(&full, start, d);

  free(buf);
  return 0;
}
