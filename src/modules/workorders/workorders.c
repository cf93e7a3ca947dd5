/* workorders.c — work orders: create, read (scoped), the lifecycle actions with their SLA
 * clock effects, comments, work logs, events, callbacks. */
#include "modules/workorders/workorders.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audit/audit.h"
#include "core/clock.h"
#include "core/strbuf.h"
#include "modules/calendar/caldoc.h"
#include "modules/calendar/calendars.h"
#include "modules/sla/sla.h"
#include "modules/workorders/machine.h"
#include "modules/workorders/slaclock.h"
#include "resource/resource.h"

static const char *const types[] = {"incident", "request", "consultation", "complaint", NULL};
static const char *const channels[] = {"web", "hotline", "api", "alert", "email", NULL};
static const char *const levels[] = {"high", "medium", "low", NULL};
static const char *const prios[] = {"P1", "P2", "P3", "P4", NULL};
static const char *const states[] = {"new", "assigned", "accepted", "arrived", "in_progress",
                                     "pending", "resolved", "closed", "cancelled", NULL};

/* What GET and lists return (all read-only: changes go through actions). */
static const field_desc wo_fields[] = {
    {"number", FT_TEXT, FF_FILTER | FF_SEARCH, 0, 0, NULL, NULL},
    {"type", FT_ENUM, FF_FILTER, 0, 0, types, NULL},
    {"channel", FT_ENUM, FF_FILTER, 0, 0, channels, NULL},
    {"customer_org_id", FT_REF, FF_FILTER, 0, 0, NULL, "orgs"},
    {"requester_id", FT_REF, FF_FILTER | FF_NULLABLE, 0, 0, NULL, "users"},
    {"catalog_item_id", FT_REF, FF_FILTER | FF_NULLABLE, 0, 0, NULL, "catalog_items"},
    {"asset_id", FT_INT, FF_NULLABLE | FF_FILTER, 0, 0, NULL, NULL},
    {"impact", FT_ENUM, 0, 0, 0, levels, NULL},
    {"urgency", FT_ENUM, 0, 0, 0, levels, NULL},
    {"priority", FT_ENUM, FF_FILTER, 0, 0, prios, NULL},
    {"priority_reason", FT_TEXT, FF_NULLABLE, 0, 0, NULL, NULL},
    {"title", FT_TEXT, FF_SEARCH, 0, 0, NULL, NULL},
    {"description", FT_TEXT, FF_NULLABLE, 0, 0, NULL, NULL},
    {"state", FT_ENUM, FF_FILTER, 0, 0, states, NULL},
    {"pending_reason", FT_TEXT, FF_NULLABLE, 0, 0, NULL, NULL},
    {"provider_org_id", FT_REF, FF_FILTER | FF_NULLABLE, 0, 0, NULL, "orgs"},
    {"assignee_id", FT_REF, FF_FILTER | FF_NULLABLE, 0, 0, NULL, "users"},
    {"backup_support", FT_BOOL, FF_FILTER, 0, 0, NULL, NULL},
    {"sla_version_id", FT_INT, FF_NULLABLE, 0, 0, NULL, NULL},
    {"sla_source", FT_TEXT, FF_NULLABLE, 0, 0, NULL, NULL},
    {"calendar_id", FT_INT, FF_NULLABLE, 0, 0, NULL, NULL},
    {"reported_at", FT_TIME, 0, 0, 0, NULL, NULL},
    {"resolved_at", FT_TIME, FF_NULLABLE, 0, 0, NULL, NULL},
    {"closed_at", FT_TIME, FF_NULLABLE, 0, 0, NULL, NULL},
    {"resolution", FT_TEXT, FF_NULLABLE, 0, 0, NULL, NULL},
    {"rating", FT_INT, FF_NULLABLE, 0, 0, NULL, NULL},
    {"rating_comment", FT_TEXT, FF_NULLABLE, 0, 0, NULL, NULL},
    {NULL, 0, 0, 0, 0, NULL, NULL},
};
static const resource_desc wo_desc = {"work_order", "work_orders", wo_fields, "customer_org_id"};

/* What a create body may hold. */
static const field_desc create_fields[] = {
    {"type", FT_ENUM, FF_REQUIRED, 0, 0, types, NULL},
    {"channel", FT_ENUM, FF_CREATE, 0, 0, channels, NULL},
    {"customer_org_id", FT_REF, FF_CREATE, 0, 0, NULL, "orgs"},
    {"requester_id", FT_REF, FF_CREATE | FF_NULLABLE, 0, 0, NULL, "users"},
    {"catalog_item_id", FT_REF, FF_CREATE | FF_NULLABLE, 0, 0, NULL, "catalog_items"},
    {"asset_id", FT_INT, FF_CREATE | FF_NULLABLE, 1, INT64_MAX, NULL, NULL},
    {"impact", FT_ENUM, FF_REQUIRED, 0, 0, levels, NULL},
    {"urgency", FT_ENUM, FF_REQUIRED, 0, 0, levels, NULL},
    {"priority", FT_ENUM, FF_CREATE, 0, 0, prios, NULL},
    {"priority_reason", FT_TEXT, FF_CREATE, 1, 500, NULL, NULL},
    {"title", FT_TEXT, FF_REQUIRED, 1, 200, NULL, NULL},
    {"description", FT_TEXT, FF_CREATE | FF_NULLABLE, 0, 5000, NULL, NULL},
    {"provider_org_id", FT_REF, FF_CREATE, 0, 0, NULL, "orgs"},
    {"reported_at", FT_TIME, FF_CREATE, 0, 0, NULL, NULL},
    {NULL, 0, 0, 0, 0, NULL, NULL},
};
static const resource_desc create_desc = {"work_order", "work_orders", create_fields, "customer_org_id"};

static const char *const metrics[3] = {"response", "arrival", "resolution"};
enum { M_RESPONSE, M_ARRIVAL, M_RESOLUTION };

typedef struct wo_clocks {
  slaclock k[3];
  int present[3];
  int warned[3], escalated[3];
} wo_clocks;

/* --- small helpers ---------------------------------------------------------------- */

static int has_role(const wo_actor *a, role_id r) { return a->who && (a->who->roles & (1u << r)); }
static int is_desk(const wo_actor *a) { return has_role(a, ROLE_service_desk) || has_role(a, ROLE_manager); }

static const char *jstr(const json_t *o, const char *k) { return json_string_value(json_object_get(o, k)); }
static int64_t jint(const json_t *o, const char *k) { return json_integer_value(json_object_get(o, k)); }

static int org_party_is(store_conn *c, int64_t org, const char *party, err *e) {
  store_stmt *st = store_query(c, e, "SELECT party, active FROM orgs WHERE id = ?", "i", org);
  if (!st) return -1;
  int rc = store_step(st, e);
  int ok = rc == STORE_ROW && strcmp(store_col_text(st, 0), party) == 0 && store_col_int64(st, 1);
  store_finish(st);
  return rc < 0 ? -1 : ok;
}

/* --- clocks ---------------------------------------------------------------------- */

static int clocks_load(store_conn *c, int64_t id, wo_clocks *w, err *e) {
  memset(w, 0, sizeof *w);
  store_stmt *st = store_query(c, e,
                               "SELECT metric, target_ms, spent_ms, started_at, due_at, warn_at, stopped_at, breached,"
                               " warned, escalated FROM wo_clocks WHERE work_order_id = ?",
                               "i", id);
  if (!st) return -1;
  int rc;
  while ((rc = store_step(st, e)) == STORE_ROW) {
    int m = -1;
    for (int i = 0; i < 3; i++)
      if (strcmp(store_col_text(st, 0), metrics[i]) == 0) m = i;
    if (m < 0) continue;
    slaclock *k = &w->k[m];
    k->target_ms = store_col_int64(st, 1);
    k->spent_ms = store_col_int64(st, 2);
    k->started_at = store_col_int64(st, 3);
    k->due_at = store_col_int64(st, 4);
    k->warn_at = store_col_int64(st, 5);
    k->stopped_at = store_col_int64(st, 6);
    k->breached = (int)store_col_int64(st, 7);
    k->warn_pct = WO_WARN_PCT;
    w->warned[m] = (int)store_col_int64(st, 8);
    w->escalated[m] = (int)store_col_int64(st, 9);
    w->present[m] = 1;
  }
  store_finish(st);
  return rc < 0 ? -1 : 0;
}

/* Replaces the order's clocks; `fresh`: a new order, which has none to delete yet. */
static int clocks_save(store_conn *c, int64_t id, const wo_clocks *w, int fresh, err *e) {
  if (!fresh && store_run(c, e, "DELETE FROM wo_clocks WHERE work_order_id = ?", "i", id) < 0) return -1;
  for (int m = 0; m < 3; m++) {
    if (!w->present[m]) continue;
    const slaclock *k = &w->k[m];
    if (store_run(c, e,
                  "INSERT INTO wo_clocks (work_order_id, metric, target_ms, spent_ms, started_at, due_at, warn_at,"
                  " stopped_at, breached, warned, escalated) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                  "isiiiiiiiii", id, metrics[m], k->target_ms, k->spent_ms, k->started_at, k->due_at, k->warn_at,
                  k->stopped_at, (int64_t)k->breached, (int64_t)w->warned[m], (int64_t)w->escalated[m]) < 0)
      return -1;
  }
  return 0;
}

static json_t *clocks_json(const wo_clocks *w, const cal_calendar *cal, int64_t now) {
  json_t *arr = json_array();
  for (int m = 0; m < 3; m++) {
    if (!w->present[m]) continue;
    const slaclock *k = &w->k[m];
    char due[40] = "", stop[40] = "";
    if (k->due_at) time_format_rfc3339(k->due_at, due);
    if (k->stopped_at) time_format_rfc3339(k->stopped_at, stop);
    int64_t spent = cal ? slaclock_spent_at(k, cal, now) : k->spent_ms;
    /* set one by one: json_pack parses its format on every call, on every record shown */
    json_t *o = json_object();
    json_object_set_new(o, "metric", json_string(metrics[m]));
    json_object_set_new(o, "state", json_string(slaclock_state_name(slaclock_state(k, now))));
    json_object_set_new(o, "running", json_boolean(k->started_at != 0));
    json_object_set_new(o, "target_s", json_integer(k->target_ms / 1000));
    json_object_set_new(o, "spent_s", json_integer(spent / 1000));
    json_object_set_new(o, "due_at", due[0] ? json_string(due) : json_null());
    json_object_set_new(o, "stopped_at", stop[0] ? json_string(stop) : json_null());
    json_array_append_new(arr, o);
  }
  return arr;
}

/* --- loading ---------------------------------------------------------------------- */

/* wo_load_json with the clocks already in hand (`known`, e.g. those just written), or
 * read from the database when known is NULL. */
static int load_json_with(store_conn *c, int64_t id, const wo_clocks *known, json_t **out, err *e) {
  json_t *rec = NULL;
  if (res_get(c, &wo_desc, id, &rec, e) != 0) return -1;
  wo_clocks w;
  if (known) {
    w = *known;
  } else if (clocks_load(c, id, &w, e) != 0) {
    json_decref(rec);
    return -1;
  }
  cal_calendar cal;
  memset(&cal, 0, sizeof cal);
  /* only a running clock needs the calendar (to count the time spent so far) */
  int running = 0;
  for (int m = 0; m < 3; m++) running |= w.present[m] && w.k[m].started_at != 0;
  int have_cal = running && json_is_integer(json_object_get(rec, "calendar_id")) &&
                 calendars_load(c, jint(rec, "calendar_id"), &cal, e) == 0;
  json_object_set_new(rec, "clocks", clocks_json(&w, have_cal ? &cal : NULL, clock_now_ms()));
  json_object_set_new(rec, "state_label", json_string(wo_state_label(wo_state_from_name(jstr(rec, "state")))));
  if (have_cal) caldoc_free(&cal);
  *out = rec;
  return 0;
}

int wo_load_json(store_conn *c, int64_t id, json_t **out, err *e) { return load_json_with(c, id, NULL, out, e); }

/* Read scope: management and supervision all; a customer its organisation tree; a
 * provider the orders assigned to its organisation tree. 1 visible, 0 not, -1 error. */
static int visible(store_conn *c, const principal *p, const json_t *rec, data_scope scope, err *e) {
  if (scope == SCOPE_ALL) return 1;
  if (strcmp(p->party, "service") == 0) {
    /* a provider's staff, in the company or a branch of it, see the company's orders */
    json_t *prov = json_object_get(rec, "provider_org_id");
    if (!json_is_integer(prov)) return 0;
    int64_t root = res_org_root(c, p->org_id, e);
    return root < 0 ? -1 : res_org_in_tree(c, root, json_integer_value(prov), e);
  }
  return res_org_in_tree(c, p->org_id, jint(rec, "customer_org_id"), e);
}

json_t *wo_load_scoped(req *r, store_conn *c, int64_t id, const char *action) {
  data_scope scope = req_require(r, "work_order", action);
  if (!scope) return NULL;
  err e;
  err_clear(&e);
  json_t *rec = NULL;
  if (wo_load_json(c, id, &rec, &e) != 0) {
    req_reply_err(r, &e);
    return NULL;
  }
  int v = visible(c, &r->who, rec, scope, &e);
  if (v != 1) {
    json_decref(rec);
    if (v < 0)
      req_reply_err(r, &e);
    else
      req_reply_error(r, ERR_not_found, NULL, "no work order %" PRId64, id);
    return NULL;
  }
  return rec;
}

/* --- events and audit ------------------------------------------------------------- */

static int add_event(store_conn *c, const wo_actor *a, int64_t id, const char *kind, const char *action,
                     const char *from, const char *to, const char *body, int64_t minutes, err *e) {
  store_stmt *st = store_prepare(c,
                                 "INSERT INTO wo_events (work_order_id, at, actor_id, actor_name, kind, action, from_state,"
                                 " to_state, body, minutes) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                                 e);
  if (!st) return -1;
  store_bind_int64(st, 1, id);
  store_bind_int64(st, 2, clock_now_ms());
  if (a->who)
    store_bind_int64(st, 3, a->who->user_id);
  else
    store_bind_null(st, 3);
  store_bind_text(st, 4, a->who ? a->who->username : a->name);
  store_bind_text(st, 5, kind);
  store_bind_text(st, 6, action);
  store_bind_text(st, 7, from);
  store_bind_text(st, 8, to);
  store_bind_text(st, 9, body);
  if (minutes)
    store_bind_int64(st, 10, minutes);
  else
    store_bind_null(st, 10);
  int rc = store_step(st, e);
  store_finish(st);
  return rc == STORE_DONE ? 0 : -1;
}

/* `after_text` (may be NULL): receives the stored text of `after` (see audit_entry). */
static int audit_text(store_conn *c, const wo_actor *a, const char *action, int64_t id, const json_t *before,
                      const json_t *after, char **after_text, err *e) {
  char idbuf[24];
  snprintf(idbuf, sizeof idbuf, "%" PRId64, id);
  audit_entry en = {.actor = a->who, .actor_name = a->name, .ip = a->ip ? a->ip : "",
                    .request_id = a->request_id ? a->request_id : "", .action = action, .resource = "work_order",
                    .resource_id = idbuf, .before = before, .after = after, .after_text = after_text};
  return audit_write(c, &en, e);
}

static int audit(store_conn *c, const wo_actor *a, const char *action, int64_t id, const json_t *before,
                 const json_t *after, err *e) {
  return audit_text(c, a, action, id, before, after, NULL, e);
}

/* --- SLA -------------------------------------------------------------------------- */

/* Resolves the agreement for the order and starts (or re-targets) its clocks from the
 * reported time. Returns 1 when an agreement applied, 0 when none (or ambiguous), -1. */
static int apply_sla(store_conn *c, json_t *set, int64_t customer, int64_t provider, int64_t item, const char *prio,
                     int64_t reported_at, const char *service_mode, wo_clocks *w, int retarget, err *e) {
  sla_query q = {.customer_org_id = customer, .provider_org_id = provider, .catalog_item_id = item, .priority = prio,
                 .at_ms = reported_at};
  sla_resolution res;
  memset(&res, 0, sizeof res);
  err le;
  err_clear(&le);
  if (sla_resolve(c, &q, &res, &le) != 0) {
    if (le.code == ERR_not_found || le.code == ERR_conflict) return 0;
    if (e) *e = le;
    return -1;
  }
  cal_calendar cal;
  memset(&cal, 0, sizeof cal);
  if (calendars_load(c, res.calendar_id, &cal, e) != 0) return -1;
  json_object_set_new(set, "sla_version_id", json_integer(res.sla_version_id));
  json_object_set_new(set, "sla_source", json_string(res.source));
  json_object_set_new(set, "calendar_id", json_integer(res.calendar_id));
  if (!provider) json_object_set_new(set, "provider_org_id", json_integer(res.provider_org_id));
  int64_t now = clock_now_ms();
  int64_t targets[3] = {res.targets.response_s * 1000, res.targets.arrival_s * 1000, res.targets.resolution_s * 1000};
  int want_arrival = targets[M_ARRIVAL] > 0 && service_mode && strcmp(service_mode, "on_site") == 0;
  for (int m = 0; m < 3; m++) {
    if (m == M_ARRIVAL && !want_arrival) continue;
    if (retarget && w->present[m]) {
      slaclock_retarget(&w->k[m], &cal, targets[m], now);
      if (slaclock_state(&w->k[m], now) != CLOCK_BREACHED) w->warned[m] = w->escalated[m] = 0;
    } else if (!w->present[m]) {
      slaclock_start(&w->k[m], &cal, targets[m], WO_WARN_PCT, reported_at);
      w->present[m] = 1;
    }
  }
  caldoc_free(&cal);
  return 1;
}

static int with_calendar(store_conn *c, const json_t *rec, cal_calendar *cal, err *e) {
  json_t *cid = json_object_get(rec, "calendar_id");
  if (!json_is_integer(cid)) return 0;
  return calendars_load(c, json_integer_value(cid), cal, e) == 0 ? 1 : -1;
}

/* --- create ----------------------------------------------------------------------- */

static int next_number(store_conn *c, char out[20], err *e) {
  int64_t local = clock_now_ms() + 8 * 3600 * 1000LL;
  int32_t day = (int32_t)(local / 86400000);
  int y, m, d;
  cal_civil_from_days(day, &y, &m, &d);
  char key[12];
  snprintf(key, sizeof key, "%04d%02d%02d", y, m, d);
  int64_t n = 0;
  if (store_conn_dialect(c) == STORE_POSTGRES) {
    /* an upsert: two transactions starting the day together must not both insert */
    if (store_query_int(c, e, &n,
                        "INSERT INTO wo_number_seq (day, last) VALUES (?, 1) ON CONFLICT (day) DO UPDATE"
                        " SET last = wo_number_seq.last + 1 RETURNING last",
                        "s", key) != STORE_ROW)
      return -1;
  } else {
    /* SQLite has one writer, so read-then-write cannot race; RETURNING would cost it a
     * temporary table on every create */
    int q = store_query_int(c, e, &n, "SELECT last FROM wo_number_seq WHERE day = ?", "s", key);
    if (q < 0) return -1;
    n = q == STORE_ROW ? n + 1 : 1;
    if (store_run(c, e,
                  q == STORE_ROW ? "UPDATE wo_number_seq SET last = ? WHERE day = ?"
                                 : "INSERT INTO wo_number_seq (last, day) VALUES (?, ?)",
                  "is", n, key) != 1)
      return -1;
  }
  snprintf(out, 20, "WO%s%04" PRId64, key, n);
  return 0;
}

static const char *item_mode(store_conn *c, int64_t item, char buf[24], err *e) {
  buf[0] = '\0';
  if (!item) return NULL;
  store_stmt *st = store_query(c, e, "SELECT level, service_mode, active FROM catalog_items WHERE id = ?", "i", item);
  if (!st) return NULL;
  int rc = store_step(st, e);
  int ok = rc == STORE_ROW && strcmp(store_col_text(st, 0), "item") == 0 && store_col_int64(st, 2);
  if (ok) snprintf(buf, 24, "%s", store_col_text(st, 1) ? store_col_text(st, 1) : "");
  store_finish(st);
  if (!ok) {
    err_set(e, ERR_validation_failed, "catalog_item_id", "catalog_item_id must be an active catalogue item");
    return NULL;
  }
  return buf;
}

/* What a create decided before writing: checked references, the priority, the agreement
 * and the started SLA clocks. Worked out with reads only, outside the write transaction,
 * so that concurrent creates do not queue behind each other's validation. */
typedef struct wo_plan {
  int64_t customer, requester, item, provider, reported;
  const char *channel, *prio, *computed; /* static or inside the request body */
  json_t *set;                           /* sla_version_id, sla_source, calendar_id, provider_org_id */
  wo_clocks w;
  char number[20]; /* allocated before the write transaction (PostgreSQL), or "" */
} wo_plan;

static void plan_free(wo_plan *p) {
  json_decref(p->set);
  p->set = NULL;
}

static int plan_create(store_conn *c, const wo_actor *a, json_t *body, int trusted, wo_plan *pl, err *e) {
  memset(pl, 0, sizeof *pl);
  if (res_validate(&create_desc, body, 1, NULL, e) != 0) return -1;
  const principal *p = a->who;
  int64_t now = clock_now_ms();
  int customer_side = p && strcmp(p->party, "customer") == 0;
  /* the customer: a department user raises for its own organisation tree */
  int64_t customer = jint(body, "customer_org_id");
  if (!customer) {
    if (!customer_side) return err_set(e, ERR_validation_failed, "customer_org_id", "customer_org_id is required");
    customer = p->org_id;
  }
  int ok = org_party_is(c, customer, "customer", e);
  if (ok < 0) return -1;
  if (!ok) return err_set(e, ERR_validation_failed, "customer_org_id", "customer_org_id must be an active customer department");
  if (!trusted && customer_side && res_org_in_tree(c, p->org_id, customer, e) != 1)
    return err_set(e, ERR_forbidden, "customer_org_id", "you may raise work orders for your own department only");
  /* the requester: the department user, or a user of that department named by the desk */
  int64_t requester = jint(body, "requester_id");
  /* by default the department user raising it is the requester — when they belong to it
   * (a bureau's administrator raising for a sub-department names the requester or none) */
  if (!requester && customer_side && res_org_in_tree(c, customer, p->org_id, e) == 1) requester = p->user_id;
  if (requester) {
    int64_t rorg = 0;
    int q = store_query_int(c, e, &rorg, "SELECT org_id FROM users WHERE id = ? AND active = 1", "i", requester);
    if (q < 0) return -1;
    if (q == STORE_DONE || res_org_in_tree(c, customer, rorg, e) != 1)
      return err_set(e, ERR_validation_failed, "requester_id", "requester_id must be an active user of the customer department");
  }
  const char *channel = jstr(body, "channel") ? jstr(body, "channel") : "web";
  if (!trusted && !is_desk(a) && strcmp(channel, "web") != 0 && strcmp(channel, "api") != 0)
    return err_set(e, ERR_forbidden, "channel", "only the service desk records %s work orders", channel);
  /* a hotline call is recorded after the fact: not in the future, at most 24 h back */
  int64_t reported = now;
  if (json_object_get(body, "reported_at")) {
    if (!trusted && !is_desk(a))
      return err_set(e, ERR_forbidden, "reported_at", "only the service desk may record when a call came in");
    time_parse_rfc3339(jstr(body, "reported_at"), &reported);
    if (reported > now + 60000) return err_set(e, ERR_validation_failed, "reported_at", "reported_at is in the future");
    if (!trusted && reported < now - 24 * 3600 * 1000LL)
      return err_set(e, ERR_validation_failed, "reported_at", "reported_at may be at most 24 hours back");
  }
  char modebuf[24];
  int64_t item = jint(body, "catalog_item_id");
  const char *mode = item ? item_mode(c, item, modebuf, e) : NULL;
  if (item && !mode) return -1;
  /* priority from impact × urgency; an override needs a reason */
  const char *computed = wo_priority_matrix(jstr(body, "impact"), jstr(body, "urgency"));
  const char *prio = jstr(body, "priority") ? jstr(body, "priority") : computed;
  if (strcmp(prio, computed) != 0 && !jstr(body, "priority_reason"))
    return err_set(e, ERR_validation_failed, "priority_reason",
                   "the matrix gives %s; overriding it with %s needs a priority_reason", computed, prio);
  int64_t provider = jint(body, "provider_org_id");
  if (provider) {
    ok = org_party_is(c, provider, "service", e);
    if (ok < 0) return -1;
    if (!ok) return err_set(e, ERR_validation_failed, "provider_org_id", "provider_org_id must be an active provider");
  }
  pl->set = json_object();
  if (apply_sla(c, pl->set, customer, provider, item, prio, reported, mode, &pl->w, 0, e) < 0) return -1;
  if (provider) json_object_set_new(pl->set, "provider_org_id", json_integer(provider));
  pl->customer = customer;
  pl->requester = requester;
  pl->item = item;
  pl->provider = provider;
  pl->reported = reported;
  pl->channel = channel;
  pl->prio = prio;
  pl->computed = computed;
  return 0;
}

/* Writes a planned work order: number, row, clocks, first event, audit. */
static int insert_planned(store_conn *c, const wo_actor *a, const json_t *body, const wo_plan *pl, int64_t *id,
                          json_t **out, char **out_text, err *e) {
  int pg = store_conn_dialect(c) == STORE_POSTGRES;
  int64_t now = clock_now_ms();
  const json_t *set = pl->set;
  const char *prio = pl->prio, *computed = pl->computed;
  int rc = -1;
  char number[20];
  if (pl->number[0])
    memcpy(number, pl->number, sizeof number);
  else if (next_number(c, number, e) != 0)
    goto out;
  store_stmt *st = store_prepare(
      c,
      pg ? "INSERT INTO work_orders (number, type, channel, customer_org_id, requester_id, catalog_item_id, asset_id,"
           " impact, urgency, priority, priority_reason, title, description, state, provider_org_id, sla_version_id,"
           " sla_source, calendar_id, reported_at, backup_support, active, version, created_at, updated_at)"
           " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'new', ?, ?, ?, ?, ?, 0, 1, 1, ?, ?) RETURNING id"
         /* SQLite: the new rowid without RETURNING's temporary table */
         : "INSERT INTO work_orders (number, type, channel, customer_org_id, requester_id, catalog_item_id, asset_id,"
           " impact, urgency, priority, priority_reason, title, description, state, provider_org_id, sla_version_id,"
           " sla_source, calendar_id, reported_at, backup_support, active, version, created_at, updated_at)"
           " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'new', ?, ?, ?, ?, ?, 0, 1, 1, ?, ?)",
      e);
  if (!st) goto out;
  int i = 1;
  store_bind_text(st, i++, number);
  store_bind_text(st, i++, jstr(body, "type"));
  store_bind_text(st, i++, pl->channel);
  store_bind_int64(st, i++, pl->customer);
#define BIND_OPT_INT(v) (v ? store_bind_int64(st, i++, v) : store_bind_null(st, i++))
  BIND_OPT_INT(pl->requester);
  BIND_OPT_INT(pl->item);
  BIND_OPT_INT(jint(body, "asset_id"));
  store_bind_text(st, i++, jstr(body, "impact"));
  store_bind_text(st, i++, jstr(body, "urgency"));
  store_bind_text(st, i++, prio);
  store_bind_text(st, i++, strcmp(prio, computed) ? jstr(body, "priority_reason") : NULL);
  store_bind_text(st, i++, jstr(body, "title"));
  store_bind_text(st, i++, jstr(body, "description"));
  BIND_OPT_INT(jint(set, "provider_org_id"));
  BIND_OPT_INT(jint(set, "sla_version_id"));
  store_bind_text(st, i++, jstr(set, "sla_source"));
  BIND_OPT_INT(jint(set, "calendar_id"));
#undef BIND_OPT_INT
  store_bind_int64(st, i++, pl->reported);
  store_bind_int64(st, i++, now);
  store_bind_int64(st, i++, now);
  int s = store_step(st, e);
  if (s == STORE_ROW) *id = store_col_int64(st, 0);
  store_finish(st);
  if (s != (pg ? STORE_ROW : STORE_DONE)) goto out;
  if (!pg && store_query_int(c, e, id, "SELECT last_insert_rowid()", NULL) != STORE_ROW) goto out;
  if (clocks_save(c, *id, &pl->w, 1, e) != 0) goto out;
  if (add_event(c, a, *id, "action", "create", NULL, "new", jstr(body, "title"), 0, e) != 0) goto out;
  json_t *rec = NULL;
  if (load_json_with(c, *id, &pl->w, &rec, e) != 0) goto out;
  rc = audit_text(c, a, "create", *id, NULL, rec, out_text, e);
  if (rc == 0 && out)
    *out = rec;
  else
    json_decref(rec);
out:
  return rc;
}

int wo_create_core(store_conn *c, const wo_actor *a, json_t *body, int trusted, int64_t *id, json_t **out, err *e) {
  wo_plan pl;
  int rc = plan_create(c, a, body, trusted, &pl, e);
  if (rc == 0) rc = insert_planned(c, a, body, &pl, id, out, NULL, e);
  plan_free(&pl);
  return rc;
}

/* --- actions ---------------------------------------------------------------------- */

typedef struct action_ctx {
  store_conn *c;
  const wo_actor *a;
  const json_t *body;
  json_t *rec;  /* current record */
  json_t *set;  /* columns to change */
  wo_clocks w;
  cal_calendar cal;
  int have_cal;
  int64_t now;
} action_ctx;

static int require_text(const json_t *body, const char *k, int max, err *e) {
  const char *v = jstr(body, k);
  if (!v || !*v) return err_set(e, ERR_validation_failed, k, "%s is required", k);
  if ((int)strlen(v) > max * 3) return err_set(e, ERR_validation_failed, k, "%s is too long", k);
  return 0;
}

/* The engineer must be an active user with the engineer role in the provider's tree. */
static int check_assignee(store_conn *c, int64_t provider, int64_t uid, err *e) {
  store_stmt *st = store_query(c, e, "SELECT org_id, roles, active FROM users WHERE id = ?", "i", uid);
  if (!st) return -1;
  int rc = store_step(st, e);
  int64_t org = 0;
  int ok = 0;
  if (rc == STORE_ROW) {
    org = store_col_int64(st, 0);
    uint32_t roles = 0;
    rbac_parse_roles(store_col_text(st, 1), &roles, NULL, 0);
    ok = store_col_int64(st, 2) && (roles & ((1u << ROLE_engineer) | (1u << ROLE_provider_manager)));
  }
  store_finish(st);
  if (rc < 0) return -1;
  if (!ok || res_org_in_tree(c, provider, org, e) != 1)
    return err_set(e, ERR_validation_failed, "assignee_id", "assignee_id must be an active engineer of the provider");
  return 0;
}

static void stop_clock(action_ctx *x, int m) {
  if (x->have_cal && x->w.present[m]) slaclock_stop(&x->w.k[m], &x->cal, x->now);
}

static int do_action(action_ctx *x, const wo_action *act, err *e) {
  const char *name = act->name;
  const json_t *b = x->body;
  int64_t provider = jint(x->rec, "provider_org_id");
  if (!strcmp(name, "assign") || !strcmp(name, "transfer")) {
    int64_t np = jint(b, "provider_org_id");
    if (!strcmp(name, "transfer") && (!np || np == provider))
      return err_set(e, ERR_validation_failed, "provider_org_id", "transfer needs another provider_org_id");
    if (np && np != provider) {
      int ok = org_party_is(x->c, np, "service", e);
      if (ok < 0) return -1;
      if (!ok) return err_set(e, ERR_validation_failed, "provider_org_id", "provider_org_id must be an active provider");
      if (x->a->who && !has_role(x->a, ROLE_manager) && res_org_in_tree(x->c, np, x->a->who->org_id, e) != 1)
        return err_set(e, ERR_forbidden, "provider_org_id", "a provider's service desk assigns to its own provider only");
      json_object_set_new(x->set, "provider_org_id", json_integer(np));
      json_object_set_new(x->set, "assignee_id", json_null());
      /* a new provider may mean a new agreement: re-target, keeping the time spent */
      char modebuf[24];
      const char *mode = item_mode(x->c, jint(x->rec, "catalog_item_id"), modebuf, e);
      int64_t reported = 0;
      time_parse_rfc3339(jstr(x->rec, "reported_at"), &reported);
      int r = apply_sla(x->c, x->set, jint(x->rec, "customer_org_id"), np, jint(x->rec, "catalog_item_id"),
                        jstr(x->rec, "priority"), reported, mode, &x->w, 1, e);
      if (r < 0) return -1;
      provider = np;
    }
    if (!provider) return err_set(e, ERR_validation_failed, "provider_org_id", "name the provider to assign to");
    int64_t who = jint(b, "assignee_id");
    if (who) {
      if (check_assignee(x->c, provider, who, e) != 0) return -1;
      json_object_set_new(x->set, "assignee_id", json_integer(who));
    }
  } else if (!strcmp(name, "accept")) {
    int64_t assignee = jint(x->rec, "assignee_id");
    if (x->a->who && has_role(x->a, ROLE_engineer) && !has_role(x->a, ROLE_provider_manager) && assignee &&
        assignee != x->a->who->user_id && !has_role(x->a, ROLE_service_desk))
      return err_set(e, ERR_forbidden, NULL, "this work order is assigned to another engineer");
    if (!assignee && x->a->who && has_role(x->a, ROLE_engineer))
      json_object_set_new(x->set, "assignee_id", json_integer(x->a->who->user_id));
    stop_clock(x, M_RESPONSE);
  } else if (!strcmp(name, "arrive")) {
    stop_clock(x, M_ARRIVAL);
  } else if (!strcmp(name, "pend")) {
    const char *reason = jstr(b, "reason");
    if (!reason || (strcmp(reason, "customer") && strcmp(reason, "vendor") && strcmp(reason, "parts")))
      return err_set(e, ERR_validation_failed, "reason", "reason must be customer, vendor or parts");
    json_object_set_new(x->set, "pending_reason", json_string(reason));
    /* only waiting for the customer stops the resolution clock */
    if (!strcmp(reason, "customer") && x->have_cal && x->w.present[M_RESOLUTION])
      slaclock_pause(&x->w.k[M_RESOLUTION], &x->cal, x->now);
  } else if (!strcmp(name, "resume")) {
    json_object_set_new(x->set, "pending_reason", json_null());
    if (x->have_cal && x->w.present[M_RESOLUTION] && !x->w.k[M_RESOLUTION].started_at)
      slaclock_resume(&x->w.k[M_RESOLUTION], &x->cal, x->now);
  } else if (!strcmp(name, "resolve")) {
    if (require_text(b, "resolution", 2000, e) != 0) return -1;
    json_object_set_new(x->set, "resolution", json_string(jstr(b, "resolution")));
    json_object_set_new(x->set, "resolved_at", json_integer(x->now));
    for (int m = 0; m < 3; m++) stop_clock(x, m);
  } else if (!strcmp(name, "confirm")) {
    json_t *rating = json_object_get(b, "rating");
    if (rating && (!json_is_integer(rating) || json_integer_value(rating) < 1 || json_integer_value(rating) > 5))
      return err_set(e, ERR_validation_failed, "rating", "rating must be an integer from 1 to 5");
    const char *comment = jstr(b, "comment");
    if (comment && strlen(comment) > 1500) return err_set(e, ERR_validation_failed, "comment", "comment is too long");
    if (rating) json_object_set_new(x->set, "rating", json_integer(json_integer_value(rating)));
    if (comment) json_object_set_new(x->set, "rating_comment", json_string(comment));
    json_object_set_new(x->set, "closed_at", json_integer(x->now));
  } else if (!strcmp(name, "reject")) {
    if (require_text(b, "reason", 500, e) != 0) return -1;
    json_object_set_new(x->set, "resolved_at", json_null());
    if (x->have_cal && x->w.present[M_RESOLUTION]) slaclock_resume(&x->w.k[M_RESOLUTION], &x->cal, x->now);
  } else if (!strcmp(name, "cancel")) {
    if (require_text(b, "reason", 500, e) != 0) return -1;
    for (int m = 0; m < 3; m++) stop_clock(x, m);
    json_object_set_new(x->set, "closed_at", json_integer(x->now));
  } else if (!strcmp(name, "reassign")) {
    int64_t who = jint(b, "assignee_id");
    if (!who) return err_set(e, ERR_validation_failed, "assignee_id", "assignee_id is required");
    if (check_assignee(x->c, provider, who, e) != 0) return -1;
    json_object_set_new(x->set, "assignee_id", json_integer(who));
  } else if (!strcmp(name, "escalate")) {
    if (require_text(b, "note", 500, e) != 0) return -1;
    json_object_set_new(x->set, "backup_support", json_integer(1));
  } else if (!strcmp(name, "set_priority")) {
    const char *p = jstr(b, "priority");
    if (!p || strlen(p) != 2 || p[0] != 'P' || p[1] < '1' || p[1] > '4')
      return err_set(e, ERR_validation_failed, "priority", "priority must be P1, P2, P3 or P4");
    if (!strcmp(p, jstr(x->rec, "priority")))
      return err_set(e, ERR_validation_failed, "priority", "the work order already has priority %s", p);
    if (require_text(b, "reason", 500, e) != 0) return -1;
    json_object_set_new(x->set, "priority", json_string(p));
    json_object_set_new(x->set, "priority_reason", json_string(jstr(b, "reason")));
    if (provider) {
      char modebuf[24];
      const char *mode = item_mode(x->c, jint(x->rec, "catalog_item_id"), modebuf, e);
      int64_t reported = 0;
      time_parse_rfc3339(jstr(x->rec, "reported_at"), &reported);
      if (apply_sla(x->c, x->set, jint(x->rec, "customer_org_id"), provider, jint(x->rec, "catalog_item_id"), p,
                    reported, mode, &x->w, 1, e) < 0)
        return -1;
    }
  }
  return 0;
}

/* Keys each action's body may carry besides "action" and "note". */
static int check_keys(const char *action, const json_t *body, err *e) {
  static const struct {
    const char *action;
    const char *keys[3];
  } allowed[] = {
      {"assign", {"provider_org_id", "assignee_id", NULL}}, {"transfer", {"provider_org_id", NULL, NULL}},
      {"pend", {"reason", NULL, NULL}},                      {"resolve", {"resolution", NULL, NULL}},
      {"confirm", {"rating", "comment", NULL}},              {"reject", {"reason", NULL, NULL}},
      {"cancel", {"reason", NULL, NULL}},                    {"reassign", {"assignee_id", NULL, NULL}},
      {"set_priority", {"priority", "reason", NULL}},
  };
  const char *k;
  json_t *v;
  json_object_foreach((json_t *)body, k, v) {
    if (!strcmp(k, "action") || !strcmp(k, "note")) {
      if (!json_is_string(v)) return err_set(e, ERR_validation_failed, k, "%s must be a string", k);
      if (strlen(json_string_value(v)) > 1500) return err_set(e, ERR_validation_failed, k, "%s is too long", k);
      continue;
    }
    int ok = 0;
    for (size_t i = 0; i < sizeof allowed / sizeof allowed[0]; i++)
      if (!strcmp(allowed[i].action, action))
        for (int j = 0; j < 3 && allowed[i].keys[j]; j++) ok |= !strcmp(allowed[i].keys[j], k);
    if (!ok) return err_set(e, ERR_unknown_field, k, "%s takes no field '%s'", action, k);
    int want_int = !strcmp(k, "provider_org_id") || !strcmp(k, "assignee_id") || !strcmp(k, "rating");
    if (want_int ? !json_is_integer(v) : !json_is_string(v))
      return err_set(e, ERR_validation_failed, k, "%s must be %s", k, want_int ? "an integer" : "a string");
  }
  return 0;
}

/* Is the actor on the side the action belongs to? */
static int side_ok(action_ctx *x, const wo_action *act, err *e) {
  const wo_actor *a = x->a;
  if (!a->who || has_role(a, ROLE_manager)) return 1;
  int64_t provider = jint(x->rec, "provider_org_id");
  int64_t customer = jint(x->rec, "customer_org_id");
  int customer_user = strcmp(a->who->party, "customer") == 0;
  switch (act->side) {
    case SIDE_CUSTOMER:
      return customer_user && res_org_in_tree(x->c, a->who->org_id, customer, e) == 1;
    case SIDE_CUSTOMER_OR_DESK:
      if (customer_user) return res_org_in_tree(x->c, a->who->org_id, customer, e) == 1;
      /* a desk user: the desk side */
      return !provider || res_org_in_tree(x->c, provider, a->who->org_id, e) == 1;
    case SIDE_DESK:
      /* a provider's desk may pick up unassigned orders (for its own provider) */
      return !provider || res_org_in_tree(x->c, provider, a->who->org_id, e) == 1;
    case SIDE_PROVIDER:
      return provider && res_org_in_tree(x->c, provider, a->who->org_id, e) == 1;
  }
  return 0;
}

int wo_apply(store_conn *c, const wo_actor *a, int64_t id, const json_t *body, int trusted, json_t **out, err *e) {
  const char *name = jstr(body, "action");
  if (!name) return err_set(e, ERR_validation_failed, "action", "action is required");
  const wo_action *act = wo_action_find(name);
  if (!act) return err_set(e, ERR_validation_failed, "action", "unknown action '%s'", name);
  if (check_keys(name, body, e) != 0) return -1;
  if (!trusted && !(a->who->roles & act->roles))
    return err_set(e, ERR_forbidden, "action", "your roles do not allow '%s'", name);
  action_ctx x;
  memset(&x, 0, sizeof x);
  x.c = c;
  x.a = a;
  x.body = body;
  x.now = clock_now_ms();
  x.set = json_object();
  json_t *after = NULL, *db = NULL, *da = NULL;
  int rc = -1;
  if (wo_load_json(c, id, &x.rec, e) != 0) goto out;
  if (!trusted && side_ok(&x, act, e) != 1) {
    err_set(e, ERR_forbidden, "action", "'%s' belongs to the %s of this work order", name,
            act->side == SIDE_CUSTOMER ? "customer" : "assigned provider or service desk");
    goto out;
  }
  int from = wo_state_from_name(jstr(x.rec, "state"));
  if (!(act->from & (1u << from))) {
    err_set(e, ERR_invalid_transition, "action", "cannot %s a work order that is %s (%s)", name, wo_state_name(from),
            wo_state_label(from));
    goto out;
  }
  if (clocks_load(c, id, &x.w, e) != 0) goto out;
  x.have_cal = with_calendar(c, x.rec, &x.cal, e);
  if (x.have_cal < 0) goto out;
  if (do_action(&x, act, e) != 0) goto out;
  int to = act->to == WO_SAME ? from : act->to;
  json_object_set_new(x.set, "state", json_string(wo_state_name(to)));
  /* one UPDATE of the changed columns, guarded by the version read above */
  strbuf sql;
  sb_init(&sql);
  sb_adds(&sql, "UPDATE work_orders SET version = version + 1, updated_at = ?");
  const char *k;
  json_t *v;
  json_object_foreach(x.set, k, v) sb_addf(&sql, ", %s = ?", k);
  sb_adds(&sql, " WHERE id = ? AND version = ?");
  store_stmt *st = store_prepare(c, sql.buf, e);
  sb_release(&sql);
  if (!st) goto out;
  int i = 1;
  store_bind_int64(st, i++, x.now);
  json_object_foreach(x.set, k, v) {
    if (json_is_integer(v))
      store_bind_int64(st, i++, json_integer_value(v));
    else if (json_is_string(v))
      store_bind_text(st, i++, json_string_value(v));
    else
      store_bind_null(st, i++);
  }
  store_bind_int64(st, i++, id);
  store_bind_int64(st, i++, jint(x.rec, "version"));
  int s = store_step(st, e);
  int64_t changed = s == STORE_DONE ? store_changes(st) : 0;
  store_finish(st);
  if (s != STORE_DONE) goto out;
  if (changed != 1) {
    err_set(e, ERR_version_conflict, NULL, "work order %" PRId64 " changed meanwhile; reload it and try again", id);
    goto out;
  }
  if (clocks_save(c, id, &x.w, 0, e) != 0) goto out;
  const char *note = jstr(body, "note") ? jstr(body, "note")
                     : jstr(body, "reason")  ? jstr(body, "reason")
                     : jstr(body, "resolution") ? jstr(body, "resolution") : jstr(body, "comment");
  if (add_event(c, a, id, "action", name, wo_state_name(from), wo_state_name(to), note, 0, e) != 0) goto out;
  if (wo_load_json(c, id, &after, e) != 0) goto out;
  json_object_del(x.rec, "clocks");
  json_t *ac = json_deep_copy(after);
  json_object_del(ac, "clocks");
  audit_diff(x.rec, ac, &db, &da);
  json_decref(ac);
  rc = audit(c, a, name, id, db, da, e);
  if (rc == 0 && out) {
    *out = after;
    after = NULL;
  }
out:
  if (x.have_cal > 0) caldoc_free(&x.cal);
  json_decref(x.rec);
  json_decref(x.set);
  json_decref(after);
  json_decref(db);
  json_decref(da);
  return rc;
}

/* --- handlers --------------------------------------------------------------------- */

static wo_actor actor_of(req *r) {
  wo_actor a = {.who = &r->who, .name = r->who.username, .ip = r->ip, .request_id = r->request_id};
  return a;
}

/* The write half of a create, for store_write: it may run on the thread that holds the
 * SQLite writer rather than the request's own (the request waits meanwhile). */
typedef struct create_job {
  req *r;
  const wo_actor *a;
  const json_t *body;
  const wo_plan *pl;
  const char *idem;
  int replayed; /* the Idempotency-Key was seen inside the transaction: r holds the answer */
  int64_t id;
  json_t *rec;
  char *text;
} create_job;

static int create_write(store_conn *c, void *arg, err *e) {
  create_job *j = arg;
  /* the key is checked again inside the transaction for two copies racing each other */
  if (j->idem) {
    int seen = req_idempotent_replay(j->r, c, j->idem, e);
    if (seen < 0) return -1;
    if (seen) {
      j->replayed = 1;
      return 0;
    }
  }
  if (insert_planned(c, j->a, j->body, j->pl, &j->id, &j->rec, &j->text, e) != 0) return -1;
  if (j->idem && req_idempotent_record(j->r, c, j->idem, 201, j->rec, e) != 0) return -1;
  return 0;
}

void wo_create(req *r) {
  if (!req_require(r, "work_order", "create")) return;
  const char *idem = req_idempotency_key(r);
  if (idem && !*idem) return;
  json_t *body = req_json_body(r);
  if (!body) return;
  err e;
  err_clear(&e);
  wo_actor a = actor_of(r);
  wo_plan pl;
  memset(&pl, 0, sizeof pl);
  create_job job = {.r = r, .a = &a, .body = body, .pl = &pl, .idem = idem};
  store_conn *c = req_conn(r);
  if (!c) goto done;
  /* A repeated request is answered as before, even if it would no longer validate. */
  if (idem) {
    int seen = req_idempotent_replay(r, c, idem, &e);
    if (seen < 0) goto fail;
    if (seen) goto done;
  }
  /* reads and validation first, outside the write transaction; then the writes alone */
  if (plan_create(c, &a, body, 0, &pl, &e) != 0) goto fail;
  /* PostgreSQL: the number in its own short transaction. Inside the create's, the day's
   * counter row would stay locked until its COMMIT and every concurrent create would wait
   * for the whole of the one before it (346/s at c=32 against 535/s at c=1). A create that
   * fails after this leaves a gap in the day's numbers, as a sequence would. On SQLite the
   * one writer serialises the transactions anyway and numbers stay gapless. */
  if (store_conn_dialect(c) == STORE_POSTGRES && next_number(c, pl.number, &e) != 0) goto fail;
  if (store_write(c, create_write, &job, &e) != 0) goto fail;
  if (job.replayed) goto done;
  char loc[64];
  snprintf(loc, sizeof loc, "/api/v1/work-orders/%" PRId64, job.id);
  req_add_header(r, "Location", loc);
  req_etag(r, job.rec);
  /* the answer is the record exactly as the audit trail stored it: serialised once */
  req_reply_json_text(r, 201, job.text);
  job.text = NULL;
  goto done;
fail:
  req_reply_err(r, &e);
done:
  req_conn_done(r, c);
  plan_free(&pl);
  json_decref(job.rec);
  free(job.text);
  json_decref(body);
}

void wo_get(req *r) {
  int64_t id = req_param_id(r, "id");
  if (!id) return;
  store_conn *c = req_conn(r);
  if (!c) return;
  json_t *rec = wo_load_scoped(r, c, id, "read");
  req_conn_done(r, c);
  if (!rec) return;
  req_etag(r, rec);
  req_reply(r, 200, rec);
}

void wo_list(req *r) {
  data_scope scope = req_require(r, "work_order", "read");
  if (!scope) return;
  err e;
  err_clear(&e);
  static const char *const extra[] = {"breached", "due_within", NULL};
  res_list_query q;
  res_init_list_query(&q);
  res_query_parser p = {.d = &wo_desc, .q = &q, .e = &e, .extra_ok = extra};
  req_each_query(r, res_query_visit, &p);
  if (p.failed) {
    req_reply_err(r, &e);
    return;
  }
  int64_t now = clock_now_ms();
  const char *breached = req_query(r, "breached");
  const char *within = req_query(r, "due_within");
  if (breached && within) {
    req_reply_error(r, ERR_bad_request, "due_within", "use breached or due_within, not both");
    return;
  }
  if (breached) {
    if (strcmp(breached, "true") != 0) {
      req_reply_error(r, ERR_bad_request, "breached", "breached takes the value true");
      return;
    }
    q.extra_sql = "EXISTS (SELECT 1 FROM wo_clocks k WHERE k.work_order_id = work_orders.id AND"
                  " (k.breached = 1 OR (k.started_at > 0 AND k.due_at < ?)))";
    q.extra_binds[0] = now;
    q.nextra_binds = 1;
  } else if (within) {
    char *end;
    long mins = strtol(within, &end, 10);
    if (!*within || *end || mins < 1 || mins > 100000) {
      req_reply_error(r, ERR_bad_request, "due_within", "due_within is a number of minutes (1 to 100000)");
      return;
    }
    q.extra_sql = "EXISTS (SELECT 1 FROM wo_clocks k WHERE k.work_order_id = work_orders.id AND k.started_at > 0"
                  " AND k.due_at >= ? AND k.due_at <= ?)";
    q.extra_binds[0] = now;
    q.extra_binds[1] = now + mins * 60000;
    q.nextra_binds = 2;
  }
  store_conn *c = req_conn(r);
  if (!c) return;
  if (scope == SCOPE_OWN_ORG_TREE) {
    int service = strcmp(r->who.party, "service") == 0;
    q.scope_org = service ? res_org_root(c, r->who.org_id, &e) : r->who.org_id;
    q.scope_column = service ? "provider_org_id" : "customer_org_id";
    if (q.scope_org < 0) {
      req_conn_done(r, c);
      req_reply_err(r, &e);
      return;
    }
  }
  json_t *out = NULL;
  if (res_list(c, &wo_desc, &q, &out, &e) != 0) {
    req_conn_done(r, c);
    req_reply_err(r, &e);
    return;
  }
  size_t i;
  json_t *it;
  /* a page rarely spans more than a couple of calendars: load each once */
  int64_t cal_ids[4] = {0};
  cal_calendar cals[4];
  int ncal = 0;
  json_array_foreach(json_object_get(out, "items"), i, it) {
    wo_clocks w;
    if (clocks_load(c, jint(it, "id"), &w, &e) != 0) break;
    const cal_calendar *cal = NULL;
    int64_t cid = jint(it, "calendar_id");
    for (int k = 0; k < ncal && cid; k++)
      if (cal_ids[k] == cid) cal = &cals[k];
    if (!cal && cid && ncal < 4) {
      memset(&cals[ncal], 0, sizeof cals[ncal]);
      if (calendars_load(c, cid, &cals[ncal], &e) == 0) {
        cal_ids[ncal] = cid;
        cal = &cals[ncal++];
      }
    }
    json_object_set_new(it, "clocks", clocks_json(&w, cal, now));
    json_object_set_new(it, "state_label", json_string(wo_state_label(wo_state_from_name(jstr(it, "state")))));
  }
  for (int k = 0; k < ncal; k++) caldoc_free(&cals[k]);
  req_conn_done(r, c);
  req_reply(r, 200, out);
}

void wo_action_h(req *r) {
  if (!req_require(r, "work_order", "read")) return;
  int64_t id = req_param_id(r, "id");
  if (!id) return;
  int64_t version = 0;
  if (req_header(r, "If-Match") && !(version = req_if_match(r))) return;
  json_t *body = req_json_body(r);
  if (!body) return;
  err e;
  err_clear(&e);
  json_t *rec = NULL;
  wo_actor a = actor_of(r);
  store_conn *c = req_conn(r);
  if (!c) goto done;
  if (store_begin(c, STORE_WRITE, &e) != 0) goto fail;
  if (!(rec = wo_load_scoped(r, c, id, "read"))) goto done;
  if (version && jint(rec, "version") != version) {
    err_set(&e, ERR_version_conflict, "If-Match", "work order %" PRId64 " is at version %" PRId64 ", not %" PRId64, id,
            jint(rec, "version"), version);
    goto fail;
  }
  json_decref(rec);
  rec = NULL;
  if (wo_apply(c, &a, id, body, 0, &rec, &e) != 0 || store_commit(c, &e) != 0) goto fail;
  req_etag(r, rec);
  req_reply(r, 200, rec);
  rec = NULL;
  goto done;
fail:
  req_reply_err(r, &e);
done:
  if (c) store_rollback(c);
  req_conn_done(r, c);
  json_decref(rec);
  json_decref(body);
}

/* Comments and work logs: anyone who may see the order (the auditor may not). */
static void add_note(req *r, int worklog) {
  if (!req_require(r, "work_order", "comment")) return;
  int64_t id = req_param_id(r, "id");
  if (!id) return;
  json_t *body = req_json_body(r);
  if (!body) return;
  err e;
  err_clear(&e);
  json_t *rec = NULL;
  wo_actor a = actor_of(r);
  store_conn *c = NULL;
  const char *k;
  json_t *v;
  json_object_foreach(body, k, v) {
    if (strcmp(k, "body") && (!worklog || strcmp(k, "minutes"))) {
      err_set(&e, ERR_unknown_field, k, "unknown field '%s'", k);
      goto fail;
    }
  }
  if (require_text(body, "body", 5000, &e) != 0) goto fail;
  json_t *mins = json_object_get(body, "minutes");
  if (worklog && (!json_is_integer(mins) || json_integer_value(mins) < 1 || json_integer_value(mins) > 24 * 60)) {
    err_set(&e, ERR_validation_failed, "minutes", "minutes (time spent) must be an integer from 1 to 1440");
    goto fail;
  }
  if (!(c = req_conn(r))) goto done;
  if (store_begin(c, STORE_WRITE, &e) != 0) goto fail;
  if (!(rec = wo_load_scoped(r, c, id, "comment"))) goto done;
  if (add_event(c, &a, id, worklog ? "worklog" : "comment", NULL, NULL, NULL, jstr(body, "body"),
                worklog ? json_integer_value(mins) : 0, &e) != 0)
    goto fail;
  json_t *after = json_pack("{s:s}", "body", jstr(body, "body"));
  if (worklog) json_object_set(after, "minutes", mins);
  int arc = audit(c, &a, worklog ? "worklog" : "comment", id, NULL, after, &e);
  json_decref(after);
  if (arc != 0 || store_commit(c, &e) != 0) goto fail;
  req_reply(r, 201, json_pack("{s:I, s:s, s:s}", "work_order_id", (json_int_t)id, "kind", worklog ? "worklog" : "comment",
                              "body", jstr(body, "body")));
  goto done;
fail:
  req_reply_err(r, &e);
done:
  if (c) store_rollback(c);
  req_conn_done(r, c);
  json_decref(rec);
  json_decref(body);
}

void wo_comment(req *r) { add_note(r, 0); }
void wo_worklog(req *r) { add_note(r, 1); }

void wo_events(req *r) {
  int64_t id = req_param_id(r, "id");
  if (!id) return;
  store_conn *c = req_conn(r);
  if (!c) return;
  json_t *rec = wo_load_scoped(r, c, id, "read");
  if (!rec) {
    req_conn_done(r, c);
    return;
  }
  json_decref(rec);
  err e;
  err_clear(&e);
  store_stmt *st = store_query(c, &e,
                               "SELECT id, at, actor_name, kind, action, from_state, to_state, body, minutes FROM wo_events"
                               " WHERE work_order_id = ? ORDER BY id",
                               "i", id);
  json_t *items = json_array();
  int rc = -1;
  while (st && (rc = store_step(st, &e)) == STORE_ROW) {
    char at[40];
    time_format_rfc3339(store_col_int64(st, 1), at);
    json_t *ev = json_pack("{s:I, s:s, s:s, s:s}", "id", (json_int_t)store_col_int64(st, 0), "at", at, "actor",
                           store_col_text(st, 2), "kind", store_col_text(st, 3));
    static const char *const cols[] = {NULL, NULL, NULL, NULL, "action", "from_state", "to_state", "body"};
    for (int i = 4; i <= 7; i++)
      json_object_set_new(ev, cols[i], store_col_text(st, i) ? json_string(store_col_text(st, i)) : json_null());
    json_object_set_new(ev, "minutes",
                        store_col_type(st, 8) == SCOL_NULL ? json_null() : json_integer(store_col_int64(st, 8)));
    json_array_append_new(items, ev);
  }
  store_finish(st);
  req_conn_done(r, c);
  if (rc < 0) {
    json_decref(items);
    req_reply_err(r, &e);
    return;
  }
  req_reply(r, 200, json_pack("{s:o, s:n}", "items", items, "next_cursor"));
}

void wo_callback(req *r) {
  if (!req_require(r, "work_order", "callback")) return;
  int64_t id = req_param_id(r, "id");
  if (!id) return;
  json_t *body = req_json_body(r);
  if (!body) return;
  err e;
  err_clear(&e);
  json_t *rec = NULL;
  wo_actor a = actor_of(r);
  store_conn *c = NULL;
  const char *k;
  json_t *v;
  json_object_foreach(body, k, v) {
    if (strcmp(k, "reached") && strcmp(k, "satisfied") && strcmp(k, "note")) {
      err_set(&e, ERR_unknown_field, k, "unknown field '%s'", k);
      goto fail;
    }
  }
  json_t *reached = json_object_get(body, "reached"), *sat = json_object_get(body, "satisfied");
  if (!json_is_boolean(reached)) {
    err_set(&e, ERR_validation_failed, "reached", "reached (was the customer reached) must be true or false");
    goto fail;
  }
  if (sat && !json_is_boolean(sat) && !json_is_null(sat)) {
    err_set(&e, ERR_validation_failed, "satisfied", "satisfied must be true, false or null");
    goto fail;
  }
  if (json_is_false(reached) && json_is_boolean(sat)) {
    err_set(&e, ERR_validation_failed, "satisfied", "a customer who was not reached cannot be satisfied or not");
    goto fail;
  }
  const char *note = jstr(body, "note");
  if (note && strlen(note) > 3000) {
    err_set(&e, ERR_validation_failed, "note", "note is too long");
    goto fail;
  }
  if (!(c = req_conn(r))) goto done;
  if (store_begin(c, STORE_WRITE, &e) != 0) goto fail;
  if (!(rec = wo_load_scoped(r, c, id, "read"))) goto done;
  if (strcmp(jstr(rec, "state"), "closed") != 0) {
    err_set(&e, ERR_invalid_transition, NULL, "callbacks are made on closed work orders");
    goto fail;
  }
  store_stmt *st = store_prepare(
      c, "INSERT INTO wo_callbacks (work_order_id, at, caller_id, reached, satisfied, note) VALUES (?, ?, ?, ?, ?, ?)", &e);
  if (!st) goto fail;
  store_bind_int64(st, 1, id);
  store_bind_int64(st, 2, clock_now_ms());
  store_bind_int64(st, 3, r->who.user_id);
  store_bind_int64(st, 4, json_is_true(reached));
  if (json_is_boolean(sat))
    store_bind_int64(st, 5, json_is_true(sat));
  else
    store_bind_null(st, 5);
  store_bind_text(st, 6, note);
  int s = store_step(st, &e);
  store_finish(st);
  if (s != STORE_DONE) goto fail;
  if (add_event(c, &a, id, "comment", "callback", NULL, NULL, note ? note : "回访", 0, &e) != 0 ||
      audit(c, &a, "callback", id, NULL, body, &e) != 0 || store_commit(c, &e) != 0)
    goto fail;
  req_reply(r, 201, json_pack("{s:I, s:O, s:O}", "work_order_id", (json_int_t)id, "reached", reached, "satisfied",
                              sat ? sat : json_null()));
  goto done;
fail:
  req_reply_err(r, &e);
done:
  if (c) store_rollback(c);
  req_conn_done(r, c);
  json_decref(rec);
  json_decref(body);
}

/* A reproducible 10 % sample of the orders closed in [from, to): the service desk calls
 * them back (回访). Orders already called back are marked. */
void wo_callback_sample(req *r) {
  data_scope scope = req_require(r, "work_order", "callback");
  if (!scope) return;
  const char *from_s = req_query(r, "from"), *to_s = req_query(r, "to");
  int64_t from, to;
  if (!from_s || time_parse_rfc3339(from_s, &from) != 0) {
    req_reply_error(r, ERR_bad_request, "from", "from must be an RFC 3339 time");
    return;
  }
  if (!to_s || time_parse_rfc3339(to_s, &to) != 0 || to <= from) {
    req_reply_error(r, ERR_bad_request, "to", "to must be an RFC 3339 time after from");
    return;
  }
  err e;
  err_clear(&e);
  store_conn *c = req_conn(r);
  if (!c) return;
  /* a provider's desk samples its own company's orders; management all */
  int64_t root = scope == SCOPE_ALL ? 0 : res_org_root(c, r->who.org_id, &e);
  store_stmt *st = store_query(c, &e,
                               "SELECT w.id, w.number, w.customer_org_id, w.rating,"
                               " (SELECT COUNT(*) FROM wo_callbacks b WHERE b.work_order_id = w.id)"
                               " FROM work_orders w WHERE w.state = 'closed' AND w.closed_at >= ? AND w.closed_at < ?"
                               " AND (? = 0 OR w.provider_org_id IN (WITH RECURSIVE t(id) AS (SELECT CAST(? AS BIGINT)"
                               " UNION ALL SELECT o.id FROM orgs o JOIN t ON o.parent_id = t.id) SELECT id FROM t))"
                               " ORDER BY w.id",
                               "iiii", from, to, root, root);
  json_t *items = json_array();
  int rc = -1;
  while (st && (rc = store_step(st, &e)) == STORE_ROW) {
    uint64_t h = (uint64_t)store_col_int64(st, 0) * 11400714819323198485ull;
    if ((h >> 32) % 10 != 0) continue;
    json_array_append_new(items, json_pack("{s:I, s:s, s:I, s:o, s:b}", "id", (json_int_t)store_col_int64(st, 0),
                                           "number", store_col_text(st, 1), "customer_org_id",
                                           (json_int_t)store_col_int64(st, 2), "rating",
                                           store_col_type(st, 3) == SCOL_NULL ? json_null()
                                                                              : json_integer(store_col_int64(st, 3)),
                                           "called_back", store_col_int64(st, 4) > 0));
  }
  store_finish(st);
  req_conn_done(r, c);
  if (rc < 0) {
    json_decref(items);
    req_reply_err(r, &e);
    return;
  }
  req_reply(r, 200, json_pack("{s:o, s:n}", "items", items, "next_cursor"));
}
