/* achievement.c — counting clocks met / breached / running per group, and the monthly
 * self-assessment report a provider hands in (JSON, and an .xlsx that Excel and
 * LibreOffice open, written with libxlsxwriter). */
#include "modules/workorders/achievement.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <xlsxwriter.h>

#include "core/clock.h"
#include "core/strbuf.h"
#include "modules/calendar/calmath.h"
#include "resource/resource.h"

/* A clock is met when stopped within target; breached when stopped late, or running past
 * its deadline, or paused beyond its budget; running otherwise. Cancelled orders do not count. */
static const char counts_sql[] =
    "COUNT(*), SUM(CASE WHEN k.stopped_at > 0 AND k.breached = 0 THEN 1 ELSE 0 END),"
    " SUM(CASE WHEN k.breached = 1 OR (k.stopped_at = 0 AND k.started_at > 0 AND k.due_at < ?)"
    " OR (k.stopped_at = 0 AND k.started_at = 0 AND k.spent_ms > k.target_ms) THEN 1 ELSE 0 END)";

typedef struct group_def {
  const char *name, *key_sql, *label_sql;
} group_def;

static const group_def groups[] = {
    {"provider", "w.provider_org_id", "(SELECT name FROM orgs WHERE id = w.provider_org_id)"},
    {"customer", "w.customer_org_id", "(SELECT name FROM orgs WHERE id = w.customer_org_id)"},
    {"priority", "w.priority", "w.priority"},
    {"catalog_item", "w.catalog_item_id", "(SELECT name FROM catalog_items WHERE id = w.catalog_item_id)"},
    {"metric", "k.metric", "k.metric"},
};

typedef struct scope_filter {
  const char *column; /* NULL: everything */
  int64_t org;
} scope_filter;

static scope_filter scope_for(req *r, store_conn *c, data_scope s) {
  scope_filter f = {NULL, 0};
  if (s == SCOPE_OWN_ORG_TREE) {
    int service = strcmp(r->who.party, "service") == 0;
    f.column = service ? "w.provider_org_id" : "w.customer_org_id";
    f.org = service ? res_org_root(c, r->who.org_id, NULL) : r->who.org_id;
  }
  return f;
}

/* Runs the grouped count; rows {key, label, total, met, breached, running, rate}. */
static int achievement(store_conn *c, const group_def *g, int64_t from, int64_t to, int64_t provider,
                       scope_filter sf, json_t **out, err *e) {
  strbuf sql;
  sb_init(&sql);
  sb_addf(&sql, "SELECT %s, %s, %s FROM wo_clocks k JOIN work_orders w ON w.id = k.work_order_id"
                " WHERE w.reported_at >= ? AND w.reported_at < ? AND w.state <> 'cancelled'",
          g->key_sql, g->label_sql, counts_sql);
  if (provider) sb_adds(&sql, " AND w.provider_org_id = ?");
  if (sf.column)
    sb_addf(&sql, " AND %s IN (WITH RECURSIVE t(id) AS (SELECT CAST(? AS BIGINT) UNION ALL"
                  " SELECT o.id FROM orgs o JOIN t ON o.parent_id = t.id) SELECT id FROM t)", sf.column);
  sb_addf(&sql, " GROUP BY %s, %s ORDER BY %s", g->key_sql, g->label_sql, g->key_sql);
  store_stmt *st = store_prepare(c, sql.buf, e);
  sb_release(&sql);
  if (!st) return -1;
  int i = 1;
  store_bind_int64(st, i++, clock_now_ms());
  store_bind_int64(st, i++, from);
  store_bind_int64(st, i++, to);
  if (provider) store_bind_int64(st, i++, provider);
  if (sf.column) store_bind_int64(st, i++, sf.org);
  json_t *rows = json_array();
  int rc;
  while ((rc = store_step(st, e)) == STORE_ROW) {
    int64_t total = store_col_int64(st, 2), met = store_col_int64(st, 3), breached = store_col_int64(st, 4);
    json_t *key = store_col_type(st, 0) == SCOL_NULL ? json_null()
                  : store_col_type(st, 0) == SCOL_INT ? json_integer(store_col_int64(st, 0))
                                                       : json_string(store_col_text(st, 0));
    json_t *label = store_col_type(st, 1) == SCOL_NULL ? json_null() : json_string(store_col_text(st, 1));
    json_array_append_new(rows, json_pack("{s:o, s:o, s:I, s:I, s:I, s:I, s:o}", "key", key, "label", label, "total",
                                          (json_int_t)total, "met", (json_int_t)met, "breached", (json_int_t)breached,
                                          "running", (json_int_t)(total - met - breached), "rate",
                                          met + breached ? json_real((double)met / (double)(met + breached))
                                                         : json_null()));
  }
  store_finish(st);
  if (rc < 0) {
    json_decref(rows);
    return -1;
  }
  *out = rows;
  return 0;
}

void sla_achievement_h(req *r) {
  data_scope scope = req_require(r, "sla_report", "read");
  if (!scope) return;
  const char *from_s = req_query(r, "from"), *to_s = req_query(r, "to"), *gb = req_query(r, "group_by");
  int64_t from, to;
  if (!from_s || time_parse_rfc3339(from_s, &from) != 0) {
    req_reply_error(r, ERR_bad_request, "from", "from must be an RFC 3339 time");
    return;
  }
  if (!to_s || time_parse_rfc3339(to_s, &to) != 0 || to <= from) {
    req_reply_error(r, ERR_bad_request, "to", "to must be an RFC 3339 time after from");
    return;
  }
  const group_def *g = NULL;
  for (size_t i = 0; i < sizeof groups / sizeof groups[0]; i++)
    if (gb && strcmp(gb, groups[i].name) == 0) g = &groups[i];
  if (!g) {
    req_reply_error(r, ERR_bad_request, "group_by", "group_by must be provider, customer, priority, catalog_item or metric");
    return;
  }
  err e;
  err_clear(&e);
  store_conn *c = req_conn(r);
  if (!c) return;
  json_t *rows = NULL;
  int rc = achievement(c, g, from, to, 0, scope_for(r, c, scope), &rows, &e);
  req_conn_done(r, c);
  if (rc != 0) {
    req_reply_err(r, &e);
    return;
  }
  char f[40], t[40];
  time_format_rfc3339(from, f);
  time_format_rfc3339(to, t);
  req_reply(r, 200, json_pack("{s:s, s:s, s:s, s:o}", "from", f, "to", t, "group_by", g->name, "items", rows));
}

/* --- the monthly self-assessment ------------------------------------------------- */

static int month_range(const char *s, int64_t *from, int64_t *to) {
  int y, m;
  char extra;
  if (!s || sscanf(s, "%4d-%2d%c", &y, &m, &extra) != 2 || strlen(s) != 7 || m < 1 || m > 12 || y < 2000 || y > 2100)
    return -1;
  int32_t d0 = cal_days_from_civil(y, m, 1);
  int32_t d1 = m == 12 ? cal_days_from_civil(y + 1, 1, 1) : cal_days_from_civil(y, m + 1, 1);
  *from = (int64_t)d0 * 86400000 - 8 * 3600 * 1000LL;
  *to = (int64_t)d1 * 86400000 - 8 * 3600 * 1000LL;
  return 0;
}

static json_t *indicator_targets(store_conn *c, int64_t provider, err *e) {
  /* the indicators of the provider's agreements in force (the first one that names them) */
  store_stmt *st = store_query(c, e,
                               "SELECT v.terms FROM sla_agreements a JOIN sla_versions v ON v.agreement_id = a.id"
                               " AND v.version_no = a.current_version WHERE a.provider_org_id = ? AND a.active = 1"
                               " ORDER BY a.id",
                               "i", provider);
  json_t *out = json_object();
  int rc;
  while (st && (rc = store_step(st, e)) == STORE_ROW) {
    json_t *terms = json_loads(store_col_text(st, 0), 0, NULL);
    size_t i;
    json_t *ind;
    json_array_foreach(json_object_get(terms, "indicators"), i, ind) {
      const char *m = json_string_value(json_object_get(ind, "metric"));
      if (m && !json_object_get(out, m)) json_object_set(out, m, json_object_get(ind, "target"));
    }
    json_decref(terms);
  }
  store_finish(st);
  return out;
}

static int build_report(store_conn *c, int64_t provider, const char *month, int64_t from, int64_t to, json_t **out,
                        err *e) {
  char name[256] = "";
  store_stmt *st = store_query(c, e, "SELECT name, party FROM orgs WHERE id = ?", "i", provider);
  if (!st) return -1;
  int rc = store_step(st, e);
  int ok = rc == STORE_ROW && strcmp(store_col_text(st, 1), "service") == 0;
  if (ok) snprintf(name, sizeof name, "%s", store_col_text(st, 0));
  store_finish(st);
  if (rc < 0) return -1;
  if (!ok) return err_set(e, ERR_validation_failed, "provider_org_id", "provider_org_id must be a provider");
  scope_filter none = {NULL, 0};
  json_t *by_metric = NULL, *by_priority = NULL;
  if (achievement(c, &groups[4], from, to, provider, none, &by_metric, e) != 0) return -1;
  if (achievement(c, &groups[2], from, to, provider, none, &by_priority, e) != 0) {
    json_decref(by_metric);
    return -1;
  }
  json_t *targets = indicator_targets(c, provider, e);
  size_t i;
  json_t *row;
  json_array_foreach(by_metric, i, row) {
    char key[64];
    snprintf(key, sizeof key, "%s_on_time_rate", json_string_value(json_object_get(row, "key")));
    json_t *t = json_object_get(targets, key);
    json_object_set(row, "target", t ? t : json_null());
    json_t *rate = json_object_get(row, "rate");
    json_object_set_new(row, "achieved", t && json_is_real(rate) ? json_boolean(json_real_value(rate) >= json_number_value(t))
                                                                  : json_null());
  }
  /* satisfaction from customers' ratings (4 or 5 count as satisfied) and callbacks */
  int64_t total = 0, closed = 0, rated = 0, satisfied = 0, rating_sum = 0, calls = 0, reached = 0, happy = 0;
  st = store_query(c, e,
                   "SELECT COUNT(*), SUM(CASE WHEN state = 'closed' THEN 1 ELSE 0 END),"
                   " SUM(CASE WHEN rating IS NOT NULL THEN 1 ELSE 0 END), SUM(CASE WHEN rating >= 4 THEN 1 ELSE 0 END),"
                   " SUM(CASE WHEN rating IS NOT NULL THEN rating ELSE 0 END)"
                   " FROM work_orders WHERE provider_org_id = ? AND reported_at >= ? AND reported_at < ?"
                   " AND state <> 'cancelled'",
                   "iii", provider, from, to);
  if (st && store_step(st, e) == STORE_ROW) {
    total = store_col_int64(st, 0);
    closed = store_col_int64(st, 1);
    rated = store_col_int64(st, 2);
    satisfied = store_col_int64(st, 3);
    rating_sum = store_col_int64(st, 4);
  }
  store_finish(st);
  st = store_query(c, e,
                   "SELECT COUNT(*), SUM(b.reached), SUM(CASE WHEN b.satisfied = 1 THEN 1 ELSE 0 END) FROM wo_callbacks b"
                   " JOIN work_orders w ON w.id = b.work_order_id WHERE w.provider_org_id = ? AND w.reported_at >= ?"
                   " AND w.reported_at < ?",
                   "iii", provider, from, to);
  if (st && store_step(st, e) == STORE_ROW) {
    calls = store_col_int64(st, 0);
    reached = store_col_int64(st, 1);
    happy = store_col_int64(st, 2);
  }
  store_finish(st);
  json_t *sat_target = json_object_get(targets, "satisfaction_rate");
  double sat_rate = rated ? (double)satisfied / (double)rated : -1;
  json_t *satisfaction = json_pack(
      "{s:I, s:I, s:I, s:o, s:o, s:O?, s:I, s:I, s:I}", "work_orders", (json_int_t)total, "closed", (json_int_t)closed,
      "rated", (json_int_t)rated, "average_rating", rated ? json_real((double)rating_sum / (double)rated) : json_null(),
      "satisfaction_rate", rated ? json_real(sat_rate) : json_null(), "target", sat_target, "callbacks",
      (json_int_t)calls, "callbacks_reached", (json_int_t)reached, "callbacks_satisfied", (json_int_t)happy);
  char f[40], t[40];
  time_format_rfc3339(from, f);
  time_format_rfc3339(to, t);
  *out = json_pack("{s:I, s:s, s:s, s:s, s:s, s:o, s:o, s:o}", "provider_org_id", (json_int_t)provider, "provider_name",
                   name, "month", month, "from", f, "to", t, "by_metric", by_metric, "by_priority", by_priority,
                   "satisfaction", satisfaction);
  json_decref(targets);
  return 0;
}

static const char *metric_zh(const char *m) {
  if (!m) return "";
  if (!strcmp(m, "response")) return "响应及时率";
  if (!strcmp(m, "arrival")) return "到场及时率";
  if (!strcmp(m, "resolution")) return "解决及时率";
  return m;
}

/* Writes the report as an .xlsx into a temporary file and returns its bytes. */
static char *report_xlsx(const json_t *rep, size_t *len, err *e) {
  char path[] = "/tmp/uniops-report-XXXXXX";
  int fd = mkstemp(path);
  if (fd < 0) {
    err_set(e, ERR_internal, NULL, "cannot create a temporary file");
    return NULL;
  }
  close(fd);
  lxw_workbook *wb = workbook_new(path);
  lxw_worksheet *ws = workbook_add_worksheet(wb, "SLA自评");
  lxw_format *bold = workbook_add_format(wb);
  format_set_bold(bold);
  lxw_format *pct = workbook_add_format(wb);
  format_set_num_format(pct, "0.00%");
  worksheet_set_column(ws, 0, 0, 22, NULL);
  worksheet_set_column(ws, 1, 7, 12, NULL);
  char title[300];
  snprintf(title, sizeof title, "%s 服务级别协议自评报告（%s）", json_string_value(json_object_get(rep, "provider_name")),
           json_string_value(json_object_get(rep, "month")));
  worksheet_write_string(ws, 0, 0, title, bold);
  static const char *const head[] = {"指标", "工单时钟数", "达标", "超时", "进行中", "达成率", "目标值", "是否达标"};
  for (int i = 0; i < 8; i++) worksheet_write_string(ws, 2, (lxw_col_t)i, head[i], bold);
  lxw_row_t row = 3;
  size_t i;
  json_t *m;
  json_array_foreach(json_object_get(rep, "by_metric"), i, m) {
    worksheet_write_string(ws, row, 0, metric_zh(json_string_value(json_object_get(m, "key"))), NULL);
    worksheet_write_number(ws, row, 1, (double)json_integer_value(json_object_get(m, "total")), NULL);
    worksheet_write_number(ws, row, 2, (double)json_integer_value(json_object_get(m, "met")), NULL);
    worksheet_write_number(ws, row, 3, (double)json_integer_value(json_object_get(m, "breached")), NULL);
    worksheet_write_number(ws, row, 4, (double)json_integer_value(json_object_get(m, "running")), NULL);
    json_t *rate = json_object_get(m, "rate"), *tg = json_object_get(m, "target"), *ach = json_object_get(m, "achieved");
    if (json_is_real(rate)) worksheet_write_number(ws, row, 5, json_real_value(rate), pct);
    if (json_is_number(tg)) worksheet_write_number(ws, row, 6, json_number_value(tg), pct);
    if (json_is_boolean(ach)) worksheet_write_string(ws, row, 7, json_is_true(ach) ? "是" : "否", NULL);
    row++;
  }
  row++;
  worksheet_write_string(ws, row++, 0, "按优先级", bold);
  json_array_foreach(json_object_get(rep, "by_priority"), i, m) {
    worksheet_write_string(ws, row, 0, json_string_value(json_object_get(m, "key")), NULL);
    worksheet_write_number(ws, row, 1, (double)json_integer_value(json_object_get(m, "total")), NULL);
    worksheet_write_number(ws, row, 2, (double)json_integer_value(json_object_get(m, "met")), NULL);
    worksheet_write_number(ws, row, 3, (double)json_integer_value(json_object_get(m, "breached")), NULL);
    worksheet_write_number(ws, row, 4, (double)json_integer_value(json_object_get(m, "running")), NULL);
    json_t *rate = json_object_get(m, "rate");
    if (json_is_real(rate)) worksheet_write_number(ws, row, 5, json_real_value(rate), pct);
    row++;
  }
  row++;
  json_t *s = json_object_get(rep, "satisfaction");
  worksheet_write_string(ws, row++, 0, "满意度", bold);
  static const char *const skeys[][2] = {{"work_orders", "工单数"}, {"closed", "已关闭"}, {"rated", "已评价"},
                                         {"callbacks", "回访数"},   {"callbacks_reached", "回访接通"},
                                         {"callbacks_satisfied", "回访满意"}};
  for (size_t k = 0; k < sizeof skeys / sizeof skeys[0]; k++) {
    worksheet_write_string(ws, row, 0, skeys[k][1], NULL);
    worksheet_write_number(ws, row++, 1, (double)json_integer_value(json_object_get(s, skeys[k][0])), NULL);
  }
  worksheet_write_string(ws, row, 0, "满意率", NULL);
  if (json_is_real(json_object_get(s, "satisfaction_rate")))
    worksheet_write_number(ws, row, 1, json_real_value(json_object_get(s, "satisfaction_rate")), pct);
  lxw_error le = workbook_close(wb);
  char *data = NULL;
  if (le == LXW_NO_ERROR) {
    FILE *fp = fopen(path, "rb");
    if (fp) {
      fseek(fp, 0, SEEK_END);
      long n = ftell(fp);
      fseek(fp, 0, SEEK_SET);
      data = xmalloc((size_t)(n > 0 ? n : 1));
      *len = fread(data, 1, (size_t)(n > 0 ? n : 0), fp);
      fclose(fp);
    }
  }
  unlink(path);
  if (!data) err_set(e, ERR_internal, NULL, "writing the workbook failed: %s", lxw_strerror(le));
  return data;
}

void sla_self_assessment_h(req *r) {
  data_scope scope = req_require(r, "sla_report", "read");
  if (!scope) return;
  const char *ps = req_query(r, "provider_org_id"), *month = req_query(r, "month"), *fmt = req_query(r, "format");
  char *end;
  long long provider = ps ? strtoll(ps, &end, 10) : 0;
  if (!ps || *end || provider <= 0) {
    req_reply_error(r, ERR_bad_request, "provider_org_id", "provider_org_id is required");
    return;
  }
  int64_t from, to;
  if (month_range(month, &from, &to) != 0) {
    req_reply_error(r, ERR_bad_request, "month", "month must look like 2026-11");
    return;
  }
  if (fmt && strcmp(fmt, "json") != 0 && strcmp(fmt, "xlsx") != 0) {
    req_reply_error(r, ERR_bad_request, "format", "format must be json or xlsx");
    return;
  }
  err e;
  err_clear(&e);
  store_conn *c = req_conn(r);
  if (!c) return;
  /* a provider sees its own report, a customer none (it is the provider's self-assessment) */
  if (scope == SCOPE_OWN_ORG_TREE &&
      (strcmp(r->who.party, "service") != 0 || res_org_in_tree(c, res_org_root(c, r->who.org_id, NULL), provider, &e) != 1)) {
    req_conn_done(r, c);
    req_reply_error(r, ERR_forbidden, "provider_org_id", "you may read your own provider's report only");
    return;
  }
  json_t *rep = NULL;
  int rc = build_report(c, provider, month, from, to, &rep, &e);
  req_conn_done(r, c);
  if (rc != 0) {
    req_reply_err(r, &e);
    return;
  }
  if (fmt && !strcmp(fmt, "xlsx")) {
    size_t len = 0;
    char *data = report_xlsx(rep, &len, &e);
    json_decref(rep);
    if (!data) {
      req_reply_err(r, &e);
      return;
    }
    char disp[128];
    snprintf(disp, sizeof disp, "attachment; filename=\"sla-self-assessment-%lld-%s.xlsx\"", provider, month);
    req_add_header(r, "Content-Disposition", disp);
    req_reply_raw(r, 200, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", data, len);
    free(data);
    return;
  }
  req_reply(r, 200, rep);
}
