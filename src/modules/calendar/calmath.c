/* calmath.c — business-calendar maths: which minutes of which Beijing civil day are working
 * time, deadlines and elapsed business time over them, and the calendar's parsers. See
 * calmath.h for the time model. */
#include "modules/calendar/calmath.h"

#include <string.h>

/* Civil days searched by cal_next_working_instant: three years, leap days included. */
#define SEARCH_DAYS (3 * 366)

/* ---- civil dates -------------------------------------------------------------------- */

static int64_t floor_div(int64_t a, int64_t b) {
  int64_t q = a / b;
  if ((a % b != 0) && ((a < 0) != (b < 0))) q--;
  return q;
}

/* Howard Hinnant's days_from_civil / civil_from_days, on int64 so that any instant the
 * formatter is handed can be converted without overflow. */
static int64_t days_from_civil64(int64_t y, int m, int d) {
  y -= m <= 2;
  int64_t era = (y >= 0 ? y : y - 399) / 400;
  int64_t yoe = y - era * 400;                                  /* [0, 399] */
  int64_t doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1; /* [0, 365] */
  int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;          /* [0, 146096] */
  return era * 146097 + doe - 719468;
}

static void civil_from_days64(int64_t z, int64_t *y, int *m, int *d) {
  z += 719468;
  int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  int64_t doe = z - era * 146097;                                     /* [0, 146096] */
  int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365; /* [0, 399] */
  int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);              /* [0, 365] */
  int64_t mp = (5 * doy + 2) / 153;                                   /* [0, 11] */
  *d = (int)(doy - (153 * mp + 2) / 5 + 1);
  *m = (int)(mp < 10 ? mp + 3 : mp - 9);
  *y = yoe + era * 400 + (*m <= 2);
}

int32_t cal_days_from_civil(int y, int m, int d) { return (int32_t)days_from_civil64(y, m, d); }

void cal_civil_from_days(int32_t z, int *y, int *m, int *d) {
  int64_t yy;
  civil_from_days64(z, &yy, m, d);
  *y = (int)yy;
}

static int weekday64(int64_t days) {
  /* 1970-01-01 was a Thursday (3 when Monday is 0). */
  int64_t r = (days + 3) % 7;
  return (int)(r < 0 ? r + 7 : r);
}

int cal_weekday(int32_t days) { return weekday64(days); }

static int is_leap(int y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

static int month_days(int y, int m) {
  static const int len[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return m == 2 && is_leap(y) ? 29 : len[m - 1];
}

/* Reads exactly n decimal digits at s into *v; 0 on success, -1 if any is not a digit. */
static int digits(const char *s, int n, int *v) {
  int x = 0;
  for (int i = 0; i < n; i++) {
    if (s[i] < '0' || s[i] > '9') return -1;
    x = x * 10 + (s[i] - '0');
  }
  *v = x;
  return 0;
}

/* "YYYY-MM-DD" at s (not necessarily NUL-terminated after it) into a validated day number. */
static int parse_date_prefix(const char *s, int32_t *days) {
  int y, m, d;
  if (digits(s, 4, &y) || s[4] != '-' || digits(s + 5, 2, &m) || s[7] != '-' ||
      digits(s + 8, 2, &d))
    return -1;
  if (y < 1 || m < 1 || m > 12 || d < 1 || d > month_days(y, m)) return -1;
  *days = cal_days_from_civil(y, m, d);
  return 0;
}

int cal_parse_date(const char *s, int32_t *days) {
  if (!s || strlen(s) != 10) return -1;
  return parse_date_prefix(s, days);
}

/* Writes v zero-padded to at least width digits at p, returns the end. Hand-rolled rather
 * than snprintf so that the bounded output size is evident (also to the compiler). */
static char *put_num(char *p, int64_t v, int width) {
  char tmp[24];
  int n = 0;
  uint64_t u = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
  if (v < 0) *p++ = '-';
  do {
    tmp[n++] = (char)('0' + u % 10);
    u /= 10;
  } while (u);
  while (n < width) tmp[n++] = '0';
  while (n) *p++ = tmp[--n];
  return p;
}

/* "YYYY-MM-DD" at p (a year beyond 9999 gets more digits, a negative one a sign). */
static char *put_date(char *p, int64_t y, int m, int d) {
  p = put_num(p, y, 4);
  *p++ = '-';
  p = put_num(p, m, 2);
  *p++ = '-';
  return put_num(p, d, 2);
}

void cal_format_date(int32_t days, char out[16]) {
  /* at most 8 characters of year (-5877641) + 6: fits */
  int64_t y;
  int m, d;
  civil_from_days64(days, &y, &m, &d);
  *put_date(out, y, m, d) = '\0';
}

int cal_parse_hhmm(const char *s, int *min) {
  int h, m;
  if (!s || strlen(s) != 5 || digits(s, 2, &h) || s[2] != ':' || digits(s + 3, 2, &m)) return -1;
  if (m > 59 || h > 24 || (h == 24 && m != 0)) return -1;
  *min = h * 60 + m;
  return 0;
}

void cal_format_hhmm(int min, char out[8]) {
  if (min < 0 || min > 1440) min = 0;
  char *p = put_num(out, min / 60, 2);
  *p++ = ':';
  *put_num(p, min % 60, 2) = '\0';
}

/* ---- the calendar's days ------------------------------------------------------------ */

/* Index of the first element >= day in a sorted list (n if none). */
static size_t lower_bound(const int32_t *v, size_t n, int64_t day) {
  size_t lo = 0, hi = n;
  while (lo < hi) {
    size_t mid = lo + (hi - lo) / 2;
    if (v[mid] < day)
      lo = mid + 1;
    else
      hi = mid;
  }
  return lo;
}

static int in_list(const int32_t *v, size_t n, int64_t day) {
  size_t i = lower_bound(v, n, day);
  return i < n && v[i] == day;
}

/* The first day >= day that appears in either list, or CAL_DAY_MAX: the weeks before it are
 * ordinary and may be skipped arithmetically. (Not INT64_MAX: callers subtract day, which is
 * negative before 1970.) */
static int64_t next_list_day(const cal_calendar *c, int64_t day) {
  int64_t next = CAL_DAY_MAX;
  size_t i = lower_bound(c->holidays, c->nholidays, day);
  if (i < c->nholidays) next = c->holidays[i];
  i = lower_bound(c->workdays, c->nworkdays, day);
  if (i < c->nworkdays && c->workdays[i] < next) next = c->workdays[i];
  return next;
}

/* The periods of one civil day (see calmath.h for the rules); *n gets their count. */
static const cal_period *day_periods(const cal_calendar *c, int64_t day, int *n) {
  if (in_list(c->holidays, c->nholidays, day)) {
    *n = 0;
    return NULL;
  }
  int wd = in_list(c->workdays, c->nworkdays, day) ? 0 : weekday64(day);
  *n = c->nperiods[wd];
  return c->week[wd];
}

int64_t cal_week_ms(const cal_calendar *c) {
  int64_t total = 0;
  for (int d = 0; d < 7; d++)
    for (int i = 0; i < c->nperiods[d]; i++)
      total += (int64_t)(c->week[d][i].end_min - c->week[d][i].start_min) * CAL_MS_PER_MIN;
  return total;
}

/* Splits an instant into its Beijing civil day and the ms since that day's midnight; -1 if
 * the day is out of range (checked before adding the offset, so nothing overflows). */
static int split(int64_t t, int64_t *day, int64_t *off) {
  if (t < (int64_t)CAL_DAY_MIN * CAL_MS_PER_DAY - CAL_TZ_OFFSET_MS ||
      t >= (int64_t)CAL_DAY_MAX * CAL_MS_PER_DAY - CAL_TZ_OFFSET_MS)
    return -1;
  int64_t local = t + CAL_TZ_OFFSET_MS;
  *day = floor_div(local, CAL_MS_PER_DAY);
  *off = local - *day * CAL_MS_PER_DAY;
  return 0;
}

static int64_t join(int64_t day, int64_t off) { return day * CAL_MS_PER_DAY + off - CAL_TZ_OFFSET_MS; }

/* ---- business time ------------------------------------------------------------------ */

int cal_is_working(const cal_calendar *c, int64_t t_ms) {
  int64_t day, off;
  if (split(t_ms, &day, &off)) return 0;
  int n;
  const cal_period *p = day_periods(c, day, &n);
  for (int i = 0; i < n; i++)
    if (off >= p[i].start_min * CAL_MS_PER_MIN && off < p[i].end_min * CAL_MS_PER_MIN) return 1;
  return 0;
}

int64_t cal_next_working_instant(const cal_calendar *c, int64_t t_ms) {
  int64_t day, off;
  if (split(t_ms, &day, &off)) return -1;
  for (int i = 0; i < SEARCH_DAYS && day < CAL_DAY_MAX; i++, day++, off = 0) {
    int n;
    const cal_period *p = day_periods(c, day, &n);
    for (int k = 0; k < n; k++) {
      int64_t ps = p[k].start_min * CAL_MS_PER_MIN, pe = p[k].end_min * CAL_MS_PER_MIN;
      if (off < pe) return join(day, off > ps ? off : ps);
    }
  }
  return -1;
}

int64_t cal_add(const cal_calendar *c, int64_t start_ms, int64_t duration_ms) {
  int64_t day, off;
  if (duration_ms < 0 || split(start_ms, &day, &off)) return -1;
  if (duration_ms == 0) return start_ms;
  int64_t week = cal_week_ms(c);
  if (week == 0) return -1;
  int64_t rem = duration_ms;
  for (;;) {
    if (day >= CAL_DAY_MAX) return -1;
    if (off == 0 && rem > week) {
      /* Skip whole ordinary weeks, leaving at least 1 ms for the day walk so that a budget
       * ending exactly at a period's end is reported at that end. */
      int64_t k = (rem - 1) / week;
      int64_t kmax = (next_list_day(c, day) - day) / 7;
      if (k > kmax) k = kmax;
      if (k > (CAL_DAY_MAX - day) / 7) return -1;
      day += 7 * k;
      rem -= k * week;
    }
    int n;
    const cal_period *p = day_periods(c, day, &n);
    for (int i = 0; i < n; i++) {
      int64_t ps = p[i].start_min * CAL_MS_PER_MIN, pe = p[i].end_min * CAL_MS_PER_MIN;
      if (off >= pe) continue;
      int64_t from = off > ps ? off : ps;
      if (rem <= pe - from) return join(day, from + rem);
      rem -= pe - from;
    }
    day++;
    off = 0;
  }
}

int64_t cal_elapsed(const cal_calendar *c, int64_t from_ms, int64_t to_ms) {
  const int64_t lo_ms = (int64_t)CAL_DAY_MIN * CAL_MS_PER_DAY - CAL_TZ_OFFSET_MS;
  const int64_t hi_ms = (int64_t)CAL_DAY_MAX * CAL_MS_PER_DAY - CAL_TZ_OFFSET_MS;
  if (from_ms < lo_ms) from_ms = lo_ms;
  if (to_ms > hi_ms) to_ms = hi_ms;
  if (to_ms <= from_ms) return 0;
  int64_t day = floor_div(from_ms + CAL_TZ_OFFSET_MS, CAL_MS_PER_DAY);
  int64_t off = from_ms + CAL_TZ_OFFSET_MS - day * CAL_MS_PER_DAY;
  int64_t end_day = floor_div(to_ms + CAL_TZ_OFFSET_MS, CAL_MS_PER_DAY);
  int64_t end_off = to_ms + CAL_TZ_OFFSET_MS - end_day * CAL_MS_PER_DAY;
  int64_t week = cal_week_ms(c), total = 0;
  while (day < end_day || (day == end_day && off < end_off)) {
    if (off == 0 && day + 7 <= end_day && week > 0) {
      int64_t k = (end_day - day) / 7, kmax = (next_list_day(c, day) - day) / 7;
      if (k > kmax) k = kmax;
      if (k > 0) {
        total += k * week;
        day += 7 * k;
        continue;
      }
    }
    int64_t hi = day == end_day ? end_off : CAL_MS_PER_DAY;
    int n;
    const cal_period *p = day_periods(c, day, &n);
    for (int i = 0; i < n; i++) {
      int64_t a = p[i].start_min * CAL_MS_PER_MIN, b = p[i].end_min * CAL_MS_PER_MIN;
      if (a < off) a = off;
      if (b > hi) b = hi;
      if (b > a) total += b - a;
    }
    day++;
    off = 0;
  }
  return total;
}

cal_calendar cal_7x24(void) {
  cal_calendar c;
  memset(&c, 0, sizeof c);
  for (int d = 0; d < 7; d++) {
    c.week[d][0] = (cal_period){0, 1440};
    c.nperiods[d] = 1;
  }
  return c;
}

/* ---- durations ---------------------------------------------------------------------- */

/* Reads a run of digits at *pp into *v, advancing *pp; -1 if there is no digit. Values above
 * CAL_DURATION_MAX_S saturate at CAL_DURATION_MAX_S + 1 so that they are reported as too
 * long rather than overflowing. */
static int read_number(const char **pp, int64_t *v) {
  const char *p = *pp;
  int64_t x = 0;
  if (*p < '0' || *p > '9') return -1;
  for (; *p >= '0' && *p <= '9'; p++) {
    x = x * 10 + (*p - '0');
    if (x > CAL_DURATION_MAX_S) x = CAL_DURATION_MAX_S + 1;
  }
  *v = x;
  *pp = p;
  return 0;
}

static int too_long(const char *s, err *e) {
  return err_set(e, ERR_validation_failed, "",
                 "duration \"%.40s\" exceeds the maximum of 100 years (%lld s)", s,
                 (long long)CAL_DURATION_MAX_S);
}

/* The ISO 8601 subset P[nD][T[nH][nM][nS]]; s starts with 'P'. */
static int parse_iso_duration(const char *s, int64_t *out_s, err *e) {
  static const char units[] = "DHMS";
  static const int64_t mult[] = {86400, 3600, 60, 1};
  const char *p = s + 1;
  int64_t total = 0;
  int last = -1, ncomp = 0, in_time = 0;
  while (*p) {
    if (*p == 'T') {
      if (in_time)
        return err_set(e, ERR_validation_failed, "", "duration \"%.40s\" has a second 'T'", s);
      in_time = 1;
      p++;
      if (!*p)
        return err_set(e, ERR_validation_failed, "",
                       "duration \"%.40s\" has no hours, minutes or seconds after 'T'", s);
      continue;
    }
    int64_t v;
    if (read_number(&p, &v))
      return err_set(e, ERR_validation_failed, "",
                     "duration \"%.40s\": expected a number at position %d", s, (int)(p - s) + 1);
    if (*p == '.' || *p == ',')
      return err_set(e, ERR_validation_failed, "",
                     "duration \"%.40s\": fractional values are not supported", s);
    if (!*p)
      return err_set(e, ERR_validation_failed, "",
                     "duration \"%.40s\": the number at the end has no unit", s);
    const char *u = strchr(units, *p);
    int idx = u ? (int)(u - units) : -1;
    if (idx < 0 || (idx == 0) == in_time) {
      if (!in_time && (*p == 'Y' || *p == 'M' || *p == 'W'))
        return err_set(e, ERR_validation_failed, "",
                       "duration \"%.40s\": only days (D) are supported before 'T'", s);
      if (!in_time && idx > 0)
        return err_set(e, ERR_validation_failed, "",
                       "duration \"%.40s\": hours, minutes and seconds must follow 'T' (e.g. PT8H)",
                       s);
      return err_set(e, ERR_validation_failed, "", "duration \"%.40s\": unknown unit '%c'", s, *p);
    }
    if (idx <= last)
      return err_set(e, ERR_validation_failed, "",
                     "duration \"%.40s\": unit '%c' repeated or out of order", s, *p);
    last = idx;
    ncomp++;
    total += v * mult[idx];
    if (total > CAL_DURATION_MAX_S) return too_long(s, e);
    p++;
  }
  if (ncomp == 0)
    return err_set(e, ERR_validation_failed, "", "duration \"%.40s\" has no components", s);
  *out_s = total;
  return 0;
}

int cal_parse_duration(const char *s, int64_t *out_s, err *e) {
  static const char units[] = "dhms";
  static const int64_t mult[] = {86400, 3600, 60, 1};
  if (!s || !*s) return err_set(e, ERR_validation_failed, "", "duration is empty");
  if (*s == '-')
    return err_set(e, ERR_validation_failed, "", "duration \"%.40s\" is negative", s);
  if (*s == 'P') return parse_iso_duration(s, out_s, e);
  const char *p = s;
  int64_t total = 0;
  int last = -1;
  while (*p) {
    int64_t v;
    if (read_number(&p, &v))
      return err_set(e, ERR_validation_failed, "",
                     "duration \"%.40s\": expected a number at position %d (use e.g. 8h, 1h30m, "
                     "2d, PT8H or seconds)",
                     s, (int)(p - s) + 1);
    if (!*p) {
      if (last >= 0)
        return err_set(e, ERR_validation_failed, "",
                       "duration \"%.40s\": the number at the end has no unit", s);
      /* plain integer seconds */
      if (v > CAL_DURATION_MAX_S) return too_long(s, e);
      *out_s = v;
      return 0;
    }
    if (*p == '.' || *p == ',')
      return err_set(e, ERR_validation_failed, "",
                     "duration \"%.40s\": fractional values are not supported", s);
    const char *u = strchr(units, *p);
    if (!u)
      return err_set(e, ERR_validation_failed, "",
                     "duration \"%.40s\": unknown unit '%c' (use d, h, m or s)", s, *p);
    int idx = (int)(u - units);
    if (idx <= last)
      return err_set(e, ERR_validation_failed, "",
                     "duration \"%.40s\": unit '%c' repeated or out of order (write e.g. 1d2h30m)",
                     s, *p);
    last = idx;
    total += v * mult[idx];
    if (total > CAL_DURATION_MAX_S) return too_long(s, e);
    p++;
  }
  *out_s = total;
  return 0;
}

/* ---- RFC 3339 ----------------------------------------------------------------------- */

int cal_parse_rfc3339(const char *s, int64_t *out_ms, err *e) {
  if (!s || !*s) return err_set(e, ERR_validation_failed, "", "timestamp is empty");
  size_t len = strlen(s);
  int32_t days;
  int h, mi, sec;
  if (len < 19 || parse_date_prefix(s, &days) || (s[10] != 'T' && s[10] != 't') ||
      digits(s + 11, 2, &h) || s[13] != ':' || digits(s + 14, 2, &mi) || s[16] != ':' ||
      digits(s + 17, 2, &sec))
    return err_set(e, ERR_validation_failed, "",
                   "\"%.40s\" is not an RFC 3339 timestamp (expected e.g. "
                   "2026-09-30T16:00:00+08:00)",
                   s);
  if (h > 23 || mi > 59 || sec > 59)
    return err_set(e, ERR_validation_failed, "",
                   "timestamp \"%.40s\" has an out-of-range time of day%s", s,
                   sec == 60 ? " (leap seconds are not supported)" : "");
  const char *p = s + 19;
  int64_t frac_ms = 0;
  if (*p == '.') {
    p++;
    int n = 0;
    for (; *p >= '0' && *p <= '9'; p++, n++)
      if (n < 3) frac_ms = frac_ms * 10 + (*p - '0');
    if (n == 0 || n > 9)
      return err_set(e, ERR_validation_failed, "",
                     "timestamp \"%.40s\" needs 1 to 9 digits of fractional seconds", s);
    for (; n < 3; n++) frac_ms *= 10;
  }
  int64_t offset_min = 0;
  if (*p == 'Z' || *p == 'z') {
    p++;
  } else if (*p == '+' || *p == '-') {
    int oh, om;
    if (digits(p + 1, 2, &oh) || p[3] != ':' || digits(p + 4, 2, &om))
      return err_set(e, ERR_validation_failed, "",
                     "timestamp \"%.40s\" has a malformed offset (expected Z or ±HH:MM)", s);
    if (oh > 23 || om > 59)
      return err_set(e, ERR_validation_failed, "", "timestamp \"%.40s\" has an out-of-range offset",
                     s);
    offset_min = (p[0] == '-' ? -1 : 1) * (oh * 60 + om);
    p += 6;
  } else {
    return err_set(e, ERR_validation_failed, "",
                   "timestamp \"%.40s\" needs a time zone: Z or an offset such as +08:00", s);
  }
  if (*p)
    return err_set(e, ERR_validation_failed, "",
                   "timestamp \"%.40s\" has trailing characters after the offset", s);
  int64_t ms = (int64_t)days * CAL_MS_PER_DAY +
               ((int64_t)h * 3600 + mi * 60 + sec - offset_min * 60) * 1000 + frac_ms;
  int64_t day, off;
  if (split(ms, &day, &off))
    return err_set(e, ERR_validation_failed, "",
                   "timestamp \"%.40s\" is outside the years 0001..9999 in Beijing time", s);
  *out_ms = ms;
  return 0;
}

void cal_format_rfc3339(int64_t ms, char out[32]) {
  int64_t secs = floor_div(ms, 1000) + CAL_TZ_OFFSET_MS / 1000;
  int64_t day = floor_div(secs, 86400), sod = secs - day * 86400, y;
  int m, d;
  civil_from_days64(day, &y, &m, &d);
  /* the year has at most 10 characters (-292277026), the rest is 21: 31 + NUL fits */
  char *p = put_date(out, y, m, d);
  *p++ = 'T';
  p = put_num(p, sod / 3600, 2);
  *p++ = ':';
  p = put_num(p, sod / 60 % 60, 2);
  *p++ = ':';
  p = put_num(p, sod % 60, 2);
  memcpy(p, "+08:00", 7);
}
