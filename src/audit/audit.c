/* audit.c — writing and verifying the hash-chained audit trail. */
#include "audit/audit.h"

#include <inttypes.h>
#include <openssl/evp.h>
#include <pthread.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/clock.h"
#include "core/jsontext.h"
#include "core/strbuf.h"
#include "notify/outbox.h"

static const char zero_hash[] = "0000000000000000000000000000000000000000000000000000000000000000";

static void add_bytes(strbuf *m, const char *s, size_t n) {
  /* "<len>:" then the bytes */
  char len[24];
  sb_add(m, len, fmt_int64(len, (int64_t)n));
  sb_addc(m, ':');
  sb_add(m, s, n);
}

static void add_field(strbuf *m, const char *s) {
  /* NULL is "-:" so it differs from the empty string "0:" */
  if (!s)
    sb_add(m, "-:", 2);
  else
    add_bytes(m, s, strlen(s));
}

static void add_int(strbuf *m, int64_t v) {
  char buf[24];
  add_bytes(m, buf, fmt_int64(buf, v));
}

/* OpenSSL's SHA-256 (SHA extensions or AVX2 where the CPU has them) rather than
 * libsodium's portable one: the same digest at a tenth of the instructions, and hashing
 * happens while the write holds the single writer. Fetched once: the implicit fetch of
 * EVP_sha256() looks the algorithm up on every call. */
static EVP_MD *sha256_md;
static pthread_once_t sha256_once = PTHREAD_ONCE_INIT;
static void fetch_sha256(void) { sha256_md = EVP_MD_fetch(NULL, "SHA256", NULL); }

void audit_hash(const audit_row *row, char out[AUDIT_HASH_HEX]) {
  strbuf m;
  sb_init(&m);
  add_field(&m, row->prev_hash);
  add_int(&m, row->seq);
  add_int(&m, row->at);
  add_int(&m, row->actor_id);
  add_field(&m, row->actor_name);
  add_int(&m, row->actor_org_id);
  add_field(&m, row->ip);
  add_field(&m, row->request_id);
  add_field(&m, row->action);
  add_field(&m, row->resource);
  add_field(&m, row->resource_id);
  add_field(&m, row->before_json);
  add_field(&m, row->after_json);
  unsigned char digest[32];
  unsigned int dlen = 0;
  pthread_once(&sha256_once, fetch_sha256);
  if (!sha256_md || EVP_Digest(m.buf, m.len, digest, &dlen, sha256_md, NULL) != 1 || dlen != sizeof digest) {
    /* cannot happen with a working libcrypto; never store a record without its hash */
    fprintf(stderr, "uniops: SHA-256 unavailable from libcrypto\n");
    abort();
  }
  sb_release(&m);
  sodium_bin2hex(out, AUDIT_HASH_HEX, digest, sizeof digest);
}

/* Compact UTF-8 in the record's own key order (jansson keeps insertion order). Earlier
 * records were written with sorted keys and \u escapes; verification hashes the stored
 * text as it is, so both forms verify. Sorting and escaping were a third of the cost of
 * writing an audit record. */
static char *dump(const json_t *j) { return json_text(j, NULL); }

int audit_write(store_conn *c, const audit_entry *en, err *e) {
  int rc = -1;
  char prev[AUDIT_HASH_HEX] = "", hash[AUDIT_HASH_HEX];
  char *before = dump(en->before), *after = dump(en->after);
  /* Reading the head row first serialises concurrent writers: on PostgreSQL by its row
   * lock (FOR UPDATE), on SQLite by the one writer. One UPDATE then moves the head: an
   * UPDATE … RETURNING costs SQLite a temporary table on every audited write. */
  store_stmt *st = store_query(c, e,
                               store_conn_dialect(c) == STORE_POSTGRES
                                   ? "SELECT seq, hash FROM audit_head WHERE id = 1 FOR UPDATE"
                                   : "SELECT seq, hash FROM audit_head WHERE id = 1",
                               NULL);
  if (!st) goto out;
  int step = store_step(st, e);
  if (step != STORE_ROW) {
    store_finish(st);
    if (step == STORE_DONE) err_set(e, ERR_internal, NULL, "the audit trail has no head row");
    goto out;
  }
  audit_row row = {0};
  row.seq = store_col_int64(st, 0) + 1;
  snprintf(prev, sizeof prev, "%s", store_col_text(st, 1));
  store_finish(st);
  row.at = clock_now_ms();
  row.actor_id = en->actor ? en->actor->user_id : 0;
  row.actor_org_id = en->actor ? en->actor->org_id : 0;
  row.actor_name = en->actor ? en->actor->username : (en->actor_name ? en->actor_name : "");
  row.ip = en->ip ? en->ip : "";
  row.request_id = en->request_id ? en->request_id : "";
  row.action = en->action;
  row.resource = en->resource;
  row.resource_id = en->resource_id ? en->resource_id : "";
  row.before_json = before;
  row.after_json = after;
  row.prev_hash = prev;
  audit_hash(&row, hash);
  if (store_run(c, e,
                "INSERT INTO audit_log (seq, at, actor_id, actor_name, actor_org_id, ip, request_id,"
                " action, resource, resource_id, before_json, after_json, prev_hash, hash)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                "iiisissssssss" "s", row.seq, row.at, row.actor_id, row.actor_name, row.actor_org_id,
                row.ip, row.request_id, row.action, row.resource, row.resource_id, before, after, prev,
                hash) < 0)
    goto out;
  if (store_run(c, e, "UPDATE audit_head SET seq = ?, hash = ? WHERE id = 1", "is", row.seq, hash) < 0) goto out;
  /* Every audited change is also an event for subscribers, in the same transaction. */
  char event[96], at[40];
  snprintf(event, sizeof event, "%s.%s", row.resource, row.action);
  time_format_rfc3339(row.at, at);
  json_t *payload = json_pack("{s:s, s:s, s:s, s:s, s:s, s:I, s:O?, s:O?}", "resource", row.resource, "resource_id",
                              row.resource_id, "action", row.action, "actor", row.actor_name, "occurred_at", at,
                              "audit_seq", (json_int_t)row.seq, "before", en->before, "after", en->after);
  int erc = outbox_emit(c, event, payload, e);
  json_decref(payload);
  if (erc != 0) goto out;
  rc = 0;
  if (en->after_text) {
    *en->after_text = after;
    after = NULL;
  }
out:
  free(before);
  free(after);
  return rc;
}

void audit_diff(const json_t *before, const json_t *after, json_t **b, json_t **a) {
  *b = json_object();
  *a = json_object();
  const char *key;
  json_t *v;
  json_object_foreach((json_t *)after, key, v) {
    /* bookkeeping columns change on every write; they are not what changed */
    if (strcmp(key, "version") == 0 || strcmp(key, "updated_at") == 0) continue;
    json_t *old = json_object_get(before, key);
    if (!old || !json_equal(old, v)) {
      json_object_set(*b, key, old ? old : json_null());
      json_object_set(*a, key, v);
    }
  }
}

int audit_verify(store *s, int64_t *count, int64_t *bad_seq, char *why, unsigned why_cap, err *e) {
  int rc = -1;
  *count = 0;
  *bad_seq = 0;
  why[0] = '\0';
  store_conn *c = store_acquire(s, e);
  if (!c) return -1;
  /* one read transaction: a consistent snapshot even while a server writes */
  if (store_begin(c, STORE_READ, e) != 0) goto out;
  int64_t head_seq = 0;
  char head_hash[AUDIT_HASH_HEX] = "";
  store_stmt *st = store_query(c, e, "SELECT seq, hash FROM audit_head WHERE id = 1", NULL);
  if (!st) goto out;
  if (store_step(st, e) == STORE_ROW) {
    head_seq = store_col_int64(st, 0);
    snprintf(head_hash, sizeof head_hash, "%s", store_col_text(st, 1));
  }
  store_finish(st);
  st = store_query(c, e,
                   "SELECT seq, at, actor_id, actor_name, actor_org_id, ip, request_id, action, resource,"
                   " resource_id, before_json, after_json, prev_hash, hash FROM audit_log ORDER BY seq",
                   NULL);
  if (!st) goto out;
  char prev[AUDIT_HASH_HEX];
  snprintf(prev, sizeof prev, "%s", zero_hash);
  int64_t expect = 1;
  int step;
  while ((step = store_step(st, e)) == STORE_ROW) {
    audit_row row = {
        .seq = store_col_int64(st, 0),
        .at = store_col_int64(st, 1),
        .actor_id = store_col_type(st, 2) == SCOL_NULL ? 0 : store_col_int64(st, 2),
        .actor_name = store_col_text(st, 3),
        .actor_org_id = store_col_type(st, 4) == SCOL_NULL ? 0 : store_col_int64(st, 4),
        .ip = store_col_text(st, 5),
        .request_id = store_col_text(st, 6),
        .action = store_col_text(st, 7),
        .resource = store_col_text(st, 8),
        .resource_id = store_col_text(st, 9),
        .before_json = store_col_text(st, 10),
        .after_json = store_col_text(st, 11),
        .prev_hash = store_col_text(st, 12),
    };
    const char *stored = store_col_text(st, 13);
    char computed[AUDIT_HASH_HEX];
    if (row.seq != expect) {
      *bad_seq = expect;
      snprintf(why, why_cap, "record %" PRId64 " is missing (next present is %" PRId64 ")", expect, row.seq);
      break;
    }
    if (strcmp(row.prev_hash, prev) != 0) {
      *bad_seq = row.seq;
      snprintf(why, why_cap, "record %" PRId64 " does not link to the record before it", row.seq);
      break;
    }
    audit_hash(&row, computed);
    if (strcmp(computed, stored) != 0) {
      *bad_seq = row.seq;
      snprintf(why, why_cap, "record %" PRId64 " was altered: its content does not match its hash", row.seq);
      break;
    }
    snprintf(prev, sizeof prev, "%s", stored);
    (*count)++;
    expect++;
  }
  store_finish(st);
  if (step < 0) goto out;
  if (!*bad_seq) {
    if (*count > head_seq) {
      *bad_seq = head_seq + 1;
      snprintf(why, why_cap, "record %" PRId64 " lies beyond the last record uniops wrote (%" PRId64 "): inserted by hand",
               head_seq + 1, head_seq);
    } else if (*count < head_seq) {
      *bad_seq = *count + 1;
      snprintf(why, why_cap, "record %" PRId64 " is missing: the trail ends at %" PRId64 " but %" PRId64 " were written",
               *count + 1, *count, head_seq);
    } else if (head_seq > 0 && strcmp(prev, head_hash) != 0) {
      *bad_seq = head_seq;
      snprintf(why, why_cap, "the last record %" PRId64 " does not match the recorded head", head_seq);
    }
  }
  rc = *bad_seq ? -1 : 0;
  if (rc) err_set(e, ERR_conflict, NULL, "%s", why);
out:
  store_rollback(c);
  store_release(s, c);
  return rc;
}
