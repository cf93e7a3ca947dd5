/* sessions.c — login (with lockout after repeated failures), logout, the current user
 * and the password change every new account must make first. */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "audit/audit.h"
#include "auth/password.h"
#include "auth/policy.h"
#include "auth/session.h"
#include "core/clock.h"
#include "http/ratelimit.h"
#include "modules/identity/identity.h"
#include "modules/users/users.h"
#include "resource/resource.h"

typedef struct login_user {
  int64_t id;
  char hash[256];
  int active;
  int64_t failed, locked_until;
} login_user;

static int body_strings(req *r, json_t *body, const char *const *keys, err *e) {
  const char *k;
  json_t *v;
  json_object_foreach(body, k, v) {
    int known = 0;
    for (const char *const *p = keys; *p; p++) known |= strcmp(*p, k) == 0;
    if (!known) return err_set(e, ERR_unknown_field, k, "unknown field '%s'", k);
    if (!json_is_string(v)) return err_set(e, ERR_validation_failed, k, "%s must be a string", k);
    if (json_string_length(v) > 256) return err_set(e, ERR_validation_failed, k, "%s is too long", k);
  }
  for (const char *const *p = keys; *p; p++)
    if (!json_object_get(body, *p)) return err_set(e, ERR_validation_failed, *p, "%s is required", *p);
  return 0;
}

static int audit_login(req *r, store_conn *c, const principal *who, const char *username, const char *action,
                       int64_t uid, const char *reason, err *e) {
  char idbuf[24];
  snprintf(idbuf, sizeof idbuf, "%" PRId64, uid);
  json_t *after = reason ? json_pack("{s:s}", "reason", reason) : NULL;
  audit_entry en = {.actor = who, .actor_name = username, .ip = r->ip, .request_id = r->request_id,
                    .action = action, .resource = "session", .resource_id = uid ? idbuf : "",
                    .before = NULL, .after = after};
  int rc = audit_write(c, &en, e);
  json_decref(after);
  return rc;
}

static json_t *me_json(store_conn *c, const principal *p, err *e) {
  json_t *rec = NULL;
  if (res_get(c, &user_desc, p->user_id, &rec, e) != 0) return NULL;
  users_decorate(rec);
  store_stmt *st = store_query(c, e, "SELECT name FROM orgs WHERE id = ?", "i", p->org_id);
  if (st && store_step(st, e) == STORE_ROW) json_object_set_new(rec, "org_name", json_string(store_col_text(st, 0)));
  store_finish(st);
  json_object_set_new(rec, "party", json_string(p->party));
  json_t *perms = json_array();
  for (unsigned i = 0; i < rbac_npermissions; i++) {
    const permission *pm = &rbac_permissions[i];
    if (!(p->roles & (1u << pm->role))) continue;
    char s[96];
    snprintf(s, sizeof s, "%s:%s", pm->resource, pm->action);
    int dup = 0;
    size_t j;
    json_t *v;
    json_array_foreach(perms, j, v) dup |= strcmp(json_string_value(v), s) == 0;
    if (!dup) json_array_append_new(perms, json_string(s));
  }
  json_object_set_new(rec, "permissions", perms);
  return rec;
}

void sessions_create(req *r) {
  static const char *const keys[] = {"username", "password", NULL};
  json_t *body = req_json_body(r);
  if (!body) return;
  err e;
  err_clear(&e);
  store_conn *c = NULL;
  json_t *user = NULL;
  if (body_strings(r, body, keys, &e) != 0) goto fail;
  const char *username = json_string_value(json_object_get(body, "username"));
  const char *pw = json_string_value(json_object_get(body, "password"));
  /* Throttle before any lookup: the answer must not depend on whether the account exists. */
  if (ratelimit_login_begin(r, username) != 0) goto done;
  if (!(c = req_conn(r))) goto done;
  security_policy pol;
  if (policy_load(c, &pol, &e) != 0) goto fail;

  /* Read and verify outside the write transaction: argon2id takes ~0.1 s and must not
   * hold the writer lock. The counters are then updated atomically in SQL. */
  login_user u = {0};
  store_stmt *st = store_query(c, &e,
                               "SELECT u.id, u.password_hash, u.active * o.active, u.failed_logins, u.locked_until"
                               " FROM users u JOIN orgs o ON o.id = u.org_id WHERE u.username = ?",
                               "s", username);
  if (!st) goto fail;
  int rc = store_step(st, &e);
  if (rc == STORE_ROW) {
    u.id = store_col_int64(st, 0);
    snprintf(u.hash, sizeof u.hash, "%s", store_col_text(st, 1));
    u.active = (int)store_col_int64(st, 2);
    u.failed = store_col_int64(st, 3);
    u.locked_until = store_col_int64(st, 4);
  }
  store_finish(st);
  if (rc < 0) goto fail;
  int64_t now = clock_now_ms();
  int ok = u.id && u.locked_until <= now && password_verify(u.hash, pw);

  if (store_begin(c, STORE_WRITE, &e) != 0) goto fail;
  if (!u.id || !u.active) {
    if (audit_login(r, c, NULL, username, "login_failed", u.id, u.id ? "account deactivated" : "unknown user", &e) != 0)
      goto fail;
    if (store_commit(c, &e) != 0) goto fail;
    err_set(&e, ERR_unauthenticated, NULL, "wrong username or password");
    goto fail;
  }
  if (u.locked_until > now) {
    if (audit_login(r, c, NULL, username, "login_failed", u.id, "account locked", &e) != 0) goto fail;
    if (store_commit(c, &e) != 0) goto fail;
    err_set(&e, ERR_account_locked, NULL, "too many failed logins: the account is locked for %" PRId64 " more minutes",
            (u.locked_until - now + 59999) / 60000);
    goto fail;
  }
  if (!ok) {
    /* count in SQL so concurrent failures on several instances all count */
    int64_t failed = 0;
    if (store_query_int(c, &e, &failed, "UPDATE users SET failed_logins = failed_logins + 1 WHERE id = ? RETURNING failed_logins",
                        "i", u.id) < 0)
      goto fail;
    int locked = failed >= pol.lockout_threshold;
    if (locked && store_run(c, &e, "UPDATE users SET failed_logins = 0, locked_until = ? WHERE id = ?", "ii",
                            now + (int64_t)pol.lockout_minutes * 60000, u.id) < 0)
      goto fail;
    if (audit_login(r, c, NULL, username, "login_failed", u.id, locked ? "wrong password; account locked" : "wrong password", &e) != 0)
      goto fail;
    if (store_commit(c, &e) != 0) goto fail;
    if (locked)
      err_set(&e, ERR_account_locked, NULL, "too many failed logins: the account is locked for %d minutes", pol.lockout_minutes);
    else
      err_set(&e, ERR_unauthenticated, NULL, "wrong username or password");
    goto fail;
  }
  if (store_run(c, &e, "UPDATE users SET failed_logins = 0, locked_until = 0, last_login_at = ? WHERE id = ?", "ii", now,
                u.id) < 0)
    goto fail;
  char token[SESSION_TOKEN_LEN];
  int64_t sid, exp;
  if (session_create(c, u.id, r->ip, &pol, token, &sid, &exp, &e) != 0) goto fail;
  principal who;
  if (principal_load(c, u.id, &who, &e) != 0) goto fail;
  who.session_id = sid;
  if (audit_login(r, c, &who, username, "login", u.id, NULL, &e) != 0) goto fail;
  if (!(user = me_json(c, &who, &e))) goto fail;
  if (store_commit(c, &e) != 0) goto fail;
  ratelimit_login_succeeded(r, username);
  char expbuf[40];
  time_format_rfc3339(exp, expbuf);
  req_reply(r, 201,
            json_pack("{s:s, s:s, s:i, s:b, s:O}", "token", token, "expires_at", expbuf, "idle_timeout_s",
                      pol.session_idle_minutes * 60, "must_change_password", who.must_change_password, "user", user));
  goto done;
fail:
  req_reply_err(r, &e);
done:
  if (c) store_rollback(c);
  req_conn_done(r, c);
  json_decref(user);
  json_decref(body);
}

void sessions_delete(req *r) {
  err e;
  err_clear(&e);
  store_conn *c = req_conn(r);
  if (!c) return;
  if (store_begin(c, STORE_WRITE, &e) != 0 || session_revoke(c, r->who.session_id, &e) < 0 ||
      audit_login(r, c, &r->who, r->who.username, "logout", r->who.user_id, NULL, &e) != 0 || store_commit(c, &e) != 0)
    req_reply_err(r, &e);
  else
    req_reply(r, 204, NULL);
  store_rollback(c);
  req_conn_done(r, c);
}

void me_get(req *r) {
  err e;
  err_clear(&e);
  store_conn *c = req_conn(r);
  if (!c) return;
  json_t *me = me_json(c, &r->who, &e);
  req_conn_done(r, c);
  if (!me) {
    req_reply_err(r, &e);
    return;
  }
  req_reply(r, 200, me);
}

void me_password(req *r) {
  static const char *const keys[] = {"current_password", "new_password", NULL};
  json_t *body = req_json_body(r);
  if (!body) return;
  err e;
  err_clear(&e);
  store_conn *c = NULL;
  if (body_strings(r, body, keys, &e) != 0) goto fail;
  const char *cur = json_string_value(json_object_get(body, "current_password"));
  const char *neu = json_string_value(json_object_get(body, "new_password"));
  if (!(c = req_conn(r))) goto done;
  security_policy pol;
  if (policy_load(c, &pol, &e) != 0) goto fail;
  if (password_check_policy(pol.password_min_length, pol.password_min_classes, neu, "new_password", &e) != 0) goto fail;
  if (strcmp(cur, neu) == 0) {
    err_set(&e, ERR_validation_failed, "new_password", "the new password must differ from the current one");
    goto fail;
  }
  char stored[256] = "";
  store_stmt *st = store_query(c, &e, "SELECT password_hash FROM users WHERE id = ?", "i", r->who.user_id);
  if (!st) goto fail;
  if (store_step(st, &e) == STORE_ROW) snprintf(stored, sizeof stored, "%s", store_col_text(st, 0));
  store_finish(st);
  if (!password_verify(stored, cur)) {
    err_set(&e, ERR_validation_failed, "current_password", "the current password is wrong");
    goto fail;
  }
  char hash[256];
  if (password_hash(neu, hash, sizeof hash) != 0) {
    err_set(&e, ERR_internal, NULL, "password hashing failed");
    goto fail;
  }
  if (store_begin(c, STORE_WRITE, &e) != 0) goto fail;
  if (store_run(c, &e,
                "UPDATE users SET password_hash = ?, must_change_password = 0, password_changed_at = ?,"
                " version = version + 1, updated_at = ? WHERE id = ?",
                "siii", hash, clock_now_ms(), clock_now_ms(), r->who.user_id) < 0)
    goto fail;
  /* other sessions of this user end: whoever else knew the old password is logged out */
  if (store_run(c, &e, "UPDATE sessions SET revoked = 1 WHERE user_id = ? AND id <> ? AND revoked = 0", "ii",
                r->who.user_id, r->who.session_id) < 0)
    goto fail;
  json_t *a = json_pack("{s:b, s:b}", "password_changed", 1, "must_change_password", 0);
  int arc = req_audit(r, c, "change_password", "user", r->who.user_id, NULL, a, &e);
  json_decref(a);
  if (arc != 0 || store_commit(c, &e) != 0) goto fail;
  req_reply(r, 204, NULL);
  goto done;
fail:
  req_reply_err(r, &e);
done:
  if (c) store_rollback(c);
  req_conn_done(r, c);
  json_decref(body);
}
