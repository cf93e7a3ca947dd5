/* clock.c — wall and monotonic clocks, the test offset, RFC 3339 formatting/parsing. */
#include "core/clock.h"

#include <inttypes.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static _Atomic int64_t offset_ms;

int64_t clock_now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000 + atomic_load(&offset_ms);
}

int64_t clock_mono_us(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

void clock_set_offset_ms(int64_t v) { atomic_store(&offset_ms, v); }
int64_t clock_offset_ms(void) { return atomic_load(&offset_ms); }

int clock_test_seam_enabled(void) {
  static int cached = -1;
  if (cached < 0) {
    const char *v = getenv("UNIOPS_TEST_CLOCK");
    cached = v && strcmp(v, "1") == 0;
  }
  return cached;
}

static char *put_digits(char *p, int v, int width) {
  for (int i = width - 1; i >= 0; i--) {
    p[i] = (char)('0' + v % 10);
    v /= 10;
  }
  return p + width;
}

void time_split_utc(int64_t secs, time_parts *out) {
  /* days and second of the day, flooring for instants before 1970 */
  int64_t days = secs >= 0 ? secs / 86400 : -((-secs + 86399) / 86400);
  int64_t sod = secs - days * 86400;
  out->hour = (int)(sod / 3600);
  out->minute = (int)(sod / 60 % 60);
  out->second = (int)(sod % 60);
  /* civil from days (Howard Hinnant's algorithm): eras of 400 years from 0000-03-01 */
  int64_t z = days + 719468;
  int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  int64_t doe = z - era * 146097;                                     /* [0, 146096] */
  int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365; /* [0, 399] */
  int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);               /* [0, 365] */
  int64_t mp = (5 * doy + 2) / 153;                                    /* [0, 11], from March */
  out->day = (int)(doy - (153 * mp + 2) / 5 + 1);
  out->month = (int)(mp < 10 ? mp + 3 : mp - 9);
  out->year = yoe + era * 400 + (out->month <= 2);
}

void time_format_rfc3339(int64_t ms, char *out) {
  int64_t local = ms + 8 * 3600 * 1000LL;
  int64_t secs = local >= 0 ? local / 1000 : (local - 999) / 1000;
  int frac = (int)(local - secs * 1000);
  time_parts tm;
  time_split_utc(secs, &tm);
  if (tm.year < 0 || tm.year > 9999) {
    char tmp[96]; /* wide enough for any int fields */
    if (frac)
      snprintf(tmp, sizeof tmp, "%04" PRId64 "-%02d-%02dT%02d:%02d:%02d.%03d+08:00", tm.year, tm.month, tm.day,
               tm.hour, tm.minute, tm.second, frac);
    else
      snprintf(tmp, sizeof tmp, "%04" PRId64 "-%02d-%02dT%02d:%02d:%02d+08:00", tm.year, tm.month, tm.day, tm.hour,
               tm.minute, tm.second);
    snprintf(out, 40, "%.39s", tmp);
    return;
  }
  /* by hand: this runs for every time in every record rendered, and snprintf was a tenth
   * of the cost of reading one work order */
  char *p = put_digits(out, (int)tm.year, 4);
  *p++ = '-';
  p = put_digits(p, tm.month, 2);
  *p++ = '-';
  p = put_digits(p, tm.day, 2);
  *p++ = 'T';
  p = put_digits(p, tm.hour, 2);
  *p++ = ':';
  p = put_digits(p, tm.minute, 2);
  *p++ = ':';
  p = put_digits(p, tm.second, 2);
  if (frac) {
    *p++ = '.';
    p = put_digits(p, frac, 3);
  }
  memcpy(p, "+08:00", 7);
}

static int digits(const char *s, int n, int *out) {
  int v = 0;
  for (int i = 0; i < n; i++) {
    if (s[i] < '0' || s[i] > '9') return -1;
    v = v * 10 + (s[i] - '0');
  }
  *out = v;
  return 0;
}

int time_parse_rfc3339(const char *s, int64_t *out_ms) {
  int y, mo, d, h, mi, se;
  if (!s || strlen(s) < 20) return -1;
  if (digits(s, 4, &y) || s[4] != '-' || digits(s + 5, 2, &mo) || s[7] != '-' ||
      digits(s + 8, 2, &d) || (s[10] != 'T' && s[10] != 't' && s[10] != ' ') ||
      digits(s + 11, 2, &h) || s[13] != ':' || digits(s + 14, 2, &mi) || s[16] != ':' ||
      digits(s + 17, 2, &se))
    return -1;
  static const int mdays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  if (mo < 1 || mo > 12 || d < 1 || h > 23 || mi > 59 || se > 59) return -1;
  int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
  if (d > mdays[mo - 1] + (mo == 2 && leap)) return -1;
  const char *p = s + 19;
  int ms = 0;
  if (*p == '.') {
    p++;
    int n = 0;
    while (*p >= '0' && *p <= '9') {
      if (n < 3) ms = ms * 10 + (*p - '0');
      n++;
      p++;
    }
    if (n == 0) return -1;
    for (; n < 3; n++) ms *= 10;
  }
  int off = 0;
  if (*p == 'Z' || *p == 'z') {
    p++;
  } else if (*p == '+' || *p == '-') {
    int oh, om;
    if (digits(p + 1, 2, &oh) || p[3] != ':' || digits(p + 4, 2, &om) || oh > 23 || om > 59)
      return -1;
    off = (oh * 60 + om) * (*p == '-' ? -1 : 1);
    p += 6;
  } else {
    return -1;
  }
  if (*p) return -1;
  /* days from civil (Howard Hinnant's algorithm) */
  int yy = mo <= 2 ? y - 1 : y;
  int era = (yy >= 0 ? yy : yy - 399) / 400;
  int yoe = yy - era * 400;
  int doy = (153 * (mo + (mo > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  int doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  int64_t days = (int64_t)era * 146097 + doe - 719468;
  int64_t secs = days * 86400 + h * 3600 + mi * 60 + se - off * 60;
  *out_ms = secs * 1000 + ms;
  return 0;
}
