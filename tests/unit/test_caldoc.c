/* test_caldoc.c — unit tests of src/modules/calendar/caldoc.c: a canonical office-hours
 * calendar with the real 2025/2026 Chinese holidays parses and renders back equal, and every
 * kind of bad document fails with the expected error code and field path. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "modules/calendar/caldoc.h"

/* The State Council's 2025/2026 arrangements (data/cn-holidays-2025-2026.json), sorted. */
static const char *const holiday_dates[] = {
    "2025-01-01", "2025-01-28", "2025-01-29", "2025-01-30", "2025-01-31", "2025-02-01",
    "2025-02-02", "2025-02-03", "2025-02-04", "2025-04-04", "2025-04-05", "2025-04-06",
    "2025-05-01", "2025-05-02", "2025-05-03", "2025-05-04", "2025-05-05", "2025-05-31",
    "2025-06-01", "2025-06-02", "2025-10-01", "2025-10-02", "2025-10-03", "2025-10-04",
    "2025-10-05", "2025-10-06", "2025-10-07", "2025-10-08", "2026-01-01", "2026-01-02",
    "2026-01-03", "2026-02-15", "2026-02-16", "2026-02-17", "2026-02-18", "2026-02-19",
    "2026-02-20", "2026-02-21", "2026-02-22", "2026-02-23", "2026-04-04", "2026-04-05",
    "2026-04-06", "2026-05-01", "2026-05-02", "2026-05-03", "2026-05-04", "2026-05-05",
    "2026-06-19", "2026-06-20", "2026-06-21", "2026-09-25", "2026-09-26", "2026-09-27",
    "2026-10-01", "2026-10-02", "2026-10-03", "2026-10-04", "2026-10-05", "2026-10-06",
    "2026-10-07",
};
static const char *const workday_dates[] = {
    "2025-01-26", "2025-02-08", "2025-04-27", "2025-09-28", "2025-10-11", "2026-01-04",
    "2026-02-14", "2026-02-28", "2026-05-09", "2026-09-20", "2026-10-10",
};
#define NHOL (sizeof holiday_dates / sizeof holiday_dates[0])
#define NWORK (sizeof workday_dates / sizeof workday_dates[0])

#define OFFICE_DAY "[[\"08:30\",\"12:00\"],[\"14:00\",\"17:30\"]]"
#define OFFICE_WEEK                                                                          \
  "{\"mon\":" OFFICE_DAY ",\"tue\":" OFFICE_DAY ",\"wed\":" OFFICE_DAY ",\"thu\":" OFFICE_DAY \
  ",\"fri\":" OFFICE_DAY ",\"sat\":[],\"sun\":[]}"

static json_t *load(const char *text) {
  json_error_t je;
  json_t *j = json_loads(text, JSON_DECODE_ANY, &je);
  if (!j) fail_msg("test JSON does not load: %s: %s", je.text, text);
  return j;
}

static json_t *strings(const char *const *v, size_t n) {
  json_t *a = json_array();
  for (size_t i = 0; i < n; i++) json_array_append_new(a, json_string(v[i]));
  return a;
}

/* The canonical office-hours document with the real holiday data. */
static json_t *office_doc(void) {
  json_t *d = json_object();
  json_object_set_new(d, "name", json_string("office hours"));
  json_object_set_new(d, "week", load(OFFICE_WEEK));
  json_object_set_new(d, "holidays", strings(holiday_dates, NHOL));
  json_object_set_new(d, "workdays", strings(workday_dates, NWORK));
  return d;
}

static void test_round_trip(void **state) {
  json_t *doc = office_doc();
  cal_calendar c;
  char name[CALDOC_NAME_BUF];
  err e;
  err_clear(&e);
  if (caldoc_parse(doc, &c, name, sizeof name, &e)) fail_msg("%s: %s", e.field, e.msg);
  assert_string_equal(name, "office hours");
  assert_int_equal(c.nholidays, NHOL);
  assert_int_equal(c.nworkdays, NWORK);
  assert_int_equal(c.nperiods[0], 2);
  assert_int_equal(c.week[0][0].start_min, 510);
  assert_int_equal(c.week[4][1].end_min, 1050);
  assert_int_equal(c.nperiods[5], 0);
  assert_int_equal(c.nperiods[6], 0);
  assert_int_equal(c.holidays[0], cal_days_from_civil(2025, 1, 1));
  assert_int_equal(c.workdays[NWORK - 1], cal_days_from_civil(2026, 10, 10));
  for (size_t i = 1; i < NHOL; i++) assert_true(c.holidays[i - 1] < c.holidays[i]);

  /* the parsed calendar works: the National Day case of test_calmath */
  int64_t s, want;
  assert_int_equal(cal_parse_rfc3339("2026-09-30T16:00:00+08:00", &s, &e), 0);
  assert_int_equal(cal_parse_rfc3339("2026-10-08T17:00:00+08:00", &want, &e), 0);
  assert_int_equal(cal_add(&c, s, 8 * 3600000LL), want);

  json_t *back = caldoc_render(&c, name);
  assert_non_null(back);
  if (!json_equal(doc, back)) {
    char *a = json_dumps(doc, JSON_COMPACT), *b = json_dumps(back, JSON_COMPACT);
    fail_msg("round trip differs:\n%s\n%s", a, b);
  }
  json_decref(back);
  caldoc_free(&c);
  assert_null(c.holidays);
  assert_int_equal(c.nholidays, 0);
  caldoc_free(&c); /* twice is harmless */
  caldoc_free(NULL);
  json_decref(doc);
}

static void test_lenient_but_valid(void **state) {
  /* lists omitted; unsorted dates come back sorted; touching periods, a 24:00 end, eight
   * periods in a day and a 100-character Chinese name are all fine */
  json_t *doc = load("{\"name\":\"\xe5\x8a\x9e\xe5\x85\xac\",\"week\":" OFFICE_WEEK "}");
  json_t *week = json_object_get(doc, "week");
  json_object_set_new(week, "sat", load("[[\"08:00\",\"12:00\"],[\"12:00\",\"24:00\"]]"));
  json_object_set_new(week, "sun",
                      load("[[\"00:00\",\"01:00\"],[\"02:00\",\"03:00\"],[\"04:00\",\"05:00\"],"
                           "[\"06:00\",\"07:00\"],[\"08:00\",\"09:00\"],[\"10:00\",\"11:00\"],"
                           "[\"12:00\",\"13:00\"],[\"14:00\",\"15:00\"]]"));
  cal_calendar c;
  char name[CALDOC_NAME_BUF];
  err e;
  if (caldoc_parse(doc, &c, name, sizeof name, &e)) fail_msg("%s: %s", e.field, e.msg);
  assert_string_equal(name, "\xe5\x8a\x9e\xe5\x85\xac"); /* 办公 */
  assert_null(c.holidays);
  assert_null(c.workdays);
  assert_int_equal(c.nperiods[5], 2);
  assert_int_equal(c.week[5][1].end_min, 1440);
  assert_int_equal(c.nperiods[6], CAL_MAX_PERIODS);
  json_t *back = caldoc_render(&c, name);
  assert_string_equal(json_string_value(json_array_get(json_array_get(
                          json_object_get(json_object_get(back, "week"), "sat"), 1), 1)),
                      "24:00");
  assert_int_equal(json_array_size(json_object_get(back, "holidays")), 0);
  json_decref(back);
  caldoc_free(&c);

  json_object_set_new(doc, "holidays", load("[\"2026-10-07\",\"2026-01-01\",\"2026-05-01\"]"));
  json_object_set_new(doc, "workdays", load("[\"2026-10-10\",\"2026-09-20\"]"));
  assert_int_equal(caldoc_parse(doc, &c, NULL, 0, &e), 0);
  back = caldoc_render(&c, NULL);
  assert_null(json_object_get(back, "name"));
  char *h = json_dumps(json_object_get(back, "holidays"), JSON_COMPACT);
  char *w = json_dumps(json_object_get(back, "workdays"), JSON_COMPACT);
  assert_string_equal(h, "[\"2026-01-01\",\"2026-05-01\",\"2026-10-07\"]");
  assert_string_equal(w, "[\"2026-09-20\",\"2026-10-10\"]");
  free(h);
  free(w);
  json_decref(back);
  caldoc_free(&c);

  /* 100 characters of 中 (300 bytes) fit; 101 do not */
  char big[400] = "";
  for (int i = 0; i < 100; i++) strcat(big, "\xe4\xb8\xad");
  json_object_set_new(doc, "name", json_string(big));
  assert_int_equal(caldoc_parse(doc, &c, name, sizeof name, &e), 0);
  assert_string_equal(name, big);
  caldoc_free(&c);
  strcat(big, "\xe4\xb8\xad");
  json_object_set_new(doc, "name", json_string(big));
  assert_int_equal(caldoc_parse(doc, &c, name, sizeof name, &e), -1);
  assert_string_equal(e.field, "name");
  json_decref(doc);
}

/* One bad-document case: set `path` ("" = the whole document, "key", or "week.day") of the
 * office document to the JSON `value` (NULL deletes it) and expect code, field and a message
 * containing msg. */
typedef struct {
  const char *path, *value;
  err_code code;
  const char *field, *msg;
} bad_case;

static const bad_case bad_cases[] = {
    {"", "[]", ERR_validation_failed, "", "must be a JSON object"},
    {"", "\"office\"", ERR_validation_failed, "", "must be a JSON object"},
    {"colour", "\"red\"", ERR_unknown_field, "colour", "unknown field 'colour'"},
    {"Name", "\"x\"", ERR_unknown_field, "Name", "unknown field"},
    /* name */
    {"name", NULL, ERR_validation_failed, "name", "required"},
    {"name", "42", ERR_validation_failed, "name", "must be a string"},
    {"name", "null", ERR_validation_failed, "name", "must be a string"},
    {"name", "\"\"", ERR_validation_failed, "name", "empty or blank"},
    {"name", "\"   \"", ERR_validation_failed, "name", "empty or blank"},
    {"name", "\"office\\nhours\"", ERR_validation_failed, "name", "control characters"},
    {"name",
     "\"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
     "xxxxxxxxxxxxx\"",
     ERR_validation_failed, "name", "101 characters"},
    /* week */
    {"week", NULL, ERR_validation_failed, "week", "required"},
    {"week", "[]", ERR_validation_failed, "week", "must be an object"},
    {"week.wed", NULL, ERR_validation_failed, "week.wed", "all seven days"},
    {"week.sun", NULL, ERR_validation_failed, "week.sun", "all seven days"},
    {"week.mon2", "[]", ERR_unknown_field, "week.mon2", "unknown day 'mon2'"},
    {"week.Mon", "[]", ERR_unknown_field, "week.Mon", "unknown day"},
    {"week.mon", "\"08:30-12:00\"", ERR_validation_failed, "week.mon", "must be an array"},
    {"week.mon", "null", ERR_validation_failed, "week.mon", "must be an array"},
    {"week.mon", "[[\"08:30\"]]", ERR_validation_failed, "week.mon[0]", "pair"},
    {"week.mon", "[[\"08:30\",\"12:00\",\"13:00\"]]", ERR_validation_failed, "week.mon[0]", "pair"},
    {"week.mon", "[\"08:30\",\"12:00\"]", ERR_validation_failed, "week.mon[0]", "pair"},
    {"week.mon", "[{\"start\":\"08:30\",\"end\":\"12:00\"}]", ERR_validation_failed, "week.mon[0]",
     "pair"},
    {"week.fri", "[[\"08:30\",\"12:00\"],[\"14:00\",\"17:60\"]]", ERR_validation_failed,
     "week.fri[1][1]", "\"17:60\" is not a valid time"},
    {"week.mon", "[[830,\"12:00\"]]", ERR_validation_failed, "week.mon[0][0]", "must be a string"},
    {"week.mon", "[[\"8:30\",\"12:00\"]]", ERR_validation_failed, "week.mon[0][0]",
     "not a valid time"},
    {"week.mon", "[[\"08:30\",\"25:00\"]]", ERR_validation_failed, "week.mon[0][1]",
     "not a valid time"},
    {"week.mon", "[[\"24:00\",\"24:00\"]]", ERR_validation_failed, "week.mon[0][0]",
     "24:00 is allowed only as an end time"},
    {"week.thu", "[[\"12:00\",\"08:30\"]]", ERR_validation_failed, "week.thu[0]",
     "start 12:00 must be before end 08:30"},
    {"week.mon", "[[\"08:30\",\"08:30\"]]", ERR_validation_failed, "week.mon[0]",
     "must be before end"},
    {"week.tue", "[[\"08:30\",\"12:00\"],[\"11:00\",\"13:00\"]]", ERR_validation_failed,
     "week.tue[1]", "week.tue[1] 11:00-13:00 overlaps week.tue[0] 08:30-12:00"},
    {"week.tue", "[[\"08:30\",\"12:00\"],[\"08:30\",\"12:00\"]]", ERR_validation_failed,
     "week.tue[1]", "overlaps week.tue[0]"},
    {"week.tue", "[[\"09:00\",\"17:00\"],[\"10:00\",\"11:00\"]]", ERR_validation_failed,
     "week.tue[1]", "week.tue[1] 10:00-11:00 overlaps week.tue[0] 09:00-17:00"},
    {"week.mon", "[[\"14:00\",\"17:30\"],[\"08:30\",\"12:00\"]]", ERR_validation_failed,
     "week.mon[1]", "ascending order"},
    {"week.sat",
     "[[\"00:00\",\"01:00\"],[\"02:00\",\"03:00\"],[\"04:00\",\"05:00\"],[\"06:00\",\"07:00\"],"
     "[\"08:00\",\"09:00\"],[\"10:00\",\"11:00\"],[\"12:00\",\"13:00\"],[\"14:00\",\"15:00\"],"
     "[\"16:00\",\"17:00\"]]",
     ERR_validation_failed, "week.sat", "at most 8"},
    /* holidays */
    {"holidays", "\"2026-10-01\"", ERR_validation_failed, "holidays", "must be an array"},
    {"holidays", "{}", ERR_validation_failed, "holidays", "must be an array"},
    {"holidays", "[20261001]", ERR_validation_failed, "holidays[0]", "must be a \"YYYY-MM-DD\""},
    {"holidays", "[\"2026-10-01\",\"2026-02-30\"]", ERR_validation_failed, "holidays[1]",
     "\"2026-02-30\" is not a valid date"},
    {"holidays", "[\"2025-02-29\"]", ERR_validation_failed, "holidays[0]", "not a valid date"},
    {"holidays", "[\"2026-10-1\"]", ERR_validation_failed, "holidays[0]", "not a valid date"},
    {"holidays", "[\"2026-10-01T00:00:00Z\"]", ERR_validation_failed, "holidays[0]",
     "not a valid date"},
    {"holidays", "[\"2026-10-01\",\"2026-10-02\",\"2026-10-01\"]", ERR_validation_failed,
     "holidays[2]", "2026-10-01 is listed twice (also holidays[0])"},
    /* workdays */
    {"workdays", "[\"2026-09-21\"]", ERR_validation_failed, "workdays[0]",
     "2026-09-21 is a Monday: a make-up workday must be a Saturday or Sunday"},
    {"workdays", "[\"2026-09-20\",\"2026-10-09\"]", ERR_validation_failed, "workdays[1]",
     "is a Friday"},
    {"workdays", "[\"2026-10-10\",\"2026-10-10\"]", ERR_validation_failed, "workdays[1]",
     "listed twice (also workdays[0])"},
    {"workdays", "[\"2026-10-04\"]", ERR_validation_failed, "workdays[0]",
     "2026-10-04 is also listed as a holiday (holidays[57])"},
    {"workdays", "[\"2026-13-01\"]", ERR_validation_failed, "workdays[0]", "not a valid date"},
    {"workdays", "7", ERR_validation_failed, "workdays", "must be an array"},
};

static json_t *apply(const bad_case *bc) {
  if (!*bc->path) return load(bc->value);
  json_t *doc = office_doc(), *parent = doc;
  const char *key = bc->path;
  if (!strncmp(bc->path, "week.", 5)) {
    parent = json_object_get(doc, "week");
    key = bc->path + 5;
  }
  if (bc->value)
    json_object_set_new(parent, key, load(bc->value));
  else
    json_object_del(parent, key);
  return doc;
}

static void test_bad_documents(void **state) {
  for (size_t i = 0; i < sizeof bad_cases / sizeof bad_cases[0]; i++) {
    const bad_case *bc = &bad_cases[i];
    json_t *doc = apply(bc);
    cal_calendar c;
    memset(&c, 0xab, sizeof c);
    char name[CALDOC_NAME_BUF];
    err e;
    err_clear(&e);
    int rc = caldoc_parse(doc, &c, name, sizeof name, &e);
    if (rc == 0) fail_msg("case %zu (%s=%s) accepted", i, bc->path, bc->value ? bc->value : "-");
    if (e.code != bc->code || strcmp(e.field, bc->field) || !strstr(e.msg, bc->msg))
      fail_msg("case %zu (%s): got %s field \"%s\" \"%s\"; want %s field \"%s\" \"...%s...\"", i,
               bc->path, err_code_name(e.code), e.field, e.msg, err_code_name(bc->code), bc->field,
               bc->msg);
    /* nothing allocated, nothing to free on failure */
    assert_null(c.holidays);
    assert_null(c.workdays);
    assert_int_equal(c.nholidays, 0);
    json_decref(doc);
  }
}

static void test_limits(void **state) {
  /* 2000 dates are fine, 2001 are not (consecutive Sundays from 2027-01-03) */
  json_t *doc = office_doc();
  json_object_del(doc, "workdays");
  json_t *h = json_array();
  int32_t first = cal_days_from_civil(2027, 1, 3);
  char date[16];
  for (int i = 0; i < CALDOC_MAX_DATES; i++) {
    cal_format_date(first + 7 * i, date);
    json_array_append_new(h, json_string(date));
  }
  json_object_set_new(doc, "holidays", h);
  cal_calendar c;
  err e;
  assert_int_equal(caldoc_parse(doc, &c, NULL, 0, &e), 0);
  assert_int_equal(c.nholidays, CALDOC_MAX_DATES);
  caldoc_free(&c);
  json_array_append_new(h, json_string("2026-01-01"));
  assert_int_equal(caldoc_parse(doc, &c, NULL, 0, &e), -1);
  assert_int_equal(e.code, ERR_validation_failed);
  assert_string_equal(e.field, "holidays");
  assert_non_null(strstr(e.msg, "at most 2000"));

  /* a name that does not fit the caller's buffer is the caller's bug: ERR_internal */
  char small[4];
  assert_int_equal(caldoc_parse(doc, &c, small, sizeof small, &e), -1);
  assert_int_equal(e.code, ERR_internal);
  json_decref(doc);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_round_trip),
      cmocka_unit_test(test_lenient_but_valid),
      cmocka_unit_test(test_bad_documents),
      cmocka_unit_test(test_limits),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
