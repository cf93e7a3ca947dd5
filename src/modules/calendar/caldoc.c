/* caldoc.c — strict parsing of the calendar JSON document into a cal_calendar, and the
 * rendering back. The rules are listed in caldoc.h. */
#include "modules/calendar/caldoc.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const day_keys[7] = {"mon", "tue", "wed", "thu", "fri", "sat", "sun"};
static const char *const day_names[7] = {"Monday", "Tuesday",  "Wednesday", "Thursday",
                                         "Friday", "Saturday", "Sunday"};

/* jansson's object iteration takes a non-const pointer although it does not modify the
 * object; this is the one place the const is dropped. */
static json_t *unconst(const json_t *j) { return (json_t *)(uintptr_t)j; }

/* ---- name --------------------------------------------------------------------------- */

static int parse_name(const json_t *v, char *name_out, size_t name_cap, err *e) {
  if (!v) return err_set(e, ERR_validation_failed, "name", "name is required");
  if (!json_is_string(v)) return err_set(e, ERR_validation_failed, "name", "name must be a string");
  const char *s = json_string_value(v);
  size_t len = json_string_length(v), chars = 0;
  int blank = 1;
  for (size_t i = 0; i < len; i++) {
    unsigned char ch = (unsigned char)s[i];
    if (ch < 0x20 || ch == 0x7f)
      return err_set(e, ERR_validation_failed, "name", "name must not contain control characters");
    if ((ch & 0xc0) != 0x80) chars++; /* count UTF-8 lead bytes: one per code point */
    if (ch != ' ') blank = 0;
  }
  if (chars == 0 || blank)
    return err_set(e, ERR_validation_failed, "name", "name must not be empty or blank");
  if (chars > CALDOC_NAME_MAX_CHARS)
    return err_set(e, ERR_validation_failed, "name", "name has %zu characters; at most %d allowed",
                   chars, CALDOC_NAME_MAX_CHARS);
  if (name_out) {
    if (len + 1 > name_cap)
      return err_set(e, ERR_internal, "name", "name buffer too small (%zu bytes for %zu)", name_cap,
                     len + 1);
    memcpy(name_out, s, len + 1);
  }
  return 0;
}

/* ---- week --------------------------------------------------------------------------- */

static int parse_time(const json_t *v, const char *key, size_t i, int j, int *min, err *e) {
  char field[32];
  snprintf(field, sizeof field, "week.%s[%zu][%d]", key, i, j);
  if (!json_is_string(v))
    return err_set(e, ERR_validation_failed, field, "%s must be a string \"HH:MM\"", field);
  const char *s = json_string_value(v);
  if (cal_parse_hhmm(s, min))
    return err_set(e, ERR_validation_failed, field,
                   "\"%.20s\" is not a valid time (HH:MM, 00:00 to 24:00)", s);
  if (j == 0 && *min == 1440)
    return err_set(e, ERR_validation_failed, field, "24:00 is allowed only as an end time");
  return 0;
}

static int parse_day(const json_t *v, int d, cal_calendar *c, err *e) {
  const char *key = day_keys[d];
  char field[32], prev_field[32], a[8], b[8], pa[8], pb[8];
  snprintf(field, sizeof field, "week.%s", key);
  if (!v)
    return err_set(e, ERR_validation_failed, field,
                   "%s is missing: all seven days mon..sun are required (use [] for a day off)",
                   field);
  if (!json_is_array(v))
    return err_set(e, ERR_validation_failed, field,
                   "%s must be an array of [\"HH:MM\", \"HH:MM\"] periods", field);
  size_t n = json_array_size(v);
  if (n > CAL_MAX_PERIODS)
    return err_set(e, ERR_validation_failed, field, "%s has %zu periods; at most %d allowed", field,
                   n, CAL_MAX_PERIODS);
  for (size_t i = 0; i < n; i++) {
    const json_t *pv = json_array_get(v, i);
    snprintf(field, sizeof field, "week.%s[%zu]", key, i);
    if (!json_is_array(pv) || json_array_size(pv) != 2)
      return err_set(e, ERR_validation_failed, field,
                     "%s must be a [\"HH:MM\", \"HH:MM\"] pair (start, end)", field);
    cal_period p;
    if (parse_time(json_array_get(pv, 0), key, i, 0, &p.start_min, e) ||
        parse_time(json_array_get(pv, 1), key, i, 1, &p.end_min, e))
      return -1;
    cal_format_hhmm(p.start_min, a);
    cal_format_hhmm(p.end_min, b);
    if (p.start_min >= p.end_min)
      return err_set(e, ERR_validation_failed, field, "%s: start %s must be before end %s", field,
                     a, b);
    if (i > 0) {
      const cal_period *q = &c->week[d][i - 1];
      snprintf(prev_field, sizeof prev_field, "week.%s[%zu]", key, i - 1);
      cal_format_hhmm(q->start_min, pa);
      cal_format_hhmm(q->end_min, pb);
      if (p.start_min < q->end_min && p.end_min > q->start_min)
        return err_set(e, ERR_validation_failed, field, "%s %s-%s overlaps %s %s-%s", field, a, b,
                       prev_field, pa, pb);
      if (p.start_min < q->start_min)
        return err_set(e, ERR_validation_failed, field,
                       "periods must be in ascending order: %s %s-%s comes after %s %s-%s", field,
                       a, b, prev_field, pa, pb);
    }
    c->week[d][i] = p;
  }
  c->nperiods[d] = (int)n;
  return 0;
}

static int parse_week(const json_t *v, cal_calendar *c, err *e) {
  if (!v) return err_set(e, ERR_validation_failed, "week", "week is required");
  if (!json_is_object(v))
    return err_set(e, ERR_validation_failed, "week", "week must be an object with keys mon..sun");
  const char *k;
  json_t *x;
  json_object_foreach(unconst(v), k, x) {
    int known = 0;
    for (int d = 0; d < 7; d++) known |= !strcmp(k, day_keys[d]);
    if (!known) {
      char field[64];
      snprintf(field, sizeof field, "week.%s", k);
      return err_set(e, ERR_unknown_field, field, "unknown day '%.40s' in week (use mon..sun)", k);
    }
  }
  for (int d = 0; d < 7; d++)
    if (parse_day(json_object_get(v, day_keys[d]), d, c, e)) return -1;
  return 0;
}

/* ---- date lists --------------------------------------------------------------------- */

typedef struct {
  int32_t day;
  int idx; /* position in the document, for error messages */
} dated;

static int dated_cmp(const void *a, const void *b) {
  const dated *x = a, *y = b;
  if (x->day != y->day) return x->day < y->day ? -1 : 1;
  return (x->idx > y->idx) - (x->idx < y->idx);
}

/* Parses one list into *out (malloc'ed, sorted by day then position; NULL when empty or
 * absent). */
static int parse_dates(const json_t *v, const char *key, dated **out, size_t *n, err *e) {
  char field[32];
  *out = NULL;
  *n = 0;
  if (!v) return 0;
  if (!json_is_array(v))
    return err_set(e, ERR_validation_failed, key, "%s must be an array of \"YYYY-MM-DD\" dates",
                   key);
  size_t len = json_array_size(v);
  if (len > CALDOC_MAX_DATES)
    return err_set(e, ERR_validation_failed, key, "%s has %zu dates; at most %d allowed", key, len,
                   CALDOC_MAX_DATES);
  if (len == 0) return 0;
  dated *a = malloc(len * sizeof *a);
  if (!a) return err_set(e, ERR_internal, key, "out of memory");
  for (size_t i = 0; i < len; i++) {
    const json_t *x = json_array_get(v, i);
    snprintf(field, sizeof field, "%s[%zu]", key, i);
    if (!json_is_string(x)) {
      free(a);
      return err_set(e, ERR_validation_failed, field, "%s must be a \"YYYY-MM-DD\" string", field);
    }
    if (cal_parse_date(json_string_value(x), &a[i].day)) {
      free(a);
      return err_set(e, ERR_validation_failed, field, "\"%.20s\" is not a valid date (YYYY-MM-DD)",
                     json_string_value(x));
    }
    a[i].idx = (int)i;
  }
  qsort(a, len, sizeof *a, dated_cmp);
  for (size_t i = 1; i < len; i++) {
    if (a[i].day != a[i - 1].day) continue;
    char date[16];
    cal_format_date(a[i].day, date);
    snprintf(field, sizeof field, "%s[%d]", key, a[i].idx);
    err_set(e, ERR_validation_failed, field, "%s is listed twice (also %s[%d])", date, key,
            a[i - 1].idx);
    free(a);
    return -1;
  }
  *out = a;
  *n = len;
  return 0;
}

/* Make-up workdays fall on a weekend and are never holidays too. */
static int check_workdays(const dated *w, size_t nw, const dated *h, size_t nh, err *e) {
  char field[32], date[16];
  for (size_t i = 0; i < nw; i++) {
    int wd = cal_weekday(w[i].day);
    cal_format_date(w[i].day, date);
    snprintf(field, sizeof field, "workdays[%d]", w[i].idx);
    if (wd < 5)
      return err_set(e, ERR_validation_failed, field,
                     "%s is a %s: a make-up workday must be a Saturday or Sunday", date,
                     day_names[wd]);
    size_t lo = 0, hi = nh;
    while (lo < hi) {
      size_t mid = lo + (hi - lo) / 2;
      if (h[mid].day < w[i].day)
        lo = mid + 1;
      else
        hi = mid;
    }
    if (lo < nh && h[lo].day == w[i].day)
      return err_set(e, ERR_validation_failed, field,
                     "%s is also listed as a holiday (holidays[%d]); a date cannot be both", date,
                     h[lo].idx);
  }
  return 0;
}

static int32_t *days_of(const dated *a, size_t n) {
  if (n == 0) return NULL;
  int32_t *v = malloc(n * sizeof *v);
  if (v)
    for (size_t i = 0; i < n; i++) v[i] = a[i].day;
  return v;
}

/* ---- document ----------------------------------------------------------------------- */

int caldoc_parse(const json_t *doc, cal_calendar *out, char *name_out, size_t name_cap, err *e) {
  int rc = -1;
  dated *hol = NULL, *work = NULL;
  size_t nhol = 0, nwork = 0;
  cal_calendar c;
  memset(&c, 0, sizeof c);
  memset(out, 0, sizeof *out);

  if (!json_is_object(doc)) {
    err_set(e, ERR_validation_failed, "", "a calendar must be a JSON object");
    goto out;
  }
  const char *k;
  json_t *v;
  json_object_foreach(unconst(doc), k, v) {
    if (strcmp(k, "name") && strcmp(k, "week") && strcmp(k, "holidays") && strcmp(k, "workdays")) {
      err_set(e, ERR_unknown_field, k, "unknown field '%.60s'", k);
      goto out;
    }
  }
  if (parse_name(json_object_get(doc, "name"), name_out, name_cap, e) ||
      parse_week(json_object_get(doc, "week"), &c, e) ||
      parse_dates(json_object_get(doc, "holidays"), "holidays", &hol, &nhol, e) ||
      parse_dates(json_object_get(doc, "workdays"), "workdays", &work, &nwork, e) ||
      check_workdays(work, nwork, hol, nhol, e))
    goto out;
  c.holidays = days_of(hol, nhol);
  c.nholidays = nhol;
  c.workdays = days_of(work, nwork);
  c.nworkdays = nwork;
  if ((nhol && !c.holidays) || (nwork && !c.workdays)) {
    err_set(e, ERR_internal, "", "out of memory");
    caldoc_free(&c);
    goto out;
  }
  *out = c;
  rc = 0;
out:
  free(hol);
  free(work);
  return rc;
}

void caldoc_free(cal_calendar *c) {
  if (!c) return;
  free(c->holidays);
  free(c->workdays);
  c->holidays = c->workdays = NULL;
  c->nholidays = c->nworkdays = 0;
}

/* Appends v (stolen) to arr; returns -1 if v is NULL or the append fails. */
static int push(json_t *arr, json_t *v) { return v ? json_array_append_new(arr, v) : -1; }

static json_t *render_dates(const int32_t *days, size_t n) {
  json_t *arr = json_array();
  char date[16];
  for (size_t i = 0; arr && i < n; i++) {
    cal_format_date(days[i], date);
    if (push(arr, json_string(date))) {
      json_decref(arr);
      return NULL;
    }
  }
  return arr;
}

json_t *caldoc_render(const cal_calendar *c, const char *name) {
  json_t *doc = json_object(), *week = json_object();
  char a[8], b[8];
  if (!doc || !week) goto fail;
  if (name && json_object_set_new(doc, "name", json_string(name))) goto fail;
  for (int d = 0; d < 7; d++) {
    json_t *day = json_array();
    if (json_object_set_new(week, day_keys[d], day) || !day) goto fail;
    for (int i = 0; i < c->nperiods[d] && i < CAL_MAX_PERIODS; i++) {
      cal_format_hhmm(c->week[d][i].start_min, a);
      cal_format_hhmm(c->week[d][i].end_min, b);
      json_t *p = json_array();
      if (push(day, p) || push(p, json_string(a)) || push(p, json_string(b))) goto fail;
    }
  }
  if (json_object_set_new(doc, "week", week)) {
    week = NULL; /* set_new consumed it even on failure */
    goto fail;
  }
  week = NULL;
  if (json_object_set_new(doc, "holidays", render_dates(c->holidays, c->nholidays)) ||
      json_object_set_new(doc, "workdays", render_dates(c->workdays, c->nworkdays)))
    goto fail;
  return doc;
fail:
  json_decref(week);
  json_decref(doc);
  return NULL;
}
