/* test_audit_chain.c — unit tests of the audit hash chain: the canonical hash is stable
 * and sensitive to every field, and verify catches edits, deletions and insertions in a
 * real (temporary SQLite) store. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "audit/audit.h"
#include "auth/password.h"
#include "store/migrations.h"

static audit_row base_row(void) {
  audit_row r = {.seq = 3, .at = 1764034200000, .actor_id = 7, .actor_org_id = 2, .actor_name = "sysadmin",
                 .ip = "127.0.0.1", .request_id = "abc", .action = "update", .resource = "org", .resource_id = "5",
                 .before_json = "{\"name\":\"a\"}", .after_json = "{\"name\":\"b\"}",
                 .prev_hash = "0000000000000000000000000000000000000000000000000000000000000000"};
  return r;
}

static void test_hash_is_deterministic_hex(void **state) {
  audit_row r = base_row();
  char a[AUDIT_HASH_HEX], b[AUDIT_HASH_HEX];
  audit_hash(&r, a);
  audit_hash(&r, b);
  assert_string_equal(a, b);
  assert_int_equal(strlen(a), 64);
  assert_int_equal(strspn(a, "0123456789abcdef"), 64);
}

static void test_every_field_matters(void **state) {
  char ref[AUDIT_HASH_HEX], h[AUDIT_HASH_HEX];
  audit_row r = base_row();
  audit_hash(&r, ref);
#define MUT(stmt)         \
  do {                    \
    r = base_row();       \
    stmt;                 \
    audit_hash(&r, h);    \
    assert_string_not_equal(ref, h); \
  } while (0)
  MUT(r.seq = 4);
  MUT(r.at++);
  MUT(r.actor_id = 8);
  MUT(r.actor_org_id = 0);
  MUT(r.actor_name = "sysadmiN");
  MUT(r.ip = "127.0.0.2");
  MUT(r.request_id = "abd");
  MUT(r.action = "create");
  MUT(r.resource = "user");
  MUT(r.resource_id = "50");
  MUT(r.before_json = NULL);
  MUT(r.after_json = "{\"name\":\"c\"}");
  MUT(r.prev_hash = "1000000000000000000000000000000000000000000000000000000000000000");
  /* NULL and empty string differ; moving bytes between fields changes the hash */
  MUT(r.before_json = "");
  MUT((r.resource = "orgs", r.resource_id = ""));
#undef MUT
}

/* A store with n audit records. */
static store *make_store(char *path, int n) {
  snprintf(path, 64, "/tmp/uniops-audit-test-%d.db", (int)getpid());
  unlink(path);
  char url[80];
  snprintf(url, sizeof url, "sqlite:%s", path);
  err e;
  store *s = store_open(url, 1, &e);
  assert_non_null(s);
  int applied;
  assert_int_equal(store_migrate(s, &applied, &e), 0);
  store_conn *c = store_acquire(s, &e);
  for (int i = 0; i < n; i++) {
    assert_int_equal(store_begin(c, STORE_WRITE, &e), 0);
    json_t *after = json_pack("{s:i}", "n", i);
    audit_entry en = {.actor_name = "cli:test", .ip = "", .request_id = "", .action = "create",
                      .resource = "thing", .resource_id = "1", .after = after};
    assert_int_equal(audit_write(c, &en, &e), 0);
    json_decref(after);
    assert_int_equal(store_commit(c, &e), 0);
  }
  store_release(s, c);
  return s;
}

static void tamper(store *s, const char *sql) {
  err e;
  store_conn *c = store_acquire(s, &e);
  assert_int_equal(store_exec_script(c, sql, &e), 0);
  store_release(s, c);
}

static int64_t verify(store *s, char *why) {
  int64_t count, bad;
  err e;
  audit_verify(s, &count, &bad, why, 256, &e);
  return bad;
}

static void test_verify_detects_tampering(void **state) {
  char path[64], why[256];
  store *s = make_store(path, 6);
  assert_int_equal(verify(s, why), 0);

  tamper(s, "UPDATE audit_log SET after_json = '{\"n\":99}' WHERE seq = 3");
  assert_int_equal(verify(s, why), 3);
  assert_non_null(strstr(why, "altered"));
  store_close(s);

  s = make_store(path, 6);
  tamper(s, "DELETE FROM audit_log WHERE seq = 4");
  assert_int_equal(verify(s, why), 4);
  assert_non_null(strstr(why, "missing"));
  store_close(s);

  s = make_store(path, 6);
  tamper(s, "DELETE FROM audit_log WHERE seq = 6");
  assert_int_equal(verify(s, why), 6);
  store_close(s);

  /* a forged record appended with a correct-looking link but no key to the head */
  s = make_store(path, 6);
  tamper(s, "INSERT INTO audit_log SELECT seq + 1, at, actor_id, actor_name, actor_org_id, ip, request_id,"
            " action, resource, resource_id, before_json, after_json, hash, hash FROM audit_log WHERE seq = 6");
  assert_int_equal(verify(s, why), 7);
  store_close(s);

  /* a record squeezed into the middle: the sequence no longer lines up */
  s = make_store(path, 6);
  tamper(s, "UPDATE audit_log SET seq = seq + 10 WHERE seq >= 4");
  assert_int_equal(verify(s, why), 4);
  store_close(s);
  unlink(path);
}

int main(void) {
  password_init();
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_hash_is_deterministic_hex),
      cmocka_unit_test(test_every_field_matters),
      cmocka_unit_test(test_verify_detects_tampering),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
