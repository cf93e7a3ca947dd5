/* test_resource_validate.c — unit tests of table-driven JSON validation (resource.c)
 * and of the list-query parser and cursors. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "resource/resource.h"

static const char *const colours[] = {"red", "green", NULL};
static const field_desc fields[] = {
    {"name", FT_TEXT, FF_REQUIRED | FF_PATCH | FF_SEARCH, 2, 10, NULL, NULL},
    {"colour", FT_ENUM, FF_REQUIRED | FF_FILTER, 0, 0, colours, NULL},
    {"size", FT_INT, FF_CREATE | FF_PATCH | FF_FILTER, 1, 100, NULL, NULL},
    {"flag", FT_BOOL, FF_CREATE, 0, 0, NULL, NULL},
    {"parent_id", FT_REF, FF_CREATE | FF_NULLABLE, 0, 0, NULL, "things"},
    {"due_at", FT_TIME, FF_CREATE, 0, 0, NULL, NULL},
    {"secret", FT_TEXT, FF_HIDDEN, 0, 0, NULL, NULL},
    {"computed", FT_INT, 0, 0, 0, NULL, NULL},
    {NULL, 0, 0, 0, 0, NULL, NULL},
};
static const resource_desc desc = {"thing", "things", fields, "org_id"};

static int validate(const char *json, int creating, err *e) {
  json_t *j = json_loads(json, JSON_ALLOW_NUL, NULL);
  assert_non_null(j);
  err_clear(e);
  int rc = res_validate(&desc, j, creating, NULL, e);
  json_decref(j);
  return rc;
}

static void test_valid_create_and_patch(void **state) {
  err e;
  assert_int_equal(validate("{\"name\":\"ab\",\"colour\":\"red\"}", 1, &e), 0);
  assert_int_equal(validate("{\"name\":\"十个字以内的名字\",\"colour\":\"green\",\"size\":100,\"flag\":true,"
                            "\"parent_id\":null,\"due_at\":\"2026-10-01T08:30:00+08:00\"}", 1, &e), 0);
  assert_int_equal(validate("{\"size\":1}", 0, &e), 0);
  assert_int_equal(validate("{}", 0, &e), 0);
}

#define EXPECT(json, creating, want, fld)                   \
  do {                                                      \
    err e;                                                  \
    assert_int_equal(validate(json, creating, &e), -1);     \
    assert_int_equal(e.code, want);                         \
    assert_string_equal(e.field, fld);                      \
  } while (0)

static void test_errors_name_the_field(void **state) {
  EXPECT("{\"colour\":\"red\"}", 1, ERR_validation_failed, "name");          /* required */
  EXPECT("{\"name\":\"ab\",\"colour\":\"blue\"}", 1, ERR_validation_failed, "colour"); /* enum */
  EXPECT("{\"name\":\"a\",\"colour\":\"red\"}", 1, ERR_validation_failed, "name");     /* too short */
  EXPECT("{\"name\":\"abcdefghijk\",\"colour\":\"red\"}", 1, ERR_validation_failed, "name"); /* too long */
  EXPECT("{\"name\":\"   \",\"colour\":\"red\"}", 1, ERR_validation_failed, "name");   /* blank */
  EXPECT("{\"name\":12,\"colour\":\"red\"}", 1, ERR_validation_failed, "name");        /* type */
  EXPECT("{\"name\":\"ab\",\"colour\":\"red\",\"size\":\"3\"}", 1, ERR_validation_failed, "size");
  EXPECT("{\"name\":\"ab\",\"colour\":\"red\",\"size\":101}", 1, ERR_validation_failed, "size");
  EXPECT("{\"name\":\"ab\",\"colour\":\"red\",\"size\":1.5}", 1, ERR_validation_failed, "size");
  EXPECT("{\"name\":\"ab\",\"colour\":\"red\",\"flag\":1}", 1, ERR_validation_failed, "flag");
  EXPECT("{\"name\":\"ab\",\"colour\":\"red\",\"parent_id\":0}", 1, ERR_validation_failed, "parent_id");
  EXPECT("{\"name\":\"ab\",\"colour\":\"red\",\"due_at\":\"2026-02-30T00:00:00Z\"}", 1, ERR_validation_failed, "due_at");
  EXPECT("{\"name\":\"ab\",\"colour\":\"red\",\"due_at\":\"2026-10-01 08:30\"}", 1, ERR_validation_failed, "due_at");
  EXPECT("{\"name\":null,\"colour\":\"red\"}", 1, ERR_validation_failed, "name");
  EXPECT("{\"name\":\"a\\u0000b\",\"colour\":\"red\"}", 1, ERR_validation_failed, "name");
}

static void test_unknown_and_readonly_fields(void **state) {
  EXPECT("{\"name\":\"ab\",\"colour\":\"red\",\"bogus\":1}", 1, ERR_unknown_field, "bogus");
  EXPECT("{\"name\":\"ab\",\"colour\":\"red\",\"secret\":\"x\"}", 1, ERR_unknown_field, "secret");
  EXPECT("{\"name\":\"ab\",\"colour\":\"red\",\"computed\":1}", 1, ERR_validation_failed, "computed");
  EXPECT("{\"colour\":\"red\"}", 0, ERR_validation_failed, "colour"); /* not patchable */
  EXPECT("{\"flag\":true}", 0, ERR_validation_failed, "flag");
}

static void test_cursor_round_trip(void **state) {
  char c[32];
  int64_t id;
  res_cursor_encode(123456789, c);
  assert_int_equal(res_cursor_decode(c, &id), 0);
  assert_int_equal(id, 123456789);
  assert_int_equal(res_cursor_decode("", &id), -1);
  assert_int_equal(res_cursor_decode("!!!", &id), -1);
  assert_int_equal(res_cursor_decode("MTIz", &id), -1); /* "123" lacks the tag */
  assert_int_equal(res_cursor_decode("aTA", &id), -1);  /* "i0" */
}

static void visit(res_query_parser *p, const char *k, const char *v) { res_query_visit(p, k, v); }

static void test_list_query_parser(void **state) {
  err e;
  res_list_query q;
  res_init_list_query(&q);
  res_query_parser p = {.d = &desc, .q = &q, .e = &e};
  visit(&p, "limit", "20");
  visit(&p, "colour", "green");
  visit(&p, "size", "7");
  visit(&p, "sort", "-id");
  visit(&p, "q", "ab");
  assert_false(p.failed);
  assert_int_equal(q.limit, 20);
  assert_int_equal(q.nfilters, 2);
  assert_true(q.descending);
  assert_string_equal(q.q, "ab");

  const char *bad[][2] = {{"limit", "0"},     {"limit", "201"},  {"limit", "x"},  {"colour", "blue"},
                          {"size", "seven"},  {"name", "ab"} /* not a filter */, {"nope", "1"},
                          {"cursor", "zzz"},  {"sort", "name"},  {"active", "yes"}};
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    res_init_list_query(&q);
    res_query_parser p2 = {.d = &desc, .q = &q, .e = &e};
    visit(&p2, bad[i][0], bad[i][1]);
    assert_true(p2.failed);
    assert_int_equal(e.code, ERR_bad_request);
    assert_string_equal(e.field, bad[i][0]);
  }
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_valid_create_and_patch), cmocka_unit_test(test_errors_name_the_field),
      cmocka_unit_test(test_unknown_and_readonly_fields), cmocka_unit_test(test_cursor_round_trip),
      cmocka_unit_test(test_list_query_parser),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
