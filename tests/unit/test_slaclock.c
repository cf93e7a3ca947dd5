/* test_slaclock.c — SLA clock arithmetic (src/modules/workorders/slaclock.c) on an
 * office-hours calendar (Mon–Fri 08:30–12:00, 14:00–17:30; 1–7 Oct 2026 off, Sat 10 Oct
 * worked) and on 7x24, with deadlines worked out by hand; and the work-order state table. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "modules/workorders/machine.h"
#include "modules/workorders/slaclock.h"
#include "auth/rbac.h"

static int32_t holidays[7], workdays[1];

static cal_calendar office(void) {
  cal_calendar c;
  memset(&c, 0, sizeof c);
  for (int d = 0; d < 5; d++) {
    c.week[d][0] = (cal_period){8 * 60 + 30, 12 * 60};
    c.week[d][1] = (cal_period){14 * 60, 17 * 60 + 30};
    c.nperiods[d] = 2;
  }
  for (int i = 0; i < 7; i++) holidays[i] = cal_days_from_civil(2026, 10, 1 + i);
  workdays[0] = cal_days_from_civil(2026, 10, 10);
  c.holidays = holidays;
  c.nholidays = 7;
  c.workdays = workdays;
  c.nworkdays = 1;
  return c;
}

static int64_t t(const char *s) {
  int64_t ms = 0;
  err e;
  assert_int_equal(cal_parse_rfc3339(s, &ms, &e), 0);
  return ms;
}

#define H (3600 * 1000LL)

static void test_start_and_stop(void **state) {
  cal_calendar c = office();
  slaclock k;
  /* Wed 30 Sep 16:00 + 8 h → Thu 8 Oct 17:00 (the National Day week adds nothing) */
  slaclock_start(&k, &c, 8 * H, 80, t("2026-09-30T16:00:00+08:00"));
  assert_int_equal(k.due_at, t("2026-10-08T17:00:00+08:00"));
  /* warning at 6.4 h: 1.5 h on 30 Sep, then 3.5 h + 1.4 h (84 min) on 8 Oct → 15:24 */
  assert_int_equal(k.warn_at, t("2026-10-08T15:24:00+08:00"));
  assert_int_equal(slaclock_state(&k, t("2026-10-08T16:59:00+08:00")), CLOCK_RUNNING);
  assert_int_equal(slaclock_state(&k, t("2026-10-08T17:00:01+08:00")), CLOCK_BREACHED);
  slaclock_stop(&k, &c, t("2026-10-08T17:00:00+08:00"));
  assert_int_equal(slaclock_state(&k, t("2026-10-09T00:00:00+08:00")), CLOCK_MET);
  assert_int_equal(k.spent_ms, 8 * H);
  assert_int_equal(k.due_at, 0);
}

static void test_pause_over_weekend_adds_nothing(void **state) {
  cal_calendar c = office();
  slaclock k;
  /* Fri 27 Nov 11:00, 8 h: due Mon 30 Nov 12:00 */
  slaclock_start(&k, &c, 8 * H, 80, t("2026-11-27T11:00:00+08:00"));
  assert_int_equal(k.due_at, t("2026-11-30T12:00:00+08:00"));
  slaclock_pause(&k, &c, t("2026-11-27T17:30:00+08:00")); /* 1 + 3.5 = 4.5 h spent */
  assert_int_equal(k.spent_ms, 4 * H + H / 2);
  assert_int_equal(slaclock_state(&k, t("2026-11-29T12:00:00+08:00")), CLOCK_PAUSED);
  slaclock_resume(&k, &c, t("2026-11-30T08:30:00+08:00"));
  /* the weekend was no business time: the deadline is where it was */
  assert_int_equal(k.due_at, t("2026-11-30T12:00:00+08:00"));
  /* spent as of Mon 10:00 = 4.5 + 1.5 h */
  assert_int_equal(slaclock_spent_at(&k, &c, t("2026-11-30T10:00:00+08:00")), 6 * H);
}

static void test_retarget_keeps_spent_time(void **state) {
  cal_calendar c = office();
  slaclock k;
  slaclock_start(&k, &c, 40 * H, 80, t("2026-12-01T09:00:00+08:00"));
  /* at 10:00 (1 h spent) the target becomes 8 h: 7 h left from 10:00 → Wed 10:00 */
  slaclock_retarget(&k, &c, 8 * H, t("2026-12-01T10:00:00+08:00"));
  assert_int_equal(k.spent_ms, H);
  assert_int_equal(k.due_at, t("2026-12-02T10:00:00+08:00"));
  /* shrinking below the time already spent: due now, and breached */
  slaclock_retarget(&k, &c, H / 2, t("2026-12-01T11:00:00+08:00"));
  assert_int_equal(k.due_at, t("2026-12-01T11:00:00+08:00"));
  assert_int_equal(slaclock_state(&k, t("2026-12-01T11:00:01+08:00")), CLOCK_BREACHED);
  /* a stopped clock keeps its spent time; a new target re-judges it */
  slaclock_stop(&k, &c, t("2026-12-01T11:30:00+08:00"));
  assert_true(k.breached);
  slaclock_retarget(&k, &c, 4 * H, t("2026-12-01T12:00:00+08:00"));
  assert_false(k.breached);
  assert_int_equal(slaclock_state(&k, t("2026-12-05T00:00:00+08:00")), CLOCK_MET);
}

static void test_reopen_after_stop(void **state) {
  cal_calendar c = office();
  slaclock k;
  slaclock_start(&k, &c, 2 * H, 80, t("2026-12-01T09:00:00+08:00"));
  slaclock_stop(&k, &c, t("2026-12-01T10:00:00+08:00"));
  slaclock_resume(&k, &c, t("2026-12-01T15:00:00+08:00")); /* rejected resolution */
  assert_int_equal(k.stopped_at, 0);
  assert_int_equal(k.due_at, t("2026-12-01T16:00:00+08:00"));
}

static void test_7x24_and_holiday_start(void **state) {
  cal_calendar a = cal_7x24();
  slaclock k;
  slaclock_start(&k, &a, 8 * H, 80, t("2026-09-30T16:00:00+08:00"));
  assert_int_equal(k.due_at, t("2026-10-01T00:00:00+08:00"));
  cal_calendar c = office();
  /* raised on a holiday: counting starts on the next working minute (Thu 8 Oct 08:30) */
  slaclock_start(&k, &c, H, 80, t("2026-10-03T10:00:00+08:00"));
  assert_int_equal(k.due_at, t("2026-10-08T09:30:00+08:00"));
  /* the make-up Saturday 10 Oct has Monday's hours */
  slaclock_start(&k, &c, 4 * H, 80, t("2026-10-10T09:00:00+08:00"));
  assert_int_equal(k.due_at, t("2026-10-10T15:00:00+08:00"));
}

static void test_machine_table(void **state) {
  const wo_action *a = wo_action_find("accept");
  assert_non_null(a);
  assert_true(a->from & (1u << WO_assigned));
  assert_false(a->from & (1u << WO_new));
  assert_int_equal(a->to, WO_accepted);
  assert_true(a->roles & (1u << ROLE_engineer));
  assert_false(a->roles & (1u << ROLE_requester));
  assert_null(wo_action_find("teleport"));
  /* customers confirm and reject; nobody else */
  for (int r = 0; r < ROLE__COUNT; r++) {
    int customer = r == ROLE_requester || r == ROLE_dept_admin;
    assert_int_equal(!!(wo_action_find("confirm")->roles & (1u << r)), customer);
  }
  /* nothing leaves closed or cancelled */
  for (int i = 0; i < wo_nactions; i++) {
    assert_false(wo_actions[i].from & (1u << WO_closed));
    assert_false(wo_actions[i].from & (1u << WO_cancelled));
  }
  assert_int_equal(wo_state_from_name("pending"), WO_pending);
  assert_string_equal(wo_state_label(WO_pending), "挂起");
  assert_int_equal(wo_state_from_name("gone"), -1);
}

static void test_priority_matrix(void **state) {
  assert_string_equal(wo_priority_matrix("high", "high"), "P1");
  assert_string_equal(wo_priority_matrix("high", "medium"), "P2");
  assert_string_equal(wo_priority_matrix("medium", "high"), "P2");
  assert_string_equal(wo_priority_matrix("medium", "medium"), "P3");
  assert_string_equal(wo_priority_matrix("low", "high"), "P3");
  assert_string_equal(wo_priority_matrix("low", "medium"), "P4");
  assert_string_equal(wo_priority_matrix("low", "low"), "P4");
  assert_null(wo_priority_matrix("huge", "low"));
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_start_and_stop),        cmocka_unit_test(test_pause_over_weekend_adds_nothing),
      cmocka_unit_test(test_retarget_keeps_spent_time), cmocka_unit_test(test_reopen_after_stop),
      cmocka_unit_test(test_7x24_and_holiday_start),   cmocka_unit_test(test_machine_table),
      cmocka_unit_test(test_priority_matrix),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
