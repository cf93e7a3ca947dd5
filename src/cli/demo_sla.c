/* demo_sla.c — the demo business calendars and service level agreements. */
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/demo.h"
#include "modules/calendar/calendars.h"
#include "modules/sla/sla.h"

/* "办公时间": Monday–Friday 08:30–12:00 and 14:00–17:30, the statutory holidays off and the
 * make-up Saturdays/Sundays worked, from the embedded State Council table. */
static json_t *office_hours(err *e) {
  json_error_t je;
  json_t *data = json_loads(demo_holidays_json, 0, &je);
  if (!data) {
    err_set(e, ERR_internal, NULL, "embedded holiday table: %s", je.text);
    return NULL;
  }
  json_t *holidays = json_array(), *workdays = json_array();
  const char *year;
  json_t *list;
  json_object_foreach(json_object_get(data, "years"), year, list) {
    size_t i, j;
    json_t *h, *d;
    json_array_foreach(list, i, h) {
      json_array_foreach(json_object_get(h, "off"), j, d) json_array_append(holidays, d);
      json_array_foreach(json_object_get(h, "workdays"), j, d) json_array_append(workdays, d);
    }
  }
  json_decref(data);
  json_t *day = json_pack("[[s,s],[s,s]]", "08:30", "12:00", "14:00", "17:30");
  json_t *week = json_pack("{s:O, s:O, s:O, s:O, s:O, s:[], s:[]}", "mon", day, "tue", day, "wed", day, "thu", day,
                           "fri", day, "sat", "sun");
  json_decref(day);
  return json_pack("{s:s, s:o, s:o, s:o}", "name", "办公时间", "week", week, "holidays", holidays, "workdays", workdays);
}

static json_t *all_day(void) {
  json_t *day = json_pack("[[s,s]]", "00:00", "24:00");
  json_t *week = json_pack("{s:O, s:O, s:O, s:O, s:O, s:O, s:O}", "mon", day, "tue", day, "wed", day, "thu", day, "fri",
                           day, "sat", day, "sun", day);
  json_decref(day);
  return json_pack("{s:s, s:o, s:[], s:[]}", "name", "7x24", "week", week, "holidays", "workdays");
}

static json_t *target(int resp_min, int arrival_min, int resol_min) {
  json_t *t = json_pack("{s:i, s:i}", "response_s", resp_min * 60, "resolution_s", resol_min * 60);
  if (arrival_min) json_object_set_new(t, "arrival_s", json_integer(arrival_min * 60));
  return t;
}

static json_t *indicators(void) {
  return json_pack("[{s:s, s:f}, {s:s, s:f}, {s:s, s:f}, {s:s, s:f}, {s:s, s:f}]", "metric", "response_on_time_rate",
                   "target", 0.98, "metric", "arrival_on_time_rate", "target", 0.95, "metric",
                   "resolution_on_time_rate", "target", 0.95, "metric", "satisfaction_rate", "target", 0.9, "metric",
                   "inspection_completion_rate", "target", 1.0);
}

static int add_calendar(store_conn *c, json_t *doc, int64_t *id, err *e) {
  json_t *rec = NULL;
  int rc = calendars_insert(c, doc, id, &rec, e);
  json_decref(doc);
  if (rc == 0) rc = cli_audit(c, "create", "calendar", *id, NULL, rec, e);
  json_decref(rec);
  return rc;
}

static int add_agreement(store_conn *c, json_t *body, err *e) {
  int64_t id = 0;
  int rc = sla_insert(c, "cli:demo", body, &id, e);
  json_decref(body);
  if (rc == 0) {
    json_t *a = json_pack("{s:I}", "id", (json_int_t)id);
    rc = cli_audit(c, "create", "sla", id, NULL, a, e);
    json_decref(a);
  }
  return rc;
}

static int64_t item_id(store_conn *c, const char *code, err *e) {
  int64_t id = 0;
  if (store_query_int(c, e, &id, "SELECT id FROM catalog_items WHERE code = ?", "s", code) != STORE_ROW) return -1;
  return id;
}

int demo_load_sla(store_conn *c, int64_t p1, int64_t p2, int64_t edu, int64_t health, err *e) {
  int64_t office = 0, always = 0;
  json_t *oh = office_hours(e);
  if (!oh || add_calendar(c, oh, &office, e) != 0 || add_calendar(c, all_day(), &always, e) != 0) return -1;
  int64_t meeting = item_id(c, "A1.3.8", e);
  if (meeting < 0) return -1;

  /* a city-wide agreement with the first provider, for every department */
  json_t *targets = json_pack("{s:o, s:o, s:o, s:o}", "P1", target(15, 60, 240), "P2", target(30, 120, 480), "P3",
                              target(120, 480, 1440), "P4", target(240, 0, 2400));
  json_t *b = json_pack(
      "{s:s, s:I, s:n, s:s, s:s, s:I, s:o, s:[{s:I, s:{s:o}}], s:[{s:s, s:s, s:s, s:I, s:{s:o, s:o}}], s:o, s:s}",
      "name", "南粤数智 全市基础设施运维服务协议", "provider_org_id", (json_int_t)p1, "customer_org_id", "valid_from",
      "2026-01-01", "valid_to", "2026-12-31", "calendar_id", (json_int_t)office, "targets", targets, "item_overrides",
      "catalog_item_id", (json_int_t)meeting, "targets", "P2", target(10, 30, 120), "major_guarantees", "name",
      "国庆节重要保障期", "from", "2026-09-30", "to", "2026-10-08", "calendar_id", (json_int_t)always, "targets", "P1",
      target(5, 30, 120), "P2", target(15, 60, 240), "indicators", indicators(), "note",
      "年度服务级别协议，按季度回顾（9.1.2.2）");
  if (add_agreement(c, b, e) != 0) return -1;

  /* the education bureau's own, tighter agreement with the same provider */
  targets = json_pack("{s:o, s:o, s:o, s:o}", "P1", target(10, 45, 180), "P2", target(20, 90, 360), "P3",
                      target(60, 240, 960), "P4", target(240, 0, 1920));
  b = json_pack("{s:s, s:I, s:I, s:s, s:s, s:I, s:o, s:o}", "name", "南粤数智 市教育局专项运维协议", "provider_org_id",
                (json_int_t)p1, "customer_org_id", (json_int_t)edu, "valid_from", "2026-01-01", "valid_to", "2026-12-31",
                "calendar_id", (json_int_t)office, "targets", targets, "indicators", indicators());
  if (add_agreement(c, b, e) != 0) return -1;

  /* the health commission's government-cloud agreement, around the clock */
  targets = json_pack("{s:o, s:o, s:o, s:o}", "P1", target(10, 0, 120), "P2", target(30, 0, 360), "P3",
                      target(60, 0, 1440), "P4", target(240, 0, 4320));
  b = json_pack("{s:s, s:I, s:I, s:s, s:s, s:I, s:o, s:o}", "name", "云帆信息 市卫健委政务云运维协议", "provider_org_id",
                (json_int_t)p2, "customer_org_id", (json_int_t)health, "valid_from", "2026-01-01", "valid_to",
                "2026-12-31", "calendar_id", (json_int_t)always, "targets", targets, "indicators", indicators());
  if (add_agreement(c, b, e) != 0) return -1;
  return 5;
}
