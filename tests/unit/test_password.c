/* test_password.c — unit tests of the password policy and argon2id hashing. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "auth/password.h"

static int check(const char *pw, int minlen, int classes, err *e) {
  err_clear(e);
  return password_check_policy(minlen, classes, pw, "new_password", e);
}

static void test_accepts_three_classes(void **state) {
  err e;
  assert_int_equal(check("Abcdefg1", 8, 3, &e), 0);   /* upper, lower, digit */
  assert_int_equal(check("abcdefg1!", 8, 3, &e), 0);  /* lower, digit, symbol */
  assert_int_equal(check("ABCDEF1!", 8, 3, &e), 0);   /* upper, digit, symbol */
  assert_int_equal(check("运维平台abc1A", 8, 3, &e), 0); /* non-ASCII counts as a symbol */
}

static void test_rejects_short(void **state) {
  err e;
  assert_int_equal(check("Ab1!", 8, 3, &e), -1);
  assert_int_equal(e.code, ERR_validation_failed);
  assert_string_equal(e.field, "new_password");
  assert_non_null(strstr(e.msg, "at least 8"));
  /* the policy can ask for more, never for fewer than 8 */
  assert_int_equal(check("Abcdefg1", 12, 3, &e), -1);
  assert_int_equal(check("Abc1!", 4, 3, &e), -1);
}

static void test_rejects_two_classes(void **state) {
  err e;
  assert_int_equal(check("abcdefgh", 8, 3, &e), -1);
  assert_int_equal(check("abcdefg1", 8, 3, &e), -1);
  assert_int_equal(check("ABCDEFGH1", 8, 3, &e), -1);
  assert_non_null(strstr(e.msg, "3 of"));
  /* four classes when asked */
  assert_int_equal(check("Abcdefg1", 8, 4, &e), -1);
  assert_int_equal(check("Abcdef1!", 8, 4, &e), 0);
}

static void test_rejects_control_and_overlong(void **state) {
  err e;
  assert_int_equal(check("Abcdef1\x01x", 8, 3, &e), -1);
  char longpw[PASSWORD_MAX_LEN + 10];
  memset(longpw, 'a', sizeof longpw - 1);
  longpw[sizeof longpw - 1] = '\0';
  longpw[0] = 'A';
  longpw[1] = '1';
  assert_int_equal(check(longpw, 8, 3, &e), -1);
}

static void test_hash_verify(void **state) {
  char h[256];
  assert_int_equal(password_init(), 0);
  assert_int_equal(password_hash("Correct-Horse-1", h, sizeof h), 0);
  assert_non_null(strstr(h, "$argon2id$"));
  assert_true(password_verify(h, "Correct-Horse-1"));
  assert_false(password_verify(h, "Correct-Horse-2"));
  assert_false(password_verify("not a hash", "Correct-Horse-1"));
  char h2[256];
  assert_int_equal(password_hash("Correct-Horse-1", h2, sizeof h2), 0);
  assert_string_not_equal(h, h2); /* salted */
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_accepts_three_classes), cmocka_unit_test(test_rejects_short),
      cmocka_unit_test(test_rejects_two_classes),   cmocka_unit_test(test_rejects_control_and_overlong),
      cmocka_unit_test(test_hash_verify),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
