/* test_jsontext.c — unit tests of the compact JSON writer (src/core/jsontext.c): known
 * texts, escapes, integer limits, depth, and byte-for-byte agreement with jansson's
 * json_dumps(JSON_COMPACT | JSON_ENCODE_ANY) over thousands of generated values. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/jsontext.h"

/* Both writers on v: ours must equal jansson's. */
static void agree(json_t *v) {
  char *want = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
  size_t len = 0;
  char *got = json_text(v, &len);
  assert_non_null(want);
  assert_non_null(got);
  assert_string_equal(got, want);
  assert_int_equal(len, strlen(want));
  free(want);
  free(got);
}

static void expect(json_t *v, const char *want) {
  char *got = json_text(v, NULL);
  assert_non_null(got);
  assert_string_equal(got, want);
  free(got);
  agree(v);
  json_decref(v);
}

static void test_known_texts(void **state) {
  (void)state;
  expect(json_object(), "{}");
  expect(json_array(), "[]");
  expect(json_null(), "null");
  expect(json_true(), "true");
  expect(json_false(), "false");
  expect(json_integer(0), "0");
  expect(json_integer(-42), "-42");
  expect(json_integer(INT64_MAX), "9223372036854775807");
  expect(json_integer(INT64_MIN), "-9223372036854775808");
  expect(json_real(1.5), "1.5");
  expect(json_real(2.0), "2.0");
  /* insertion order, no spaces */
  expect(json_pack("{s:i, s:s, s:[i, n, b]}", "z", 1, "a", "工单", "m", 2, 0), "{\"z\":1,\"a\":\"工单\",\"m\":[2,null,false]}");
}

static void test_escapes(void **state) {
  (void)state;
  expect(json_string("a\"b\\c"), "\"a\\\"b\\\\c\"");
  expect(json_string("\b\f\n\r\t"), "\"\\b\\f\\n\\r\\t\"");
  expect(json_string("\x01\x1f"), "\"\\u0001\\u001F\"");
  expect(json_string("/ slash kept"), "\"/ slash kept\"");
  expect(json_stringn("nul\0inside", 10), "\"nul\\u0000inside\"");
  /* UTF-8 passes through, 4-byte sequences included */
  expect(json_string("市政务 😀 \xe2\x80\xa8"), "\"市政务 😀 \xe2\x80\xa8\"");
  /* keys are escaped the same way */
  json_t *o = json_object();
  json_object_set_new(o, "k\"\n", json_integer(1));
  expect(o, "{\"k\\\"\\n\":1}");
}

static void test_too_deep(void **state) {
  (void)state;
  json_t *root = json_array(), *cur = root;
  for (int i = 0; i < 600; i++) {
    json_t *next = json_array();
    json_array_append_new(cur, next);
    cur = next;
  }
  assert_null(json_text(root, NULL));
  json_decref(root);
  assert_null(json_text(NULL, NULL));
}

/* A deterministic pseudo-random generator, so a failure reproduces. */
static uint64_t rng = 0x9e3779b97f4a7c15ULL;
static uint32_t next_rand(void) {
  rng ^= rng << 13;
  rng ^= rng >> 7;
  rng ^= rng << 17;
  return (uint32_t)(rng >> 11);
}

static json_t *random_string(void) {
  static const char *const pieces[] = {"a", "Z", "0", " ", "\"", "\\", "/", "\n", "\t", "\x01", "\x1f", "\x7f",
                                       "é", "工", "单", "😀", "\xe2\x80\xa8", "{}", "[", ":", ","};
  char buf[128];
  size_t n = 0, want = next_rand() % 12;
  for (size_t i = 0; i < want; i++) {
    const char *p = pieces[next_rand() % (sizeof pieces / sizeof *pieces)];
    size_t k = strlen(p);
    memcpy(buf + n, p, k);
    n += k;
  }
  if (next_rand() % 20 == 0) buf[n++] = '\0'; /* an embedded NUL now and then */
  return json_stringn(buf, n);
}

static json_t *random_value(int depth) {
  unsigned kind = next_rand() % (depth > 4 ? 6 : 8);
  switch (kind) {
  case 0: return json_null();
  case 1: return json_boolean(next_rand() % 2);
  case 2: {
    int64_t v = (int64_t)(((uint64_t)next_rand() << 32) | next_rand());
    return json_integer(next_rand() % 2 ? v : v % 1000);
  }
  case 3: return json_real((double)(int32_t)next_rand() / (double)(next_rand() % 1000 + 1));
  case 4:
  case 5: return random_string();
  case 6: {
    json_t *a = json_array();
    for (unsigned i = next_rand() % 5; i > 0; i--) json_array_append_new(a, random_value(depth + 1));
    return a;
  }
  default: {
    json_t *o = json_object();
    for (unsigned i = next_rand() % 6; i > 0; i--) {
      json_t *k = random_string();
      json_object_setn_new(o, json_string_value(k), json_string_length(k), random_value(depth + 1));
      json_decref(k);
    }
    return o;
  }
  }
}

static void test_agrees_with_jansson(void **state) {
  (void)state;
  for (int i = 0; i < 5000; i++) {
    json_t *v = random_value(0);
    agree(v);
    json_decref(v);
  }
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_known_texts),
      cmocka_unit_test(test_escapes),
      cmocka_unit_test(test_too_deep),
      cmocka_unit_test(test_agrees_with_jansson),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
