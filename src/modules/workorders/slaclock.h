/* slaclock.h — one SLA clock of a work order (response, arrival or resolution), as pure
 * arithmetic on a business calendar.
 *
 * Learned from ticketing systems that got it wrong: time spent is measured with exactly the
 * calendar that computes deadlines (a pause over a weekend adds nothing); a clock keeps its
 * spent business time and its last start, and its deadline is always recomputed from the
 * remaining budget — so a priority change or a reassignment (retarget) keeps the time
 * already spent and the pauses already taken.
 */
#ifndef UNIOPS_SLACLOCK_H
#define UNIOPS_SLACLOCK_H

#include <stdint.h>

#include "modules/calendar/calmath.h"

typedef enum { CLOCK_RUNNING, CLOCK_PAUSED, CLOCK_MET, CLOCK_BREACHED } clock_state;

typedef struct slaclock {
  int64_t target_ms;   /* business time allowed */
  int64_t spent_ms;    /* business time used up to started_at (or to the stop/pause) */
  int64_t started_at;  /* last (re)start, 0 when paused or stopped */
  int64_t due_at;      /* absolute deadline while running, else 0 */
  int64_t warn_at;     /* when warn_pct of the target is used, while running, else 0 */
  int64_t stopped_at;  /* 0 until met or breached */
  int breached;        /* set at stop when spent > target (and by the breach scan while running) */
  int warn_pct;        /* e.g. 80 */
} slaclock;

/* Starts a new clock at t (e.g. the reported time of a hotline call). */
void slaclock_start(slaclock *k, const cal_calendar *cal, int64_t target_ms, int warn_pct, int64_t t);
/* Pauses at t: the business time since the last start is added to spent. */
void slaclock_pause(slaclock *k, const cal_calendar *cal, int64_t t);
/* Resumes at t (also re-opens a stopped clock, e.g. a rejected resolution). */
void slaclock_resume(slaclock *k, const cal_calendar *cal, int64_t t);
/* Stops at t; met when the spent business time is within the target. */
void slaclock_stop(slaclock *k, const cal_calendar *cal, int64_t t);
/* New target (priority change, reassignment, new agreement) at t, keeping spent time. */
void slaclock_retarget(slaclock *k, const cal_calendar *cal, int64_t target_ms, int64_t t);
/* Business time used as of `now`. */
int64_t slaclock_spent_at(const slaclock *k, const cal_calendar *cal, int64_t now);
/* State as of now: a running clock past its deadline counts as breached. */
clock_state slaclock_state(const slaclock *k, int64_t now);
const char *slaclock_state_name(clock_state s);

#endif
