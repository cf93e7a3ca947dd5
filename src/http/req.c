/* req.c — request accessors and response helpers. */
#include "http/req.h"

#include <inttypes.h>
#include <microhttpd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audit/audit.h"
#include "core/clock.h"
#include "core/jsontext.h"
#include "core/strbuf.h"
#include "http/app.h"

const char *req_header(req *r, const char *name) {
  return r->mhd ? MHD_lookup_connection_value(r->mhd, MHD_HEADER_KIND, name) : NULL;
}

const char *req_query(req *r, const char *name) {
  return r->mhd ? MHD_lookup_connection_value(r->mhd, MHD_GET_ARGUMENT_KIND, name) : NULL;
}

const char *req_param(req *r, const char *name) { return route_param(&r->match, name); }

struct each_ctx {
  void (*fn)(void *ctx, const char *key, const char *value);
  void *ctx;
};

static enum MHD_Result each_cb(void *cls, enum MHD_ValueKind kind, const char *key, const char *value) {
  struct each_ctx *ec = cls;
  ec->fn(ec->ctx, key, value);
  return MHD_YES;
}

void req_each_query(req *r, void (*fn)(void *ctx, const char *key, const char *value), void *ctx) {
  if (!r->mhd) return;
  struct each_ctx ec = {fn, ctx};
  MHD_get_connection_values(r->mhd, MHD_GET_ARGUMENT_KIND, each_cb, &ec);
}

json_t *req_json_body(req *r) {
  if (!r->body || r->body_len == 0) {
    req_reply_error(r, ERR_malformed_json, NULL, "a JSON object body is required");
    return NULL;
  }
  json_error_t je;
  json_t *j = json_loadb(r->body, r->body_len, JSON_REJECT_DUPLICATES, &je);
  if (!j) {
    req_reply_error(r, ERR_malformed_json, NULL, "malformed JSON at line %d, column %d (byte %d): %s",
                    je.line, je.column, je.position, je.text);
    return NULL;
  }
  if (!json_is_object(j)) {
    json_decref(j);
    req_reply_error(r, ERR_malformed_json, NULL, "the body must be a JSON object");
    return NULL;
  }
  return j;
}

void req_reply(req *r, unsigned status, json_t *body) {
  json_decref(r->out);
  free(r->raw);
  r->raw = NULL;
  r->status = status;
  r->out = body;
}

void req_reply_err(req *r, const err *e) {
  json_t *inner = json_pack("{s:s, s:s}", "code", err_code_name(e->code), "message",
                            e->msg[0] ? e->msg : err_code_name(e->code));
  if (e->field[0]) json_object_set_new(inner, "field", json_string(e->field));
  json_object_set_new(inner, "request_id", json_string(r->request_id));
  if (e->code == ERR_unauthenticated) req_add_header(r, "WWW-Authenticate", "Bearer realm=\"uniops\"");
  req_reply(r, (unsigned)err_http_status(e->code), json_pack("{s:o}", "error", inner));
}

void req_reply_error(req *r, err_code code, const char *field, const char *fmt, ...) {
  err e;
  e.code = code;
  snprintf(e.field, sizeof e.field, "%s", field ? field : "");
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(e.msg, sizeof e.msg, fmt, ap);
  va_end(ap);
  req_reply_err(r, &e);
}

void req_reply_json_text(req *r, unsigned status, char *text) {
  json_decref(r->out);
  r->out = NULL;
  free(r->raw);
  r->status = status;
  r->raw = text;
  r->raw_len = strlen(text);
  r->raw_type = "application/json; charset=utf-8";
}

void req_reply_raw(req *r, unsigned status, const char *type, const char *body, size_t len) {
  json_decref(r->out);
  r->out = NULL;
  free(r->raw);
  r->raw = xmalloc(len + 1);
  memcpy(r->raw, body, len);
  r->raw[len] = '\0';
  r->raw_len = len;
  r->raw_type = type;
  r->status = status;
}

void req_add_header(req *r, const char *name, const char *value) {
  if (r->nhdr >= REQ_MAX_HEADERS) return;
  r->hdr_names[r->nhdr] = name;
  r->hdr_values[r->nhdr] = xstrdup(value);
  r->nhdr++;
}

data_scope req_require(req *r, const char *resource, const char *action) {
  data_scope s = rbac_scope(&r->who, resource, action);
  if (s == SCOPE_NONE)
    req_reply_error(r, ERR_forbidden, NULL, "your roles do not allow %s on %s", action, resource);
  return s;
}

static int parse_pos_int64(const char *s, int64_t *out) {
  if (!s || !*s || strlen(s) > 18) return -1;
  int64_t v = 0;
  for (const char *p = s; *p; p++) {
    if (*p < '0' || *p > '9') return -1;
    v = v * 10 + (*p - '0');
  }
  if (v <= 0) return -1;
  *out = v;
  return 0;
}

int64_t req_param_id(req *r, const char *name) {
  int64_t id;
  if (parse_pos_int64(req_param(r, name), &id) != 0) {
    req_reply_error(r, ERR_not_found, name, "no record with id '%s'", req_param(r, name));
    return 0;
  }
  return id;
}

int64_t req_if_match(req *r) {
  const char *h = req_header(r, "If-Match");
  if (!h) {
    req_reply_error(r, ERR_precondition_required, "If-Match",
                    "send If-Match with the record's version (as returned in ETag)");
    return 0;
  }
  char buf[32];
  size_t n = strlen(h);
  /* accept 3, "3" and W/"3" */
  if (n > 2 && h[0] == 'W' && h[1] == '/') {
    h += 2;
    n -= 2;
  }
  if (n >= 2 && h[0] == '"' && h[n - 1] == '"') {
    h++;
    n -= 2;
  }
  int64_t v;
  if (n == 0 || n >= sizeof buf) goto bad;
  memcpy(buf, h, n);
  buf[n] = '\0';
  if (parse_pos_int64(buf, &v) != 0) goto bad;
  return v;
bad:
  req_reply_error(r, ERR_bad_request, "If-Match", "If-Match must be a record version such as \"3\"");
  return 0;
}

void req_release(req *r) {
  json_decref(r->out);
  r->out = NULL;
  free(r->raw);
  r->raw = NULL;
  for (int i = 0; i < r->nhdr; i++) free(r->hdr_values[i]);
  r->nhdr = 0;
}

store_conn *req_conn(req *r) {
  if (r->held) {
    store_conn *c = r->held;
    r->held = NULL;
    store_snapshot(c); /* a no-op unless authentication wrote (a session refresh) */
    return c;
  }
  err e;
  err_clear(&e);
  store_conn *c = store_acquire(r->app->db, &e);
  if (!c)
    req_reply_err(r, &e);
  else
    store_snapshot(c);
  return c;
}

void req_conn_done(req *r, store_conn *c) {
  if (c) store_release(r->app->db, c);
}

int req_audit(req *r, store_conn *c, const char *action, const char *resource, int64_t id,
              const json_t *before, const json_t *after, err *e) {
  char idbuf[24];
  snprintf(idbuf, sizeof idbuf, "%" PRId64, id);
  audit_entry en = {
      .actor = r->authenticated ? &r->who : NULL,
      .actor_name = "",
      .ip = r->ip,
      .request_id = r->request_id,
      .action = action,
      .resource = resource,
      .resource_id = idbuf,
      .before = before,
      .after = after,
  };
  return audit_write(c, &en, e);
}

void req_etag(req *r, const json_t *record) {
  char buf[32];
  snprintf(buf, sizeof buf, "\"%" JSON_INTEGER_FORMAT "\"", json_integer_value(json_object_get(record, "version")));
  req_add_header(r, "ETag", buf);
}

const char *req_idempotency_key(req *r) {
  const char *k = req_header(r, "Idempotency-Key");
  if (!k) return NULL;
  size_t n = strlen(k);
  int ok = n >= 1 && n <= 100;
  for (size_t i = 0; ok && i < n; i++) ok = k[i] > 0x20 && k[i] < 0x7f;
  if (!ok) {
    req_reply_error(r, ERR_bad_request, "Idempotency-Key", "Idempotency-Key must be 1 to 100 printable ASCII characters");
    return "";
  }
  return k;
}

int req_idempotent_replay(req *r, store_conn *c, const char *key, err *e) {
  store_stmt *st = store_query(c, e, "SELECT path, status, body FROM idempotency_keys WHERE user_id = ? AND idem_key = ?",
                               "is", r->who.user_id, key);
  if (!st) return -1;
  int rc = store_step(st, e);
  if (rc == STORE_ROW) {
    if (strcmp(store_col_text(st, 0), r->path) != 0) {
      err_set(e, ERR_conflict, "Idempotency-Key", "this Idempotency-Key was already used for %s", store_col_text(st, 0));
      store_finish(st);
      return -1;
    }
    json_t *body = json_loads(store_col_text(st, 2), 0, NULL);
    if (body) req_etag(r, body);
    req_add_header(r, "Idempotent-Replay", "true");
    req_reply(r, (unsigned)store_col_int64(st, 1), body);
  }
  store_finish(st);
  return rc < 0 ? -1 : rc == STORE_ROW;
}

int req_idempotent_record(req *r, store_conn *c, const char *key, unsigned status, const json_t *body, err *e) {
  char *text = json_text(body, NULL);
  int64_t n = store_run(c, e,
                        "INSERT INTO idempotency_keys (user_id, idem_key, path, status, body, created_at)"
                        " VALUES (?, ?, ?, ?, ?, ?)",
                        "issisi", r->who.user_id, key, r->path, (int64_t)status, text, clock_now_ms());
  free(text);
  return n < 0 ? -1 : 0;
}
