/* users.c — user accounts over the generic CRUD engine, plus role assignment,
 * unlocking, session revocation and password resets. */
#include "modules/users/users.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "auth/password.h"
#include "auth/policy.h"
#include "auth/session.h"
#include "core/clock.h"
#include "http/crud.h"

static const field_desc user_fields[] = {
    {"username", FT_TEXT, FF_REQUIRED | FF_FILTER | FF_SEARCH, 3, 64, NULL, NULL},
    {"display_name", FT_TEXT, FF_REQUIRED | FF_PATCH | FF_SEARCH, 1, 100, NULL, NULL},
    {"org_id", FT_REF, FF_REQUIRED | FF_PATCH | FF_FILTER, 0, 0, NULL, "orgs"},
    {"roles", FT_TEXT, 0, 0, 0, NULL, NULL},
    {"email", FT_TEXT, FF_CREATE | FF_PATCH | FF_NULLABLE, 0, 100, NULL, NULL},
    {"phone", FT_TEXT, FF_CREATE | FF_PATCH | FF_NULLABLE, 0, 30, NULL, NULL},
    {"must_change_password", FT_BOOL, 0, 0, 0, NULL, NULL},
    {"locked_until", FT_TIME, 0, 0, 0, NULL, NULL},
    {"last_login_at", FT_TIME, FF_NULLABLE, 0, 0, NULL, NULL},
    {"password_hash", FT_TEXT, FF_HIDDEN, 0, 0, NULL, NULL},
    {NULL, 0, 0, 0, 0, NULL, NULL},
};

const resource_desc user_desc = {"user", "users", user_fields, "org_id"};

static const char *const create_extra[] = {"roles", "password", NULL};

int users_check_username(const char *u, err *e) {
  size_t n = strlen(u);
  if (n < 3 || n > 64) return err_set(e, ERR_validation_failed, "username", "username must have 3 to 64 characters");
  for (size_t i = 0; i < n; i++) {
    char ch = u[i];
    int alnum = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9');
    if (!alnum && (i == 0 || (ch != '.' && ch != '_' && ch != '-' && ch != '@')))
      return err_set(e, ERR_validation_failed, "username",
                     "username may use letters, digits and . _ - @, and must start with a letter or digit");
  }
  return 0;
}

int users_roles_from_json(const json_t *arr, uint32_t *out, err *e) {
  if (!json_is_array(arr) || json_array_size(arr) == 0 || json_array_size(arr) > 10)
    return err_set(e, ERR_validation_failed, "roles", "roles must be a non-empty array of role names");
  uint32_t bits = 0;
  size_t i;
  json_t *v;
  json_array_foreach(arr, i, v) {
    int r = json_is_string(v) ? rbac_role_from_name(json_string_value(v)) : -1;
    if (r < 0)
      return err_set(e, ERR_validation_failed, "roles", "roles[%zu] is not a known role (see GET /api/v1/roles)", i);
    if (bits & (1u << r)) return err_set(e, ERR_validation_failed, "roles", "roles[%zu] is listed twice", i);
    bits |= 1u << r;
  }
  *out = bits;
  return 0;
}

int users_check_roles(store_conn *c, int64_t org_id, uint32_t roles, err *e) {
  store_stmt *st = store_query(c, e, "SELECT party, active FROM orgs WHERE id = ?", "i", org_id);
  if (!st) return -1;
  char party[16] = "";
  int64_t active = 0;
  int rc = store_step(st, e);
  if (rc == STORE_ROW) {
    snprintf(party, sizeof party, "%s", store_col_text(st, 0));
    active = store_col_int64(st, 1);
  }
  store_finish(st);
  if (rc < 0) return -1;
  if (rc == STORE_DONE) return err_set(e, ERR_validation_failed, "org_id", "org_id %" PRId64 " does not exist", org_id);
  if (!active) return err_set(e, ERR_validation_failed, "org_id", "org_id %" PRId64 " is deactivated", org_id);
  int bad;
  if (rbac_roles_fit_party(roles, party, &bad) != 0)
    return err_set(e, ERR_validation_failed, "roles", "role %s belongs to the %s party, but the organisation is %s",
                   rbac_role_name((role_id)bad), rbac_role_party((role_id)bad), party);
  uint32_t admins = roles & ((1u << ROLE_sysadmin) | (1u << ROLE_secadmin) | (1u << ROLE_auditor));
  if (admins & (admins - 1))
    return err_set(e, ERR_validation_failed, "roles",
                   "sysadmin, secadmin and auditor are separated duties: one user may hold only one of them");
  return 0;
}

void users_decorate(json_t *rec) {
  json_t *roles = json_object_get(rec, "roles");
  if (json_is_string(roles)) {
    json_t *arr = json_array();
    uint32_t bits = 0;
    rbac_parse_roles(json_string_value(roles), &bits, NULL, 0);
    for (int i = 0; i < ROLE__COUNT; i++)
      if (bits & (1u << i)) json_array_append_new(arr, json_string(rbac_role_name((role_id)i)));
    json_object_set_new(rec, "roles", arr);
  }
  json_t *lu = json_object_get(rec, "locked_until");
  int64_t ms = 0;
  int locked = json_is_string(lu) && time_parse_rfc3339(json_string_value(lu), &ms) == 0 && ms > clock_now_ms();
  json_object_set_new(rec, "locked", json_boolean(locked));
  if (!locked && lu) json_object_set_new(rec, "locked_until", json_null());
}

static const uint32_t admin_roles = (1u << ROLE_sysadmin) | (1u << ROLE_secadmin) | (1u << ROLE_auditor);

int users_prepare_new(store_conn *c, json_t *body, json_t *internal, int allow_admin_roles, err *e) {
  if (users_check_username(json_string_value(json_object_get(body, "username")), e) != 0) return -1;
  uint32_t roles;
  if (users_roles_from_json(json_object_get(body, "roles"), &roles, e) != 0) return -1;
  if ((roles & admin_roles) && !allow_admin_roles)
    return err_set(e, ERR_forbidden, "roles", "the administrator roles are granted by the security administrator (PUT /api/v1/users/{id}/roles)");
  if (users_check_roles(c, json_integer_value(json_object_get(body, "org_id")), roles, e) != 0) return -1;
  json_t *pw = json_object_get(body, "password");
  if (!json_is_string(pw)) return err_set(e, ERR_validation_failed, "password", "password (the initial password) is required");
  security_policy pol;
  if (policy_load(c, &pol, e) != 0) return -1;
  if (password_check_policy(pol.password_min_length, pol.password_min_classes, json_string_value(pw), "password", e) != 0) return -1;
  char hash[256];
  if (password_hash(json_string_value(pw), hash, sizeof hash) != 0) return err_set(e, ERR_internal, NULL, "password hashing failed");
  char list[256];
  rbac_format_roles(roles, list, sizeof list);
  json_object_set_new(internal, "roles", json_string(list));
  json_object_set_new(internal, "password_hash", json_string(hash));
  json_object_set_new(internal, "must_change_password", json_integer(1));
  json_object_set_new(internal, "password_changed_at", json_integer(clock_now_ms()));
  json_object_del(body, "roles");
  json_object_del(body, "password");
  return 0;
}

static int before_create(req *r, store_conn *c, json_t *body, json_t *internal, err *e) {
  return users_prepare_new(c, body, internal, 0, e);
}

static int before_update(req *r, store_conn *c, const json_t *cur, json_t *body, json_t *internal, err *e) {
  json_t *org = json_object_get(body, "org_id");
  if (!org) return 0;
  uint32_t roles = 0;
  users_roles_from_json(json_object_get(cur, "roles"), &roles, NULL);
  return users_check_roles(c, json_integer_value(org), roles, e);
}

static int before_set_active(req *r, store_conn *c, const json_t *cur, int active, err *e) {
  int64_t id = json_integer_value(json_object_get(cur, "id"));
  if (!active) {
    if (id == r->who.user_id) return err_set(e, ERR_conflict, NULL, "you cannot deactivate your own account");
    if (session_revoke_user(c, id, e) < 0) return -1;
  } else {
    int64_t org_active = 0;
    if (store_query_int(c, e, &org_active, "SELECT active FROM orgs WHERE id = ?", "i",
                        (int64_t)json_integer_value(json_object_get(cur, "org_id"))) < 0)
      return -1;
    if (!org_active) return err_set(e, ERR_conflict, "org_id", "the user's organisation is deactivated");
  }
  return 0;
}

static const crud_spec spec = {
    .desc = &user_desc,
    .create_extra = create_extra,
    .before_create = before_create,
    .before_update = before_update,
    .before_set_active = before_set_active,
    .decorate = users_decorate,
};

void users_list(req *r) { crud_list(r, &spec); }
void users_get(req *r) { crud_get(r, &spec); }
void users_create(req *r) { crud_create(r, &spec); }
void users_patch(req *r) { crud_patch(r, &spec); }
void users_deactivate(req *r) { crud_set_active(r, &spec, 0); }
void users_activate(req *r) { crud_set_active(r, &spec, 1); }

/* The shape shared by the user actions below: permission, id, optional If-Match, body,
 * transaction, the action itself, audit, commit, reply with the record. */
typedef int (*user_action_fn)(req *r, store_conn *c, const json_t *cur, const json_t *body, json_t *internal,
                              json_t **audit_before, json_t **audit_after, err *e);

static void run_user_action(req *r, const char *perm, const char *audit_action, int needs_body, int needs_if_match,
                            user_action_fn fn) {
  data_scope scope = req_require(r, "user", perm);
  if (!scope) return;
  int64_t id = req_param_id(r, "id");
  if (!id) return;
  int64_t version = 0;
  if ((needs_if_match || req_header(r, "If-Match")) && !(version = req_if_match(r))) return;
  json_t *body = NULL;
  if (needs_body && !(body = req_json_body(r))) return;
  if (!needs_body && r->body_len) {
    req_reply_error(r, ERR_bad_request, NULL, "this action takes no body");
    return;
  }
  err e;
  err_clear(&e);
  json_t *cur = NULL, *after = NULL, *ab = NULL, *aa = NULL, *internal = json_object();
  store_conn *c = req_conn(r);
  if (!c) goto done;
  if (store_begin(c, STORE_WRITE, &e) != 0) goto fail;
  if (!(cur = crud_load_scoped(r, c, &spec, id, scope))) goto done;
  users_decorate(cur);
  if (fn(r, c, cur, body, internal, &ab, &aa, &e) != 0) goto fail;
  if (res_update(c, &user_desc, id, version, NULL, internal, &e) != 0) goto fail;
  if (res_get(c, &user_desc, id, &after, &e) != 0) goto fail;
  users_decorate(after);
  if (req_audit(r, c, audit_action, "user", id, ab, aa, &e) != 0) goto fail;
  if (store_commit(c, &e) != 0) goto fail;
  req_etag(r, after);
  req_reply(r, 200, after);
  after = NULL;
  goto done;
fail:
  req_reply_err(r, &e);
done:
  if (c) store_rollback(c);
  req_conn_done(r, c);
  json_decref(body);
  json_decref(cur);
  json_decref(after);
  json_decref(ab);
  json_decref(aa);
  json_decref(internal);
}

static int only_keys(const json_t *body, const char *const *keys, err *e) {
  const char *k;
  json_t *v;
  json_object_foreach((json_t *)body, k, v) {
    int ok = 0;
    for (const char *const *p = keys; *p; p++) ok |= strcmp(*p, k) == 0;
    if (!ok) return err_set(e, ERR_unknown_field, k, "unknown field '%s'", k);
  }
  for (const char *const *p = keys; *p; p++)
    if (!json_object_get(body, *p)) return err_set(e, ERR_validation_failed, *p, "%s is required", *p);
  return 0;
}

static int do_put_roles(req *r, store_conn *c, const json_t *cur, const json_t *body, json_t *internal, json_t **ab,
                        json_t **aa, err *e) {
  static const char *const keys[] = {"roles", NULL};
  if (only_keys(body, keys, e) != 0) return -1;
  uint32_t roles;
  if (users_roles_from_json(json_object_get(body, "roles"), &roles, e) != 0) return -1;
  if (users_check_roles(c, json_integer_value(json_object_get(cur, "org_id")), roles, e) != 0) return -1;
  int64_t id = json_integer_value(json_object_get(cur, "id"));
  if (id == r->who.user_id && !(roles & (1u << ROLE_secadmin)))
    return err_set(e, ERR_conflict, "roles", "you cannot take the secadmin role from yourself");
  char list[256];
  rbac_format_roles(roles, list, sizeof list);
  json_object_set_new(internal, "roles", json_string(list));
  *ab = json_pack("{s:O}", "roles", json_object_get(cur, "roles"));
  *aa = json_pack("{s:O}", "roles", json_object_get(body, "roles"));
  /* sessions carry no role copy (roles are read per request), so nothing to revoke */
  return 0;
}

static int do_unlock(req *r, store_conn *c, const json_t *cur, const json_t *body, json_t *internal, json_t **ab,
                     json_t **aa, err *e) {
  json_object_set_new(internal, "locked_until", json_integer(0));
  json_object_set_new(internal, "failed_logins", json_integer(0));
  *ab = json_pack("{s:O}", "locked", json_object_get(cur, "locked"));
  *aa = json_pack("{s:b}", "locked", 0);
  return 0;
}

static int do_revoke(req *r, store_conn *c, const json_t *cur, const json_t *body, json_t *internal, json_t **ab,
                     json_t **aa, err *e) {
  int64_t n = session_revoke_user(c, json_integer_value(json_object_get(cur, "id")), e);
  if (n < 0) return -1;
  *aa = json_pack("{s:I}", "sessions_revoked", (json_int_t)n);
  return 0;
}

/* Separation of duties: whoever could set an administrator's password could act as them.
 * Administrator accounts are reset by an operator (`uniops user passwd`) only. */
static int guard_admin_target(req *r, const json_t *cur, const char *what, err *e) {
  uint32_t roles = 0;
  users_roles_from_json(json_object_get(cur, "roles"), &roles, NULL);
  if ((roles & admin_roles) && json_integer_value(json_object_get(cur, "id")) != r->who.user_id)
    return err_set(e, ERR_forbidden, NULL,
                   "an administrator account's %s is changed by an operator with the uniops CLI, not over the API",
                   what);
  return 0;
}

static int do_reset_password(req *r, store_conn *c, const json_t *cur, const json_t *body, json_t *internal,
                             json_t **ab, json_t **aa, err *e) {
  if (guard_admin_target(r, cur, "password", e) != 0) return -1;
  static const char *const keys[] = {"password", NULL};
  if (only_keys(body, keys, e) != 0) return -1;
  json_t *pw = json_object_get(body, "password");
  if (!json_is_string(pw)) return err_set(e, ERR_validation_failed, "password", "password must be a string");
  security_policy pol;
  if (policy_load(c, &pol, e) != 0) return -1;
  if (password_check_policy(pol.password_min_length, pol.password_min_classes, json_string_value(pw), "password", e) != 0) return -1;
  char hash[256];
  if (password_hash(json_string_value(pw), hash, sizeof hash) != 0) return err_set(e, ERR_internal, NULL, "password hashing failed");
  json_object_set_new(internal, "password_hash", json_string(hash));
  json_object_set_new(internal, "must_change_password", json_integer(1));
  json_object_set_new(internal, "password_changed_at", json_integer(clock_now_ms()));
  if (session_revoke_user(c, json_integer_value(json_object_get(cur, "id")), e) < 0) return -1;
  *aa = json_pack("{s:b, s:b}", "password_reset", 1, "must_change_password", 1);
  return 0;
}

void users_put_roles(req *r) { run_user_action(r, "assign_roles", "assign_roles", 1, 1, do_put_roles); }
void users_unlock(req *r) { run_user_action(r, "unlock", "unlock", 0, 0, do_unlock); }
void users_revoke_sessions(req *r) { run_user_action(r, "revoke_sessions", "revoke_sessions", 0, 0, do_revoke); }
void users_reset_password(req *r) { run_user_action(r, "reset_password", "reset_password", 1, 0, do_reset_password); }
