/* webhooks.c — subscriptions as a table-driven resource; URL and secret sealed at rest
 * and never returned whole; the outbox listing and dead-letter retry. */
#include "modules/webhooks/webhooks.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/clock.h"
#include "core/secret.h"
#include "http/crud.h"

static const char *const kinds[] = {"webhook", "wecom", "dingtalk", "feishu", NULL};

static const field_desc webhook_fields[] = {
    {"name", FT_TEXT, FF_REQUIRED | FF_PATCH | FF_SEARCH, 1, 100, NULL, NULL},
    {"kind", FT_ENUM, FF_REQUIRED | FF_FILTER, 0, 0, kinds, NULL},
    {"url", FT_TEXT, FF_REQUIRED | FF_PATCH, 10, 1000, NULL, NULL},
    {"secret", FT_TEXT, FF_CREATE | FF_PATCH | FF_NULLABLE, 0, 200, NULL, NULL},
    {"events", FT_TEXT, FF_REQUIRED | FF_PATCH, 1, 1000, NULL, NULL},
    {NULL, 0, 0, 0, 0, NULL, NULL},
};

static const resource_desc webhook_desc = {"webhook", "webhooks", webhook_fields, "id"};

static int check_events(const char *ev, err *e) {
  for (const char *p = ev; *p; p++) {
    char ch = *p;
    if (!((ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || ch == '_' || ch == '.' || ch == '*' || ch == ',' ||
          ch == ' '))
      return err_set(e, ERR_validation_failed, "events",
                     "events is \"*\" or a comma list such as \"org.create, user.*\"");
  }
  return 0;
}

/* Seals url and secret into internal columns (replacing the plain values in body). */
static int seal(json_t *body, json_t *internal, err *e) {
  json_t *url = json_object_get(body, "url");
  if (url) {
    const char *u = json_string_value(url);
    if (strncasecmp(u, "http://", 7) != 0 && strncasecmp(u, "https://", 8) != 0)
      return err_set(e, ERR_validation_failed, "url", "url must start with http:// or https://");
    char *s = secret_seal(u);
    json_object_set_new(internal, "url", json_string(s));
    free(s);
    json_object_del(body, "url");
  }
  json_t *sec = json_object_get(body, "secret");
  if (sec) {
    if (json_is_string(sec)) {
      char *s = secret_seal(json_string_value(sec));
      json_object_set_new(internal, "secret", json_string(s));
      free(s);
    } else {
      json_object_set_new(internal, "secret", json_null());
    }
    json_object_del(body, "secret");
  }
  json_t *ev = json_object_get(body, "events");
  if (ev && check_events(json_string_value(ev), e) != 0) return -1;
  return 0;
}

static int before_create(req *r, store_conn *c, json_t *body, json_t *internal, err *e) { return seal(body, internal, e); }
static int before_update(req *r, store_conn *c, const json_t *cur, json_t *body, json_t *internal, err *e) {
  return seal(body, internal, e);
}

/* Never show credentials: the URL redacted, the secret only as "set or not". */
static void decorate(json_t *rec) {
  json_t *url = json_object_get(rec, "url");
  if (json_is_string(url)) {
    char *plain = secret_open(json_string_value(url));
    char *red = secret_redact_url(plain ? plain : "");
    json_object_set_new(rec, "url", json_string(red));
    free(red);
    free(plain);
  }
  json_t *sec = json_object_get(rec, "secret");
  json_object_set_new(rec, "has_secret", json_boolean(json_is_string(sec)));
  json_object_del(rec, "secret");
}

static const crud_spec spec = {
    .desc = &webhook_desc,
    .before_create = before_create,
    .before_update = before_update,
    .decorate = decorate,
};

void webhooks_list(req *r) { crud_list(r, &spec); }
void webhooks_get(req *r) { crud_get(r, &spec); }
void webhooks_create(req *r) { crud_create(r, &spec); }
void webhooks_patch(req *r) { crud_patch(r, &spec); }
void webhooks_deactivate(req *r) { crud_set_active(r, &spec, 0); }
void webhooks_activate(req *r) { crud_set_active(r, &spec, 1); }

typedef struct outbox_q {
  const char *status;
  int64_t webhook_id;
  int64_t after;
  int limit;
  err *e;
  int failed;
} outbox_q;

static void visit(void *ctx, const char *k, const char *v) {
  outbox_q *q = ctx;
  if (q->failed) return;
  v = v ? v : "";
  char *end;
  if (strcmp(k, "status") == 0) {
    if (strcmp(v, "pending") && strcmp(v, "delivered") && strcmp(v, "dead")) {
      err_set(q->e, ERR_bad_request, "status", "status must be pending, delivered or dead");
      q->failed = 1;
    }
    q->status = v;
  } else if (strcmp(k, "webhook_id") == 0) {
    q->webhook_id = strtoll(v, &end, 10);
    if (!*v || *end || q->webhook_id <= 0) {
      err_set(q->e, ERR_bad_request, "webhook_id", "webhook_id must be a positive integer");
      q->failed = 1;
    }
  } else if (strcmp(k, "limit") == 0) {
    long n = strtol(v, &end, 10);
    if (!*v || *end || n < 1 || n > 200) {
      err_set(q->e, ERR_bad_request, "limit", "limit must be an integer from 1 to 200");
      q->failed = 1;
    }
    q->limit = (int)n;
  } else if (strcmp(k, "cursor") == 0) {
    if (res_cursor_decode(v, &q->after) != 0) {
      err_set(q->e, ERR_bad_request, "cursor", "cursor is not one this server handed out");
      q->failed = 1;
    }
  } else {
    err_set(q->e, ERR_bad_request, k, "unknown query parameter '%s'", k);
    q->failed = 1;
  }
}

void outbox_list_h(req *r) {
  if (!req_require(r, "webhook", "read")) return;
  err e;
  err_clear(&e);
  outbox_q q = {.limit = 50, .e = &e};
  req_each_query(r, visit, &q);
  if (q.failed) {
    req_reply_err(r, &e);
    return;
  }
  store_conn *c = req_conn(r);
  if (!c) return;
  store_stmt *st = store_query(
      c, &e,
      "SELECT id, delivery_id, webhook_id, event, status, attempts, next_attempt_at, delivered_at, last_error, created_at"
      " FROM outbox WHERE (status = ? OR ? = '') AND (webhook_id = ? OR ? = 0) AND id > ? ORDER BY id LIMIT ?",
      "ssiiii", q.status ? q.status : "", q.status ? q.status : "", q.webhook_id, q.webhook_id, q.after,
      (int64_t)q.limit + 1);
  if (!st) {
    req_reply_err(r, &e);
    req_conn_done(r, c);
    return;
  }
  json_t *items = json_array();
  int rc, n = 0;
  int64_t last = 0;
  while ((rc = store_step(st, &e)) == STORE_ROW) {
    if (n++ == q.limit) continue;
    char na[40], ca[40], da[40] = "";
    time_format_rfc3339(store_col_int64(st, 6), na);
    time_format_rfc3339(store_col_int64(st, 9), ca);
    if (store_col_type(st, 7) != SCOL_NULL) time_format_rfc3339(store_col_int64(st, 7), da);
    last = store_col_int64(st, 0);
    json_array_append_new(
        items, json_pack("{s:I, s:s, s:I, s:s, s:s, s:I, s:s, s:o, s:o, s:s}", "id", (json_int_t)last, "delivery_id",
                         store_col_text(st, 1), "webhook_id", (json_int_t)store_col_int64(st, 2), "event",
                         store_col_text(st, 3), "status", store_col_text(st, 4), "attempts",
                         (json_int_t)store_col_int64(st, 5), "next_attempt_at", na, "delivered_at",
                         da[0] ? json_string(da) : json_null(), "last_error",
                         store_col_text(st, 8) ? json_string(store_col_text(st, 8)) : json_null(), "created_at", ca));
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

void outbox_retry_h(req *r) {
  if (!req_require(r, "webhook", "update")) return;
  int64_t id = req_param_id(r, "id");
  if (!id) return;
  err e;
  err_clear(&e);
  store_conn *c = req_conn(r);
  if (!c) return;
  int64_t n;
  if (store_begin(c, STORE_WRITE, &e) != 0) goto fail;
  n = store_run(c, &e,
                "UPDATE outbox SET status = 'pending', attempts = 0, next_attempt_at = ?, claimed_until = 0"
                " WHERE id = ? AND status = 'dead'",
                "ii", clock_now_ms(), id);
  if (n < 0) goto fail;
  if (n == 0) {
    err_set(&e, ERR_conflict, NULL, "outbox item %" PRId64 " does not exist or is not a dead letter", id);
    goto fail;
  }
  json_t *a = json_pack("{s:s}", "status", "pending");
  json_t *b = json_pack("{s:s}", "status", "dead");
  int arc = req_audit(r, c, "retry", "outbox", id, b, a, &e);
  json_decref(a);
  json_decref(b);
  if (arc != 0 || store_commit(c, &e) != 0) goto fail;
  req_reply(r, 200, json_pack("{s:I, s:s}", "id", (json_int_t)id, "status", "pending"));
  goto done;
fail:
  req_reply_err(r, &e);
done:
  store_rollback(c);
  req_conn_done(r, c);
}
