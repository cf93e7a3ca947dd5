/* audit_api.c — GET /api/v1/audit with filters (actor, resource, resource_id, action,
 * from/to time range), newest first, cursor-paginated by sequence number. */
#include "modules/audit_api/audit_api.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "audit/audit.h"
#include "core/clock.h"
#include "core/strbuf.h"
#include "http/app.h"
#include "resource/resource.h"

typedef struct audit_query {
  const char *actor, *resource, *resource_id, *action;
  int64_t actor_id, from, to, before_seq;
  int limit;
  err *e;
  int failed;
} audit_query;

static int parse_i64(const char *s, int64_t *out) {
  char *end;
  if (!s || !*s) return -1;
  long long v = strtoll(s, &end, 10);
  if (*end) return -1;
  *out = v;
  return 0;
}

static void visit(void *ctx, const char *key, const char *value) {
  audit_query *q = ctx;
  if (q->failed) return;
  const char *v = value ? value : "";
  int64_t n;
  if (strlen(v) > 200) {
    err_set(q->e, ERR_bad_request, key, "%s is too long", key);
    q->failed = 1;
  } else if (strcmp(key, "actor") == 0) {
    q->actor = v;
  } else if (strcmp(key, "actor_id") == 0) {
    if (parse_i64(v, &q->actor_id) != 0 || q->actor_id <= 0) goto bad_int;
  } else if (strcmp(key, "resource") == 0) {
    q->resource = v;
  } else if (strcmp(key, "resource_id") == 0) {
    q->resource_id = v;
  } else if (strcmp(key, "action") == 0) {
    q->action = v;
  } else if (strcmp(key, "from") == 0 || strcmp(key, "to") == 0) {
    if (time_parse_rfc3339(v, &n) != 0) {
      err_set(q->e, ERR_bad_request, key, "%s must be an RFC 3339 time such as 2026-11-25T00:00:00+08:00", key);
      q->failed = 1;
      return;
    }
    if (key[0] == 'f')
      q->from = n;
    else
      q->to = n;
  } else if (strcmp(key, "limit") == 0) {
    if (parse_i64(v, &n) != 0 || n < 1 || n > 200) {
      err_set(q->e, ERR_bad_request, "limit", "limit must be an integer from 1 to 200");
      q->failed = 1;
      return;
    }
    q->limit = (int)n;
  } else if (strcmp(key, "cursor") == 0) {
    if (res_cursor_decode(v, &q->before_seq) != 0) {
      err_set(q->e, ERR_bad_request, "cursor", "cursor is not one this server handed out");
      q->failed = 1;
    }
  } else {
    err_set(q->e, ERR_bad_request, key, "unknown query parameter '%s'", key);
    q->failed = 1;
  }
  return;
bad_int:
  err_set(q->e, ERR_bad_request, key, "%s must be a positive integer", key);
  q->failed = 1;
}

static json_t *parse_or_null(const char *text) {
  json_t *j = text ? json_loads(text, 0, NULL) : NULL;
  return j ? j : json_null();
}

void audit_list(req *r) {
  if (!req_require(r, "audit", "read")) return;
  err e;
  err_clear(&e);
  audit_query q = {.limit = 50, .e = &e};
  req_each_query(r, visit, &q);
  if (q.failed) {
    req_reply_err(r, &e);
    return;
  }
  if (q.from && q.to && q.from > q.to) {
    req_reply_error(r, ERR_bad_request, "from", "from must not be after to");
    return;
  }
  strbuf sql;
  sb_init(&sql);
  sb_adds(&sql,
          "SELECT seq, at, actor_id, actor_name, actor_org_id, ip, request_id, action, resource, resource_id,"
          " before_json, after_json, hash FROM audit_log WHERE 1 = 1");
  if (q.actor) sb_adds(&sql, " AND actor_name = ?");
  if (q.actor_id) sb_adds(&sql, " AND actor_id = ?");
  if (q.resource) sb_adds(&sql, " AND resource = ?");
  if (q.resource_id) sb_adds(&sql, " AND resource_id = ?");
  if (q.action) sb_adds(&sql, " AND action = ?");
  if (q.from) sb_adds(&sql, " AND at >= ?");
  if (q.to) sb_adds(&sql, " AND at <= ?");
  if (q.before_seq) sb_adds(&sql, " AND seq < ?");
  sb_adds(&sql, " ORDER BY seq DESC LIMIT ?");
  store_conn *c = req_conn(r);
  if (!c) {
    sb_release(&sql);
    return;
  }
  store_stmt *st = store_prepare(c, sql.buf, &e);
  sb_release(&sql);
  if (!st) {
    req_reply_err(r, &e);
    req_conn_done(r, c);
    return;
  }
  int i = 1;
  if (q.actor) store_bind_text(st, i++, q.actor);
  if (q.actor_id) store_bind_int64(st, i++, q.actor_id);
  if (q.resource) store_bind_text(st, i++, q.resource);
  if (q.resource_id) store_bind_text(st, i++, q.resource_id);
  if (q.action) store_bind_text(st, i++, q.action);
  if (q.from) store_bind_int64(st, i++, q.from);
  if (q.to) store_bind_int64(st, i++, q.to);
  if (q.before_seq) store_bind_int64(st, i++, q.before_seq);
  store_bind_int64(st, i++, q.limit + 1);
  json_t *items = json_array();
  int rc, n = 0;
  int64_t last = 0;
  while ((rc = store_step(st, &e)) == STORE_ROW) {
    if (n++ == q.limit) continue;
    char at[40];
    time_format_rfc3339(store_col_int64(st, 1), at);
    last = store_col_int64(st, 0);
    json_t *actor_id = store_col_int64(st, 2) ? json_integer(store_col_int64(st, 2)) : json_null();
    json_t *org_id = store_col_int64(st, 4) ? json_integer(store_col_int64(st, 4)) : json_null();
    json_array_append_new(
        items, json_pack("{s:I, s:s, s:o, s:s, s:o, s:s, s:s, s:s, s:s, s:s, s:o, s:o, s:s}", "seq", (json_int_t)last,
                         "at", at, "actor_id", actor_id, "actor_name", store_col_text(st, 3), "actor_org_id", org_id,
                         "ip", store_col_text(st, 5), "request_id", store_col_text(st, 6), "action",
                         store_col_text(st, 7), "resource", store_col_text(st, 8), "resource_id",
                         store_col_text(st, 9), "before", parse_or_null(store_col_text(st, 10)), "after",
                         parse_or_null(store_col_text(st, 11)), "hash", store_col_text(st, 12)));
  }
  store_finish(st);
  req_conn_done(r, c);
  if (rc < 0) {
    json_decref(items);
    req_reply_err(r, &e);
    return;
  }
  json_t *next = json_null();
  if (n > q.limit) {
    char cur[32];
    res_cursor_encode(last, cur);
    next = json_string(cur);
  }
  req_reply(r, 200, json_pack("{s:o, s:o}", "items", items, "next_cursor", next));
}

void audit_verify_h(req *r) {
  if (!req_require(r, "audit", "read")) return;
  err e;
  err_clear(&e);
  int64_t count = 0, bad = 0;
  char why[256];
  int rc = audit_verify(r->app->db, &count, &bad, why, sizeof why, &e);
  if (rc != 0 && !bad) {
    req_reply_err(r, &e);
    return;
  }
  if (bad)
    req_reply(r, 200, json_pack("{s:b, s:I, s:I, s:s}", "ok", 0, "records", (json_int_t)count, "first_broken_seq",
                                (json_int_t)bad, "reason", why));
  else
    req_reply(r, 200, json_pack("{s:b, s:I}", "ok", 1, "records", (json_int_t)count));
}
