/* session.c — session tokens: creation, lookup with idle/absolute expiry, revocation. */
#include "auth/session.h"

#include <sodium.h>
#include <stdio.h>
#include <string.h>

#include "core/clock.h"

static void token_hash(const char *token, char out[65]) {
  unsigned char d[crypto_hash_sha256_BYTES];
  crypto_hash_sha256(d, (const unsigned char *)token, strlen(token));
  sodium_bin2hex(out, 65, d, sizeof d);
}

int session_create(store_conn *c, int64_t user_id, const char *ip, const security_policy *pol,
                   char token[SESSION_TOKEN_LEN], int64_t *session_id, int64_t *expires_at, err *e) {
  unsigned char raw[32];
  randombytes_buf(raw, sizeof raw);
  memcpy(token, "uo_", 3);
  sodium_bin2base64(token + 3, SESSION_TOKEN_LEN - 3, raw, sizeof raw, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
  char h[65];
  token_hash(token, h);
  int64_t now = clock_now_ms();
  *expires_at = now + (int64_t)pol->session_max_hours * 3600 * 1000;
  store_stmt *st = store_query(c, e,
                               "INSERT INTO sessions (token_hash, user_id, created_at, last_seen_at, expires_at, ip)"
                               " VALUES (?, ?, ?, ?, ?, ?) RETURNING id",
                               "siiiis", h, user_id, now, now, *expires_at, ip);
  if (!st) return -1;
  int rc = store_step(st, e);
  if (rc == STORE_ROW) *session_id = store_col_int64(st, 0);
  store_finish(st);
  return rc == STORE_ROW ? 0 : -1;
}

static const char principal_sql[] =
    "SELECT u.id, u.username, u.org_id, o.party, u.roles, u.must_change_password, u.active, o.active"
    " FROM users u JOIN orgs o ON o.id = u.org_id";

static int fill_principal(store_stmt *st, int col, principal *out) {
  out->user_id = store_col_int64(st, col);
  snprintf(out->username, sizeof out->username, "%s", store_col_text(st, col + 1));
  out->org_id = store_col_int64(st, col + 2);
  snprintf(out->party, sizeof out->party, "%s", store_col_text(st, col + 3));
  out->roles = 0;
  rbac_parse_roles(store_col_text(st, col + 4), &out->roles, NULL, 0);
  out->must_change_password = (int)store_col_int64(st, col + 5);
  return store_col_int64(st, col + 6) && store_col_int64(st, col + 7);
}

int session_authenticate(store_conn *c, const char *token, const security_policy *pol, principal *out,
                         err *e) {
  char h[65];
  token_hash(token, h);
  int64_t now = clock_now_ms();
  store_stmt *st = store_query(
      c, e,
      "SELECT s.id, s.last_seen_at, s.expires_at, s.revoked, u.id, u.username, u.org_id, o.party, u.roles,"
      " u.must_change_password, u.active, o.active"
      " FROM sessions s JOIN users u ON u.id = s.user_id JOIN orgs o ON o.id = u.org_id"
      " WHERE s.token_hash = ?",
      "s", h);
  if (!st) return -1;
  int rc = store_step(st, e);
  if (rc < 0) {
    store_finish(st);
    return -1;
  }
  if (rc == STORE_DONE) {
    store_finish(st);
    return err_set(e, ERR_unauthenticated, NULL, "unknown session token; log in again");
  }
  int64_t sid = store_col_int64(st, 0), last = store_col_int64(st, 1), exp = store_col_int64(st, 2);
  int revoked = (int)store_col_int64(st, 3);
  int active = fill_principal(st, 4, out);
  store_finish(st);
  out->session_id = sid;
  if (revoked) return err_set(e, ERR_unauthenticated, NULL, "this session has ended; log in again");
  if (now >= exp) return err_set(e, ERR_unauthenticated, NULL, "this session reached its maximum lifetime; log in again");
  if (now - last >= (int64_t)pol->session_idle_minutes * 60 * 1000)
    return err_set(e, ERR_unauthenticated, NULL, "this session expired after %d minutes idle; log in again",
                   pol->session_idle_minutes);
  if (!active) return err_set(e, ERR_unauthenticated, NULL, "this account or its organisation is deactivated");
  /* Refresh at most every 15 s: saves a write per request without bending the idle rule
   * by more than that. */
  if (now - last >= 15000 &&
      store_run(c, e, "UPDATE sessions SET last_seen_at = ? WHERE id = ? AND last_seen_at < ?", "iii", now, sid,
                now) < 0)
    return -1;
  return 0;
}

int64_t session_revoke(store_conn *c, int64_t session_id, err *e) {
  return store_run(c, e, "UPDATE sessions SET revoked = 1 WHERE id = ? AND revoked = 0", "i", session_id);
}

int64_t session_revoke_user(store_conn *c, int64_t user_id, err *e) {
  return store_run(c, e, "UPDATE sessions SET revoked = 1 WHERE user_id = ? AND revoked = 0", "i", user_id);
}

int principal_load(store_conn *c, int64_t user_id, principal *out, err *e) {
  char sql[sizeof principal_sql + 32];
  snprintf(sql, sizeof sql, "%s WHERE u.id = ?", principal_sql);
  store_stmt *st = store_query(c, e, sql, "i", user_id);
  if (!st) return -1;
  int rc = store_step(st, e);
  if (rc == STORE_ROW) fill_principal(st, 0, out);
  store_finish(st);
  if (rc < 0) return -1;
  if (rc == STORE_DONE) return err_set(e, ERR_not_found, NULL, "no user %lld", (long long)user_id);
  out->session_id = 0;
  return 0;
}
