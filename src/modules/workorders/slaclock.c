/* slaclock.c — SLA clock arithmetic over calmath.h. */
#include "modules/workorders/slaclock.h"

/* Deadline and warning instant from the remaining budget, counted from started_at. */
static void recompute(slaclock *k, const cal_calendar *cal) {
  if (!k->started_at) {
    k->due_at = k->warn_at = 0;
    return;
  }
  int64_t left = k->target_ms - k->spent_ms;
  int64_t due = left > 0 ? cal_add(cal, k->started_at, left) : k->started_at;
  k->due_at = due > 0 ? due : k->started_at;
  int64_t warn_budget = k->target_ms * k->warn_pct / 100 - k->spent_ms;
  int64_t warn = warn_budget > 0 ? cal_add(cal, k->started_at, warn_budget) : k->started_at;
  k->warn_at = warn > 0 ? warn : k->started_at;
}

void slaclock_start(slaclock *k, const cal_calendar *cal, int64_t target_ms, int warn_pct, int64_t t) {
  k->target_ms = target_ms;
  k->spent_ms = 0;
  k->started_at = t;
  k->stopped_at = 0;
  k->breached = 0;
  k->warn_pct = warn_pct;
  recompute(k, cal);
}

int64_t slaclock_spent_at(const slaclock *k, const cal_calendar *cal, int64_t now) {
  if (!k->started_at || now <= k->started_at) return k->spent_ms;
  return k->spent_ms + cal_elapsed(cal, k->started_at, now);
}

void slaclock_pause(slaclock *k, const cal_calendar *cal, int64_t t) {
  if (!k->started_at || k->stopped_at) return;
  k->spent_ms = slaclock_spent_at(k, cal, t);
  k->started_at = 0;
  recompute(k, cal);
}

void slaclock_resume(slaclock *k, const cal_calendar *cal, int64_t t) {
  if (k->started_at) return;
  k->stopped_at = 0;
  k->breached = 0;
  k->started_at = t;
  recompute(k, cal);
}

void slaclock_stop(slaclock *k, const cal_calendar *cal, int64_t t) {
  if (k->stopped_at) return;
  k->spent_ms = slaclock_spent_at(k, cal, t);
  k->started_at = 0;
  k->stopped_at = t;
  k->breached = k->spent_ms > k->target_ms;
  recompute(k, cal);
}

void slaclock_retarget(slaclock *k, const cal_calendar *cal, int64_t target_ms, int64_t t) {
  k->target_ms = target_ms;
  if (k->stopped_at) {
    k->breached = k->spent_ms > k->target_ms;
    return;
  }
  if (k->started_at) {
    k->spent_ms = slaclock_spent_at(k, cal, t);
    k->started_at = t;
  }
  recompute(k, cal);
}

clock_state slaclock_state(const slaclock *k, int64_t now) {
  if (k->stopped_at) return k->breached ? CLOCK_BREACHED : CLOCK_MET;
  if (k->started_at) return k->breached || (k->due_at && now > k->due_at) ? CLOCK_BREACHED : CLOCK_RUNNING;
  return k->spent_ms > k->target_ms ? CLOCK_BREACHED : CLOCK_PAUSED;
}

const char *slaclock_state_name(clock_state s) {
  static const char *const names[] = {"running", "paused", "met", "breached"};
  return names[s];
}
