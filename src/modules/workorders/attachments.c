/* attachments.c — upload, list and download of work-order attachments. */
#include "modules/workorders/attachments.h"

#include <inttypes.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audit/audit.h"
#include "core/clock.h"
#include "core/strbuf.h"
#include "modules/workorders/workorders.h"

/* Types a browser may show inline; anything else is served as application/octet-stream. */
static const char *const inline_types[] = {"image/png", "image/jpeg", "image/gif", "application/pdf", "text/plain", NULL};

static int safe_name(const char *n) {
  size_t len = strlen(n);
  if (len == 0 || len > 200) return 0;
  for (const unsigned char *p = (const unsigned char *)n; *p; p++)
    if (*p < 0x20 || *p == '/' || *p == '\\' || *p == '"' || *p == 0x7f) return 0;
  return strcmp(n, ".") != 0 && strcmp(n, "..") != 0;
}

void wo_attach(req *r) {
  if (!req_require(r, "work_order", "comment")) return;
  int64_t id = req_param_id(r, "id");
  if (!id) return;
  const char *name = req_query(r, "name");
  if (!name || !safe_name(name)) {
    req_reply_error(r, ERR_bad_request, "name", "give the file name as ?name=… (no slashes or control characters)");
    return;
  }
  if (!r->body_len) {
    req_reply_error(r, ERR_bad_request, NULL, "the request body is the file; it is empty");
    return;
  }
  const char *ctype = req_header(r, "Content-Type");
  char type[100];
  snprintf(type, sizeof type, "%s", ctype && strlen(ctype) < sizeof type ? ctype : "application/octet-stream");
  char *semi = strchr(type, ';');
  if (semi) *semi = '\0';
  unsigned char digest[crypto_hash_sha256_BYTES];
  crypto_hash_sha256(digest, (const unsigned char *)r->body, r->body_len);
  char hex[65];
  sodium_bin2hex(hex, sizeof hex, digest, sizeof digest);
  size_t b64cap = sodium_base64_ENCODED_LEN(r->body_len, sodium_base64_VARIANT_ORIGINAL);
  char *b64 = xmalloc(b64cap);
  sodium_bin2base64(b64, b64cap, (const unsigned char *)r->body, r->body_len, sodium_base64_VARIANT_ORIGINAL);
  err e;
  err_clear(&e);
  int64_t aid = 0, now = clock_now_ms();
  store_conn *c = req_conn(r);
  if (!c) {
    free(b64);
    return;
  }
  /* visibility through the work-order GET handler's rule: load it scoped */
  json_t *rec = NULL;
  if (store_begin(c, STORE_WRITE, &e) != 0) goto fail;
  if (!(rec = wo_load_scoped(r, c, id, "comment"))) goto done;
  if (store_run(c, &e, "INSERT INTO blobs (sha256, size, data, created_at) VALUES (?, ?, ?, ?) ON CONFLICT (sha256) DO NOTHING",
                "sisi", hex, (int64_t)r->body_len, b64, now) < 0)
    goto fail;
  if (store_query_int(c, &e, &aid,
                      "INSERT INTO wo_attachments (work_order_id, sha256, name, content_type, size, uploaded_by, created_at)"
                      " VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id",
                      "isssiii", id, hex, name, type, (int64_t)r->body_len, r->who.user_id, now) != STORE_ROW)
    goto fail;
  json_t *after = json_pack("{s:I, s:s, s:s, s:I, s:s}", "attachment_id", (json_int_t)aid, "name", name, "content_type",
                            type, "size", (json_int_t)r->body_len, "sha256", hex);
  int arc = req_audit(r, c, "attach", "work_order", id, NULL, after, &e);
  if (arc != 0 || store_commit(c, &e) != 0) {
    json_decref(after);
    goto fail;
  }
  char loc[64];
  snprintf(loc, sizeof loc, "/api/v1/attachments/%" PRId64, aid);
  req_add_header(r, "Location", loc);
  req_reply(r, 201, after);
  goto done;
fail:
  req_reply_err(r, &e);
done:
  store_rollback(c);
  req_conn_done(r, c);
  json_decref(rec);
  free(b64);
}

void wo_attachments_list(req *r) {
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
                               "SELECT a.id, a.name, a.content_type, a.size, a.sha256, a.created_at, u.username"
                               " FROM wo_attachments a JOIN users u ON u.id = a.uploaded_by WHERE a.work_order_id = ?"
                               " ORDER BY a.id",
                               "i", id);
  json_t *items = json_array();
  int rc = -1;
  while (st && (rc = store_step(st, &e)) == STORE_ROW) {
    char at[40];
    time_format_rfc3339(store_col_int64(st, 5), at);
    json_array_append_new(items, json_pack("{s:I, s:s, s:s, s:I, s:s, s:s, s:s}", "id", (json_int_t)store_col_int64(st, 0),
                                           "name", store_col_text(st, 1), "content_type", store_col_text(st, 2), "size",
                                           (json_int_t)store_col_int64(st, 3), "sha256", store_col_text(st, 4),
                                           "created_at", at, "uploaded_by", store_col_text(st, 6)));
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

void attachment_get(req *r) {
  if (!req_require(r, "work_order", "read")) return;
  int64_t aid = req_param_id(r, "id");
  if (!aid) return;
  err e;
  err_clear(&e);
  store_conn *c = req_conn(r);
  if (!c) return;
  int64_t wo = 0;
  char name[256] = "", type[100] = "";
  char *b64 = NULL;
  store_stmt *st = store_query(c, &e,
                               "SELECT a.work_order_id, a.name, a.content_type, b.data FROM wo_attachments a"
                               " JOIN blobs b ON b.sha256 = a.sha256 WHERE a.id = ?",
                               "i", aid);
  int rc = st ? store_step(st, &e) : -1;
  if (rc == STORE_ROW) {
    wo = store_col_int64(st, 0);
    snprintf(name, sizeof name, "%s", store_col_text(st, 1));
    snprintf(type, sizeof type, "%s", store_col_text(st, 2));
    b64 = xstrdup(store_col_text(st, 3));
  }
  store_finish(st);
  if (rc != STORE_ROW) {
    req_conn_done(r, c);
    if (rc < 0)
      req_reply_err(r, &e);
    else
      req_reply_error(r, ERR_not_found, NULL, "no attachment %" PRId64, aid);
    return;
  }
  /* the scope of the work order decides (404 when out of scope) */
  json_t *rec = wo_load_scoped(r, c, wo, "read");
  req_conn_done(r, c);
  if (!rec) {
    free(b64);
    return;
  }
  json_decref(rec);
  size_t cap = strlen(b64), len = 0;
  unsigned char *data = xmalloc(cap + 1);
  sodium_base642bin(data, cap, b64, strlen(b64), NULL, &len, NULL, sodium_base64_VARIANT_ORIGINAL);
  free(b64);
  const char *serve = "application/octet-stream";
  for (const char *const *p = inline_types; *p; p++)
    if (!strcmp(*p, type)) serve = *p;
  /* RFC 6266/5987 filename: ASCII fallback plus the UTF-8 name percent-encoded */
  strbuf disp;
  sb_init(&disp);
  sb_adds(&disp, "attachment; filename=\"attachment\"; filename*=UTF-8''");
  for (const unsigned char *p = (const unsigned char *)name; *p; p++) {
    if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') || *p == '.' || *p == '-' ||
        *p == '_')
      sb_addc(&disp, (char)*p);
    else
      sb_addf(&disp, "%%%02X", *p);
  }
  req_add_header(r, "Content-Disposition", disp.buf);
  req_add_header(r, "Content-Security-Policy", "default-src 'none'; sandbox");
  sb_release(&disp);
  req_reply_raw(r, 200, serve, (const char *)data, len);
  free(data);
}
