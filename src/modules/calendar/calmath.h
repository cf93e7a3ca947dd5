/* calmath.h — business-calendar maths: working periods per weekday, holidays and make-up
 * working days (调休), deadlines (cal_add) and elapsed business time (cal_elapsed), plus the
 * small parsers and formatters the calendar needs (civil dates, HH:MM, durations, RFC 3339).
 *
 * Pure functions: no I/O, no allocation, no global state; safe from any thread.
 *
 * Time model. Every instant is an int64 count of milliseconds since 1970-01-01T00:00:00Z.
 * Calendars are kept in Beijing civil time (UTC+08:00, no daylight saving), so the civil
 * day of an instant t is floor((t + 8h) / 24h) counted from 1970-01-01. Working time is
 * the union of half-open periods [start, end) of minutes after local midnight.
 *
 * Which periods a civil day has:
 *   - a date in `holidays` has none;
 *   - otherwise a date in `workdays` (a make-up working day) has Monday's periods, whatever
 *     its weekday;
 *   - otherwise the day has the periods of its weekday.
 * A date in both lists is invalid input (caldoc_parse rejects it); should one get here, the
 * holiday wins.
 *
 * Supported range: civil days of Beijing years 0001..9999 (CAL_DAY_MIN..CAL_DAY_MAX-1).
 * Instants outside it are never working time; cal_add / cal_next_working_instant return -1
 * for them and cal_elapsed clamps its interval to the range.
 */
#ifndef UNIOPS_CALMATH_H
#define UNIOPS_CALMATH_H

#include <stddef.h>
#include <stdint.h>

#include "core/err.h"

#define CAL_MAX_PERIODS 8
#define CAL_MS_PER_MIN 60000LL
#define CAL_MS_PER_DAY 86400000LL
#define CAL_TZ_OFFSET_MS (8LL * 3600 * 1000) /* Beijing: local = utc + 8h */
#define CAL_DAY_MIN (-719162)                /* 0001-01-01 as days since 1970-01-01 */
#define CAL_DAY_MAX 2932897                  /* 10000-01-01: first day out of range */
/* The longest duration cal_parse_duration accepts: 100 × 365 days, in seconds. */
#define CAL_DURATION_MAX_S (100LL * 365 * 86400)

/* One working period, minutes after local midnight, [start_min, end_min), 0 <= start < end
 * <= 1440. */
typedef struct {
  int start_min, end_min;
} cal_period;

/* A business calendar. week[d] holds nperiods[d] periods for weekday d (0=Mon .. 6=Sun),
 * sorted ascending and non-overlapping. holidays / workdays are civil days since 1970-01-01,
 * sorted ascending without duplicates; the arrays belong to whoever built the calendar
 * (caldoc_parse allocates them, caldoc_free releases them) and are only read here. */
typedef struct cal_calendar {
  cal_period week[7][CAL_MAX_PERIODS];
  int nperiods[7];
  int32_t *holidays;
  size_t nholidays;
  int32_t *workdays;
  size_t nworkdays;
} cal_calendar;

/* ---- business time ---------------------------------------------------------------- */

/* The deadline: the instant at which duration_ms of working time, counted from start_ms,
 * has elapsed. If start_ms is outside working time, counting begins at the next working
 * instant. When the budget runs out exactly at the end of a period the deadline is that end
 * (17:30), not the start of the next period.
 * duration_ms == 0 returns start_ms itself, working time or not: a zero budget is already
 * due at the start.
 * Returns -1 if duration_ms < 0, start_ms is out of range, the calendar has no working time
 * in any weekday (and duration_ms > 0), or the deadline would lie beyond year 9999.
 * Cost: O(days walked × log(list sizes)), and whole weeks free of list entries are skipped
 * arithmetically, so even centuries of business time are cheap. */
int64_t cal_add(const cal_calendar *c, int64_t start_ms, int64_t duration_ms);

/* Working milliseconds in [from_ms, to_ms); 0 if to_ms <= from_ms. For any start s and
 * d > 0 with cal_add(c, s, d) != -1: cal_elapsed(c, s, cal_add(c, s, d)) == d. */
int64_t cal_elapsed(const cal_calendar *c, int64_t from_ms, int64_t to_ms);

/* t_ms itself if it is working time, else the start of the next working period; -1 if
 * there is none within 3 years (1098 civil days) or t_ms is out of range. */
int64_t cal_next_working_instant(const cal_calendar *c, int64_t t_ms);

/* 1 if t_ms lies inside a working period, else 0. */
int cal_is_working(const cal_calendar *c, int64_t t_ms);

/* Working milliseconds in one ordinary week (sum of the seven weekdays' periods). */
int64_t cal_week_ms(const cal_calendar *c);

/* A calendar with [00:00, 24:00) every day and no holiday or workday lists. */
cal_calendar cal_7x24(void);

/* ---- civil dates -------------------------------------------------------------------- */

/* Days since 1970-01-01 of the proleptic Gregorian date y-m-d (m 1..12, d 1..31; not
 * validated, see cal_parse_date). */
int32_t cal_days_from_civil(int y, int m, int d);
/* The inverse of cal_days_from_civil. */
void cal_civil_from_days(int32_t z, int *y, int *m, int *d);
/* Weekday of a civil day: 0=Monday .. 6=Sunday. */
int cal_weekday(int32_t days);

/* Parses exactly "YYYY-MM-DD" (year 0001..9999, real month lengths and leap years) into
 * days since 1970-01-01. Returns 0, or -1 on any malformed or impossible date. */
int cal_parse_date(const char *s, int32_t *days);
/* Formats a civil day as "YYYY-MM-DD" into out (11 bytes needed). */
void cal_format_date(int32_t days, char out[16]);

/* Parses exactly "HH:MM" (00:00..23:59, or "24:00") into minutes after midnight. "24:00"
 * yields 1440 and is only meaningful as the end of a period: callers must reject 1440 as a
 * start (caldoc_parse does). Returns 0, or -1 if malformed. */
int cal_parse_hhmm(const char *s, int *min);
/* Formats minutes 0..1440 as "HH:MM" (1440 → "24:00") into out (6 bytes needed). */
void cal_format_hhmm(int min, char out[8]);

/* ---- durations and timestamps ------------------------------------------------------- */

/* Parses a duration into seconds. Accepted forms:
 *   "3600"                       plain non-negative integer seconds;
 *   "8h", "30m", "90s", "1h30m", "2d"
 *                                number+unit pairs, units d h m s each at most once and in
 *                                that order; d means 24 h (of business time, when the value
 *                                is fed to cal_add), not one business day;
 *   "PT8H", "PT1H30M", "P2D", "P1DT4H"
 *                                the ISO 8601 subset P[nD][T[nH][nM][nS]], upper case.
 * Rejects empty input, signs, fractions, whitespace, unknown units, units repeated or out of
 * order, trailing garbage, and totals above CAL_DURATION_MAX_S. On failure fills e with
 * ERR_validation_failed and an empty field (the caller knows the field's name and should set
 * it) and returns -1; on success returns 0. */
int cal_parse_duration(const char *s, int64_t *out_s, err *e);

/* Parses an RFC 3339 timestamp "YYYY-MM-DDTHH:MM:SS[.fraction](Z|±HH:MM)" into ms since the
 * epoch. 't' and 'z' are accepted for 'T' and 'Z'; the fraction has 1..9 digits and is
 * truncated to milliseconds; any offset up to ±23:59 is honoured; leap seconds (:60) are
 * rejected. Errors as for cal_parse_duration (ERR_validation_failed, empty field). */
int cal_parse_rfc3339(const char *s, int64_t *out_ms, err *e);

/* Formats an instant as Beijing civil time with seconds precision and "+08:00", e.g.
 * "2026-10-09T09:30:00+08:00" (milliseconds are floored away). Always NUL-terminated. */
void cal_format_rfc3339(int64_t ms, char out[32]);

#endif
