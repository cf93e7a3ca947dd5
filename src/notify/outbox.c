/* outbox.c — emitting, claiming and settling outbox rows. */
#include "notify/outbox.h"

#include <inttypes.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/clock.h"
#include "core/jsontext.h"
#include "core/secret.h"
#include "core/strbuf.h"

int outbox_filter_matches(const char *filter, const char *event) {
  const char *p = filter;
  while (*p) {
    const char *comma = strchr(p, ',');
    size_t n = comma ? (size_t)(comma - p) : strlen(p);
    while (n && *p == ' ') p++, n--;
    while (n && p[n - 1] == ' ') n--;
    if (n == 1 && p[0] == '*') return 1;
    if (n >= 2 && p[n - 1] == '*' && p[n - 2] == '.' && strncmp(event, p, n - 1) == 0) return 1;
    if (n == strlen(event) && strncmp(event, p, n) == 0) return 1;
    p += n;
    while (*p == ' ') p++;
    if (*p == ',') p++;
  }
  return 0;
}

int outbox_emit(store_conn *c, const char *event, const json_t *payload, err *e) {
  store_stmt *st = store_query(c, e, "SELECT id, events FROM webhooks WHERE active = 1", NULL);
  if (!st) return -1;
  int64_t ids[64];
  int n = 0, rc;
  while ((rc = store_step(st, e)) == STORE_ROW)
    if (n < 64 && outbox_filter_matches(store_col_text(st, 1), event)) ids[n++] = store_col_int64(st, 0);
  store_finish(st);
  if (rc < 0) return -1;
  if (!n) return 0;
  int64_t now = clock_now_ms();
  for (int i = 0; i < n; i++) {
    unsigned char raw[16];
    char did[40];
    randombytes_buf(raw, sizeof raw);
    sodium_bin2hex(did, sizeof did, raw, sizeof raw);
    json_t *p = json_deep_copy(payload);
    json_object_set_new(p, "delivery_id", json_string(did));
    json_object_set_new(p, "event", json_string(event));
    char *text = json_text(p, NULL);
    json_decref(p);
    int64_t r = store_run(c, e,
                          "INSERT INTO outbox (delivery_id, webhook_id, event, payload, status, attempts,"
                          " next_attempt_at, claimed_until, created_at) VALUES (?, ?, ?, ?, 'pending', 0, ?, 0, ?)",
                          "sissii", did, ids[i], event, text, now, now);
    free(text);
    if (r < 0) return -1;
  }
  return 0;
}

int outbox_claim(store *s, const char *instance, int64_t lease_ms, outbox_item *items, int max, err *e) {
  store_conn *c = store_acquire(s, e);
  if (!c) return -1;
  int n = -1;
  int64_t now = clock_now_ms();
  const char *sql_pg =
      "UPDATE outbox SET claimed_by = ?, claimed_until = ? WHERE id IN (SELECT id FROM outbox"
      " WHERE status = 'pending' AND next_attempt_at <= ? AND claimed_until < ? ORDER BY id LIMIT ?"
      " FOR UPDATE SKIP LOCKED) RETURNING id";
  const char *sql_lite =
      "UPDATE outbox SET claimed_by = ?, claimed_until = ? WHERE id IN (SELECT id FROM outbox"
      " WHERE status = 'pending' AND next_attempt_at <= ? AND claimed_until < ? ORDER BY id LIMIT ?) RETURNING id";
  int64_t ids[64];
  if (max > 64) max = 64;
  if (store_begin(c, STORE_WRITE, e) != 0) goto out;
  store_stmt *st = store_query(c, e, store_conn_dialect(c) == STORE_POSTGRES ? sql_pg : sql_lite, "siiii", instance,
                               now + lease_ms, now, now, (int64_t)max);
  if (!st) goto out;
  int rc, k = 0;
  while ((rc = store_step(st, e)) == STORE_ROW)
    if (k < max) ids[k++] = store_col_int64(st, 0);
  store_finish(st);
  if (rc < 0 || store_commit(c, e) != 0) goto out;
  n = 0;
  for (int i = 0; i < k; i++) {
    st = store_query(c, e,
                     "SELECT o.id, o.delivery_id, o.event, o.payload, w.kind, w.url, w.secret, o.attempts, o.webhook_id"
                     " FROM outbox o JOIN webhooks w ON w.id = o.webhook_id WHERE o.id = ?",
                     "i", ids[i]);
    if (!st) goto out;
    if (store_step(st, e) == STORE_ROW) {
      outbox_item *it = &items[n++];
      memset(it, 0, sizeof *it);
      it->id = store_col_int64(st, 0);
      snprintf(it->delivery_id, sizeof it->delivery_id, "%s", store_col_text(st, 1));
      snprintf(it->event, sizeof it->event, "%s", store_col_text(st, 2));
      it->payload = xstrdup(store_col_text(st, 3));
      snprintf(it->kind, sizeof it->kind, "%s", store_col_text(st, 4));
      it->url = secret_open(store_col_text(st, 5));
      it->secret = store_col_type(st, 6) == SCOL_NULL ? NULL : secret_open(store_col_text(st, 6));
      it->attempts = (int)store_col_int64(st, 7);
      it->webhook_id = store_col_int64(st, 8);
    }
    store_finish(st);
  }
out:
  store_rollback(c);
  store_release(s, c);
  return n;
}

int outbox_finish(store *s, const char *instance, const outbox_item *it, int ok, const char *error, err *e) {
  store_conn *c = store_acquire(s, e);
  if (!c) return -1;
  int64_t now = clock_now_ms();
  int64_t rc;
  if (ok) {
    rc = store_run(c, e,
                   "UPDATE outbox SET status = 'delivered', delivered_at = ?, attempts = attempts + 1,"
                   " last_error = NULL, claimed_until = 0 WHERE id = ? AND claimed_by = ? AND status = 'pending'",
                   "iis", now, it->id, instance);
  } else {
    int attempts = it->attempts + 1;
    /* 2, 4, 8 … seconds, at most an hour */
    int64_t backoff = (int64_t)1000 << (attempts < 12 ? attempts : 12);
    if (backoff > 3600000) backoff = 3600000;
    rc = store_run(c, e,
                   "UPDATE outbox SET status = ?, attempts = ?, next_attempt_at = ?, last_error = ?, claimed_until = 0"
                   " WHERE id = ? AND claimed_by = ? AND status = 'pending'",
                   "siisis", attempts >= OUTBOX_MAX_ATTEMPTS ? "dead" : "pending", (int64_t)attempts, now + backoff,
                   error ? error : "failed", it->id, instance);
  }
  store_release(s, c);
  return rc < 0 ? -1 : 0;
}

void outbox_item_free(outbox_item *it) {
  free(it->payload);
  free(it->url);
  free(it->secret);
  it->payload = it->url = it->secret = NULL;
}

int outbox_postpone(store *s, const char *instance, const outbox_item *it, int64_t delay_ms, err *e) {
  store_conn *c = store_acquire(s, e);
  if (!c) return -1;
  int64_t rc = store_run(c, e,
                         "UPDATE outbox SET next_attempt_at = ?, claimed_until = 0 WHERE id = ? AND claimed_by = ?"
                         " AND status = 'pending'",
                         "iis", clock_now_ms() + delay_ms, it->id, instance);
  store_release(s, c);
  return rc < 0 ? -1 : 0;
}

int64_t outbox_sent_last_minute(store *s, int64_t webhook_id, err *e) {
  store_conn *c = store_acquire(s, e);
  if (!c) return -1;
  int64_t n = 0;
  int rc = store_query_int(c, e, &n, "SELECT COUNT(*) FROM outbox WHERE webhook_id = ? AND delivered_at >= ?", "ii",
                           webhook_id, clock_now_ms() - 60000);
  store_release(s, c);
  return rc < 0 ? -1 : n;
}
