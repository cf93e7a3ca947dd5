/* test_router.c — unit tests of src/http/router.c: exact matching, captures, 404 vs 405. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "http/router.h"

static void h1(struct req *r) { (void)r; }
static void h2(struct req *r) { (void)r; }

static const route table[] = {
    {"GET", "/api/v1/orgs", h1, 0},
    {"POST", "/api/v1/orgs", h2, 0},
    {"GET", "/api/v1/orgs/{id}", h1, 0},
    {"POST", "/api/v1/users/{id}/roles/{role}", h2, 0},
    {"GET", "/healthz", h1, ROUTE_PUBLIC},
};
#define N (sizeof table / sizeof table[0])

static void test_literal_match(void **state) {
  route_match m;
  assert_int_equal(router_match(table, N, "GET", "/api/v1/orgs", &m), ROUTE_FOUND);
  assert_ptr_equal(m.route, &table[0]);
  assert_int_equal(m.nparams, 0);
  assert_int_equal(router_match(table, N, "POST", "/api/v1/orgs", &m), ROUTE_FOUND);
  assert_ptr_equal(m.route, &table[1]);
}

static void test_captures(void **state) {
  route_match m;
  assert_int_equal(router_match(table, N, "GET", "/api/v1/orgs/42", &m), ROUTE_FOUND);
  assert_string_equal(route_param(&m, "id"), "42");
  assert_null(route_param(&m, "nope"));
  assert_int_equal(router_match(table, N, "POST", "/api/v1/users/7/roles/engineer", &m), ROUTE_FOUND);
  assert_string_equal(route_param(&m, "id"), "7");
  assert_string_equal(route_param(&m, "role"), "engineer");
}

static void test_not_found_and_bad_method(void **state) {
  route_match m;
  assert_int_equal(router_match(table, N, "GET", "/api/v1/nothing", &m), ROUTE_NOT_FOUND);
  assert_int_equal(router_match(table, N, "DELETE", "/api/v1/orgs", &m), ROUTE_BAD_METHOD);
  assert_int_equal(router_match(table, N, "PUT", "/api/v1/orgs/3", &m), ROUTE_BAD_METHOD);
  assert_null(m.route);
}

static void test_exact_spelling(void **state) {
  route_match m;
  /* trailing slash, doubled slash, empty capture, extra segment, prefix: all unknown */
  assert_int_equal(router_match(table, N, "GET", "/api/v1/orgs/", &m), ROUTE_NOT_FOUND);
  assert_int_equal(router_match(table, N, "GET", "/api//v1/orgs", &m), ROUTE_NOT_FOUND);
  assert_int_equal(router_match(table, N, "GET", "/api/v1/orgs/1/x", &m), ROUTE_NOT_FOUND);
  assert_int_equal(router_match(table, N, "GET", "/api/v1/org", &m), ROUTE_NOT_FOUND);
  assert_int_equal(router_match(table, N, "GET", "/healthzz", &m), ROUTE_NOT_FOUND);
  assert_int_equal(router_match(table, N, "GET", "", &m), ROUTE_NOT_FOUND);
  assert_int_equal(router_match(table, N, "GET", "healthz", &m), ROUTE_NOT_FOUND);
}

static void test_overlong_capture_rejected(void **state) {
  char path[400];
  memset(path, 0, sizeof path);
  strcpy(path, "/api/v1/orgs/");
  memset(path + strlen(path), '9', ROUTER_MAX_PARAM_LEN + 5);
  route_match m;
  assert_int_equal(router_match(table, N, "GET", path, &m), ROUTE_NOT_FOUND);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_literal_match),        cmocka_unit_test(test_captures),
      cmocka_unit_test(test_not_found_and_bad_method), cmocka_unit_test(test_exact_spelling),
      cmocka_unit_test(test_overlong_capture_rejected),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
