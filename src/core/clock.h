/* clock.h — the one source of "now" for the whole program.
 *
 * Tests must move time (session expiry, lockouts, SLA breaches), so every
 * module asks clock_now_ms() instead of the system clock. The offset seam is
 * only reachable when the server starts with UNIOPS_TEST_CLOCK=1 (see docs/admin.md);
 * a normal server cannot be told to move its clock.
 */
#ifndef UNIOPS_CLOCK_H
#define UNIOPS_CLOCK_H
#include <stdint.h>

/* Milliseconds since the Unix epoch, UTC, plus the test offset (0 normally). */
int64_t clock_now_ms(void);
/* Monotonic microseconds, for measuring durations. */
int64_t clock_mono_us(void);
/* Test seam: sets the offset added to the real clock. Thread safe. */
void clock_set_offset_ms(int64_t offset_ms);
int64_t clock_offset_ms(void);
/* True when UNIOPS_TEST_CLOCK=1 was set at start-up (read once). */
int clock_test_seam_enabled(void);

/* A UTC instant split into calendar fields (proleptic Gregorian; year may be ≤ 0 or > 9999). */
typedef struct time_parts {
  int64_t year;
  int month, day, hour, minute, second; /* 1–12, 1–31, 0–23, 0–59, 0–59 */
} time_parts;
/* Splits seconds since the epoch as gmtime_r would, by arithmetic alone: glibc's gmtime_r
 * takes a process-wide lock, and every time in every record rendered and every log line
 * went through it from all request threads at once. */
void time_split_utc(int64_t secs, time_parts *out);

/* Formats ms as RFC 3339 in Beijing time, e.g. 2026-11-25T09:30:00.123+08:00 (millisecond
 * precision only when non-zero). out must hold 40 bytes. */
void time_format_rfc3339(int64_t ms, char *out);
/* Parses RFC 3339 (offset or Z required, optional fraction). Returns 0 or -1. */
int time_parse_rfc3339(const char *s, int64_t *out_ms);

#endif
