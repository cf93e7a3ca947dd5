/* test_ratelimit.c — unit tests of src/http/ratelimit.c: bursts, refill over (test-clock)
 * time, Retry-After, refunds, a clock moving back, bounded memory, IPv6 keys, threads. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <pthread.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>

#include "core/clock.h"
#include "http/ratelimit.h"

static int setup(void **state) {
  clock_set_offset_ms(0);
  return 0;
}

static void test_burst_then_refused_with_retry_after(void **state) {
  ratelimit *rl = ratelimit_new(10, 10); /* 10 at once, one every 6 s */
  int64_t retry = 0;
  for (int i = 0; i < 10; i++) assert_int_equal(ratelimit_take(rl, "alice", &retry), 0);
  assert_int_equal(ratelimit_take(rl, "alice", &retry), -1);
  assert_true(retry >= 5 && retry <= 6);
  /* another key has its own bucket */
  assert_int_equal(ratelimit_take(rl, "bob", &retry), 0);
  ratelimit_free(rl);
}

static void test_refill_follows_the_clock(void **state) {
  ratelimit *rl = ratelimit_new(3, 30); /* one token every 2 s */
  for (int i = 0; i < 3; i++) assert_int_equal(ratelimit_take(rl, "k", NULL), 0);
  assert_int_equal(ratelimit_take(rl, "k", NULL), -1);
  clock_set_offset_ms(2100);
  assert_int_equal(ratelimit_take(rl, "k", NULL), 0);
  assert_int_equal(ratelimit_take(rl, "k", NULL), -1);
  clock_set_offset_ms(3600 * 1000); /* an hour: full again, but no more than the burst */
  for (int i = 0; i < 3; i++) assert_int_equal(ratelimit_take(rl, "k", NULL), 0);
  assert_int_equal(ratelimit_take(rl, "k", NULL), -1);
  /* the clock going back neither refills nor breaks anything */
  clock_set_offset_ms(0);
  assert_int_equal(ratelimit_take(rl, "k", NULL), -1);
  clock_set_offset_ms(2100);
  assert_int_equal(ratelimit_take(rl, "k", NULL), 0);
  clock_set_offset_ms(0);
  ratelimit_free(rl);
}

static void test_refund_gives_back_one_token_at_most_the_burst(void **state) {
  ratelimit *rl = ratelimit_new(2, 1);
  assert_int_equal(ratelimit_take(rl, "k", NULL), 0);
  assert_int_equal(ratelimit_take(rl, "k", NULL), 0);
  ratelimit_refund(rl, "k");
  assert_int_equal(ratelimit_take(rl, "k", NULL), 0);
  assert_int_equal(ratelimit_take(rl, "k", NULL), -1);
  ratelimit_refund(rl, "k");
  ratelimit_refund(rl, "k");
  ratelimit_refund(rl, "k");
  assert_int_equal(ratelimit_take(rl, "k", NULL), 0);
  assert_int_equal(ratelimit_take(rl, "k", NULL), 0);
  assert_int_equal(ratelimit_take(rl, "k", NULL), -1);
  ratelimit_refund(rl, "never-seen"); /* harmless */
  ratelimit_free(rl);
}

static void test_many_keys_stay_bounded_and_hot_keys_survive(void **state) {
  ratelimit *rl = ratelimit_new(1, 1);
  assert_int_equal(ratelimit_take(rl, "victim", NULL), 0);
  /* a flood of fresh keys: each starts full and, once used up, is evictable by age only */
  char key[32];
  for (int i = 0; i < 100000; i++) {
    snprintf(key, sizeof key, "k%d", i);
    assert_int_equal(ratelimit_take(rl, key, NULL), 0);
    if (i % 64 == 0) assert_int_equal(ratelimit_take(rl, "victim", NULL), -1); /* kept hot */
  }
  ratelimit_free(rl);
}

static void test_ip_keys(void **state) {
  char k[64];
  ratelimit_ip_key("192.0.2.7", k);
  assert_string_equal(k, "192.0.2.7");
  ratelimit_ip_key("::ffff:192.0.2.7", k);
  assert_string_equal(k, "192.0.2.7");
  ratelimit_ip_key("2001:db8:1:2:aaaa:bbbb:cccc:dddd", k);
  assert_string_equal(k, "2001:db8:1:2::/64");
  char k2[64];
  ratelimit_ip_key("2001:db8:1:2::1", k2);
  assert_string_equal(k, k2);
  ratelimit_ip_key("", k);
  assert_string_equal(k, "");
}

typedef struct {
  ratelimit *rl;
  int allowed;
} worker_arg;

static void *worker(void *p) {
  worker_arg *a = p;
  for (int i = 0; i < 1000; i++)
    if (ratelimit_take(a->rl, "shared", NULL) == 0) a->allowed++;
  return NULL;
}

static void test_threads_never_exceed_the_burst(void **state) {
  ratelimit *rl = ratelimit_new(100, 1); /* refill negligible during the test */
  pthread_t t[4];
  worker_arg args[4];
  for (int i = 0; i < 4; i++) {
    args[i] = (worker_arg){rl, 0};
    pthread_create(&t[i], NULL, worker, &args[i]);
  }
  int total = 0;
  for (int i = 0; i < 4; i++) {
    pthread_join(t[i], NULL);
    total += args[i].allowed;
  }
  assert_true(total >= 100 && total <= 101);
  ratelimit_free(rl);
}

int main(void) {
  if (sodium_init() < 0) return 1;
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup(test_burst_then_refused_with_retry_after, setup),
      cmocka_unit_test_setup(test_refill_follows_the_clock, setup),
      cmocka_unit_test_setup(test_refund_gives_back_one_token_at_most_the_burst, setup),
      cmocka_unit_test_setup(test_many_keys_stay_bounded_and_hot_keys_survive, setup),
      cmocka_unit_test_setup(test_ip_keys, setup),
      cmocka_unit_test_setup(test_threads_never_exceed_the_burst, setup),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
