/* escalation.c — the breach scan of the escalation job and auto-closing.
 *
 * Office-hours agreements do not page anyone at midnight or on a holiday: a warning or an
 * escalation that falls due outside working time waits for the calendar's next working
 * minute. P1 orders and 7x24 calendars notify at once (a 7x24 calendar is always working).
 * The scan reads the indexed deadline columns (wo_clocks.warn_at / due_at).
 */
#include "modules/workorders/escalation.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "audit/audit.h"
#include "core/clock.h"
#include "core/log.h"
#include "modules/calendar/caldoc.h"
#include "modules/calendar/calendars.h"
#include "modules/workorders/workorders.h"

typedef struct due_clock {
  int64_t wo;
  char metric[16];
  char priority[4];
  int64_t calendar_id, provider, customer, due_at;
  char number[24];
} due_clock;

/* Who is told: the provider's managers and the department's administrators. */
static json_t *recipients(store_conn *c, int64_t provider, int64_t customer, err *e) {
  json_t *out = json_array();
  store_stmt *st = store_query(c, e,
                               "SELECT username, roles FROM users WHERE active = 1 AND (org_id = ? OR org_id = ?)"
                               " ORDER BY id",
                               "ii", provider, customer);
  int rc;
  while (st && (rc = store_step(st, e)) == STORE_ROW) {
    const char *roles = store_col_text(st, 1);
    if (strstr(roles, "provider_manager") || strstr(roles, "dept_admin"))
      json_array_append_new(out, json_string(store_col_text(st, 0)));
  }
  store_finish(st);
  return out;
}

static int notify(store *s, const due_clock *d, int breach, err *e) {
  store_conn *c = store_acquire(s, e);
  if (!c) return -1;
  int rc = -1;
  if (store_begin(c, STORE_WRITE, e) != 0) goto out;
  /* the flag guards against a second send, also across instances and restarts */
  int64_t n = store_run(c, e,
                        breach ? "UPDATE wo_clocks SET escalated = 1, breached = 1 WHERE work_order_id = ? AND metric = ?"
                                 " AND escalated = 0"
                               : "UPDATE wo_clocks SET warned = 1 WHERE work_order_id = ? AND metric = ? AND warned = 0",
                        "is", d->wo, d->metric);
  if (n < 0) goto out;
  if (n == 0) {
    rc = 0;
    goto out;
  }
  char due[40], idbuf[24];
  time_format_rfc3339(d->due_at, due);
  snprintf(idbuf, sizeof idbuf, "%" PRId64, d->wo);
  json_t *after = json_pack("{s:s, s:s, s:s, s:s, s:o}", "number", d->number, "metric", d->metric, "priority",
                            d->priority, "due_at", due, "notify", recipients(c, d->provider, d->customer, e));
  audit_entry en = {.actor_name = "system", .ip = "", .request_id = "", .action = breach ? "sla_breach" : "sla_warning",
                    .resource = "work_order", .resource_id = idbuf, .after = after};
  int arc = audit_write(c, &en, e);
  json_decref(after);
  if (arc != 0 || store_commit(c, e) != 0) goto out;
  rc = 1;
out:
  store_rollback(c);
  store_release(s, c);
  return rc;
}

/* The two scans: clocks past their deadline not yet escalated, clocks past their warning
 * instant not yet warned. Shared with wo_breach_scan_count, which times them. */
static const char breach_sql[] =
    "SELECT k.work_order_id, k.metric, w.priority, w.calendar_id, w.provider_org_id, w.customer_org_id,"
    " k.due_at, w.number FROM wo_clocks k JOIN work_orders w ON w.id = k.work_order_id"
    " WHERE k.due_at > 0 AND k.due_at < ? AND k.started_at > 0 AND k.escalated = 0 ORDER BY k.due_at LIMIT 200";
static const char warn_sql[] =
    "SELECT k.work_order_id, k.metric, w.priority, w.calendar_id, w.provider_org_id, w.customer_org_id,"
    " k.due_at, w.number FROM wo_clocks k JOIN work_orders w ON w.id = k.work_order_id"
    " WHERE k.warn_at > 0 AND k.warn_at <= ? AND k.started_at > 0 AND k.warned = 0 ORDER BY k.warn_at LIMIT 200";

static int scan(store *s, int breach, err *e) {
  store_conn *c = store_acquire(s, e);
  if (!c) return -1;
  int64_t now = clock_now_ms();
  due_clock due[200];
  int n = 0, rc;
  store_stmt *st = store_query(c, e, breach ? breach_sql : warn_sql, "i", now);
  if (!st) {
    store_release(s, c);
    return -1;
  }
  while ((rc = store_step(st, e)) == STORE_ROW && n < 200) {
    due_clock *d = &due[n++];
    d->wo = store_col_int64(st, 0);
    snprintf(d->metric, sizeof d->metric, "%s", store_col_text(st, 1));
    snprintf(d->priority, sizeof d->priority, "%s", store_col_text(st, 2));
    d->calendar_id = store_col_int64(st, 3);
    d->provider = store_col_type(st, 4) == SCOL_NULL ? 0 : store_col_int64(st, 4);
    d->customer = store_col_int64(st, 5);
    d->due_at = store_col_int64(st, 6);
    snprintf(d->number, sizeof d->number, "%s", store_col_text(st, 7));
  }
  store_finish(st);
  /* wait for working time unless P1 */
  int keep[200];
  for (int i = 0; i < n; i++) {
    keep[i] = 1;
    if (!strcmp(due[i].priority, "P1")) continue;
    cal_calendar cal;
    memset(&cal, 0, sizeof cal);
    if (calendars_load(c, due[i].calendar_id, &cal, e) == 0) {
      keep[i] = cal_is_working(&cal, now);
      caldoc_free(&cal);
    }
  }
  store_release(s, c);
  if (rc < 0) return -1;
  int sent = 0;
  for (int i = 0; i < n; i++) {
    if (!keep[i]) continue;
    int r = notify(s, &due[i], breach, e);
    if (r < 0) return -1;
    sent += r;
  }
  return sent;
}

static int count_rows(store_conn *c, const char *sql, int64_t now, int *out, err *e) {
  store_stmt *st = store_query(c, e, sql, "i", now);
  if (!st) return -1;
  int rc;
  *out = 0;
  while ((rc = store_step(st, e)) == STORE_ROW) (*out)++;
  store_finish(st);
  return rc < 0 ? -1 : 0;
}

int wo_breach_scan_count(store_conn *c, int64_t now, int *warn, int *breach, err *e) {
  return count_rows(c, warn_sql, now, warn, e) == 0 && count_rows(c, breach_sql, now, breach, e) == 0 ? 0 : -1;
}

int wo_escalation_run(store *s, const char *instance, err *e) {
  int w = scan(s, 0, e);
  if (w < 0) return -1;
  int b = scan(s, 1, e);
  if (b < 0) return -1;
  return w + b;
}

int wo_autoclose_run(store *s, const char *instance, err *e) {
  store_conn *c = store_acquire(s, e);
  if (!c) return -1;
  int64_t now = clock_now_ms();
  int64_t ids[100];
  int n = 0, rc;
  store_stmt *st = store_query(c, e,
                               "SELECT id, resolved_at, calendar_id FROM work_orders WHERE state = 'resolved'"
                               " AND resolved_at < ? ORDER BY resolved_at LIMIT 500",
                               "i", now - (int64_t)WO_AUTO_CLOSE_DAYS * 86400000 / 3);
  if (!st) {
    store_release(s, c);
    return -1;
  }
  typedef struct {
    int64_t id, resolved, cal;
  } cand;
  cand cands[500];
  int ncand = 0;
  while ((rc = store_step(st, e)) == STORE_ROW && ncand < 500) {
    cands[ncand].id = store_col_int64(st, 0);
    cands[ncand].resolved = store_col_int64(st, 1);
    cands[ncand].cal = store_col_type(st, 2) == SCOL_NULL ? 0 : store_col_int64(st, 2);
    ncand++;
  }
  store_finish(st);
  for (int i = 0; i < ncand && n < 100; i++) {
    int64_t deadline = cands[i].resolved + (int64_t)WO_AUTO_CLOSE_DAYS * 86400000;
    if (cands[i].cal) {
      cal_calendar cal;
      memset(&cal, 0, sizeof cal);
      if (calendars_load(c, cands[i].cal, &cal, e) == 0) {
        /* N business days: N days' worth of the calendar's average working day */
        int days = 0;
        for (int d = 0; d < 7; d++) days += cal.nperiods[d] > 0;
        int64_t day_ms = days ? cal_week_ms(&cal) / days : 86400000;
        int64_t due = cal_add(&cal, cands[i].resolved, (int64_t)WO_AUTO_CLOSE_DAYS * day_ms);
        if (due > 0) deadline = due;
        caldoc_free(&cal);
      }
    }
    if (deadline <= now) ids[n++] = cands[i].id;
  }
  int closed = 0;
  for (int i = 0; i < n; i++) {
    wo_actor a = {.who = NULL, .name = "system", .ip = "", .request_id = ""};
    json_t *body = json_pack("{s:s, s:s}", "action", "confirm", "note", "自动关闭：解决后3个工作日内未确认");
    int ok = store_begin(c, STORE_WRITE, e) == 0 && wo_apply(c, &a, ids[i], body, 1, NULL, e) == 0 && store_commit(c, e) == 0;
    json_decref(body);
    store_rollback(c);
    if (ok) closed++;
  }
  store_release(s, c);
  return rc < 0 ? -1 : closed;
}
