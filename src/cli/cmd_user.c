/* cmd_user.c — `uniops user add` and `uniops user passwd` for operators. */
#include <inttypes.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auth/password.h"
#include "auth/policy.h"
#include "auth/rbac.h"
#include "auth/session.h"
#include "cli/cli.h"
#include "core/clock.h"
#include "modules/users/users.h"
#include "resource/resource.h"

static const char help[] =
    "usage: uniops user add USERNAME --org ID --role R[,R] --password-stdin [--name DISPLAY] [--db URL]\n"
    "       uniops user passwd USERNAME --password-stdin [--db URL]\n"
    "\n"
    "add     creates a user in organisation ID with the given roles (they must fit the\n"
    "        organisation's party); the password is read from the first line of stdin\n"
    "        and must meet the password policy; the user must change it at first login.\n"
    "passwd  sets a new password (read from stdin), unlocks the account, ends its\n"
    "        sessions, and requires a change at the next login.\n"
    "\n"
    "roles: sysadmin secadmin auditor manager (management); dept_admin requester (customer);\n"
    "       supervisor (supervision); service_desk engineer provider_manager (service).\n";

int cli_user_insert(store_conn *c, json_t *body, int must_change, int64_t *id, err *e) {
  static const char *const extra[] = {"roles", "password", NULL};
  json_t *internal = json_object(), *rec = NULL;
  int rc = -1;
  if (res_validate(&user_desc, body, 1, extra, e) != 0 || users_prepare_new(c, body, internal, 1, e) != 0) goto out;
  json_object_set_new(internal, "must_change_password", json_integer(must_change));
  if (res_insert(c, &user_desc, body, internal, id, e) != 0 || res_get(c, &user_desc, *id, &rec, e) != 0) goto out;
  users_decorate(rec);
  rc = cli_audit(c, "create", "user", *id, NULL, rec, e);
out:
  json_decref(internal);
  json_decref(rec);
  return rc;
}

static int user_passwd(store_conn *c, const char *username, const char *pw, err *e) {
  security_policy pol;
  if (policy_load(c, &pol, e) != 0 || password_check_policy(pol.password_min_length, pol.password_min_classes, pw, "password", e) != 0) return -1;
  int64_t id = 0;
  int q = store_query_int(c, e, &id, "SELECT id FROM users WHERE username = ?", "s", username);
  if (q < 0) return -1;
  if (q == STORE_DONE) return err_set(e, ERR_not_found, "username", "no user '%s'", username);
  char hash[256];
  if (password_hash(pw, hash, sizeof hash) != 0) return err_set(e, ERR_internal, NULL, "hashing failed");
  int64_t now = clock_now_ms();
  if (store_run(c, e,
                "UPDATE users SET password_hash = ?, must_change_password = 1, failed_logins = 0, locked_until = 0,"
                " password_changed_at = ?, version = version + 1, updated_at = ? WHERE id = ?",
                "siii", hash, now, now, id) < 0 ||
      session_revoke_user(c, id, e) < 0)
    return -1;
  json_t *a = json_pack("{s:b, s:b}", "password_reset", 1, "must_change_password", 1);
  int rc = cli_audit(c, "reset_password", "user", id, NULL, a, e);
  json_decref(a);
  return rc;
}

int cmd_user(int argc, char **argv) {
  cli_opt opts[] = {{"org", 1, NULL},  {"role", 1, NULL}, {"password-stdin", 0, NULL},
                    {"name", 1, NULL}, {"db", 1, NULL}};
  int n = 5, npos = 2;
  const char *pos[2];
  int rc = cli_parse(argc, argv, opts, n, pos, &npos);
  if (rc == 1) {
    fputs(help, stdout);
    return EXIT_OK;
  }
  int add = npos == 2 && strcmp(pos[0], "add") == 0;
  int passwd = npos == 2 && strcmp(pos[0], "passwd") == 0;
  if (rc < 0 || (!add && !passwd) || !cli_get(opts, n, "password-stdin") ||
      (add && (!cli_get(opts, n, "org") || !cli_get(opts, n, "role"))) ||
      (passwd && (cli_get(opts, n, "org") || cli_get(opts, n, "role") || cli_get(opts, n, "name")))) {
    fputs(help, stderr);
    return EXIT_USAGE;
  }
  json_t *body = NULL;
  if (add) {
    char *end;
    long long org = strtoll(cli_get(opts, n, "org"), &end, 10);
    if (*end || org <= 0) {
      fprintf(stderr, "uniops: --org must be an organisation id\n");
      return EXIT_USAGE;
    }
    uint32_t bits;
    char bad[64];
    if (rbac_parse_roles(cli_get(opts, n, "role"), &bits, bad, sizeof bad) != 0) {
      fprintf(stderr, "uniops: unknown role '%s'\n", bad);
      return EXIT_USAGE;
    }
    json_t *roles = json_array();
    for (int i = 0; i < ROLE__COUNT; i++)
      if (bits & (1u << i)) json_array_append_new(roles, json_string(rbac_role_name((role_id)i)));
    const char *name = cli_get(opts, n, "name");
    body = json_pack("{s:s, s:s, s:I, s:o}", "username", pos[1], "display_name", name ? name : pos[1], "org_id",
                     (json_int_t)org, "roles", roles);
  }
  char pw[PASSWORD_MAX_LEN + 2];
  if (cli_read_password(pw, sizeof pw) != 0) {
    fprintf(stderr, "uniops: no password on stdin\n");
    json_decref(body);
    return EXIT_FAIL;
  }
  if (body) json_object_set_new(body, "password", json_string(pw));
  store *s = cli_open_store(cli_db_url(cli_get(opts, n, "db")), 1);
  if (!s) {
    json_decref(body);
    sodium_memzero(pw, sizeof pw);
    return EXIT_FAIL;
  }
  err e;
  err_clear(&e);
  int64_t id = 0;
  store_conn *c = store_acquire(s, &e);
  rc = !c || store_begin(c, STORE_WRITE, &e) != 0 ||
       (add ? cli_user_insert(c, body, 1, &id, &e) : user_passwd(c, pos[1], pw, &e)) != 0 || store_commit(c, &e) != 0;
  if (c) store_release(s, c);
  store_close(s);
  json_decref(body);
  sodium_memzero(pw, sizeof pw);
  if (rc) {
    fprintf(stderr, "uniops: %s%s%s\n", e.field[0] ? e.field : "", e.field[0] ? ": " : "", e.msg);
    return EXIT_FAIL;
  }
  if (add) printf("%" PRId64 "\n", id);
  return EXIT_OK;
}
