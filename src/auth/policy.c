/* policy.c — load, validate and save the security policy. */
#include "auth/policy.h"

#include <pthread.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "core/clock.h"

typedef struct {
  const char *name;
  size_t off;
  int min, max;
} policy_field;

#define F(n, lo, hi) {#n, offsetof(security_policy, n), lo, hi}
static const policy_field fields[] = {
    F(password_min_length, 8, 64), F(password_min_classes, 3, 4),  F(lockout_threshold, 3, 20),
    F(lockout_minutes, 1, 1440),   F(session_idle_minutes, 5, 240), F(session_max_hours, 1, 24),
};
#undef F
#define NFIELDS (sizeof fields / sizeof fields[0])

static pthread_mutex_t cache_mu = PTHREAD_MUTEX_INITIALIZER;
static security_policy cached;
static int64_t cached_at = -1;

void policy_defaults(security_policy *p) {
  p->password_min_length = 8;
  p->password_min_classes = 3;
  p->lockout_threshold = 5;
  p->lockout_minutes = 15;
  p->session_idle_minutes = 30;
  p->session_max_hours = 12;
  p->version = 0;
}

void policy_invalidate(void) {
  pthread_mutex_lock(&cache_mu);
  cached_at = -1;
  pthread_mutex_unlock(&cache_mu);
}

static int *field_ptr(security_policy *p, const policy_field *f) { return (int *)((char *)p + f->off); }

json_t *policy_to_json(const security_policy *p) {
  json_t *o = json_object();
  for (size_t i = 0; i < NFIELDS; i++)
    json_object_set_new(o, fields[i].name, json_integer(*field_ptr((security_policy *)p, &fields[i])));
  json_object_set_new(o, "version", json_integer(p->version));
  return o;
}

int policy_apply_json(security_policy *p, const json_t *patch, err *e) {
  const char *key;
  json_t *v;
  json_object_foreach((json_t *)patch, key, v) {
    const policy_field *f = NULL;
    for (size_t i = 0; i < NFIELDS; i++)
      if (strcmp(fields[i].name, key) == 0) f = &fields[i];
    if (!f) return err_set(e, ERR_unknown_field, key, "unknown field '%s'", key);
    if (!json_is_integer(v)) return err_set(e, ERR_validation_failed, key, "%s must be an integer", key);
    json_int_t n = json_integer_value(v);
    if (n < f->min || n > f->max)
      return err_set(e, ERR_validation_failed, key, "%s must be between %d and %d", key, f->min, f->max);
    *field_ptr(p, f) = (int)n;
  }
  return 0;
}

int policy_load(store_conn *c, security_policy *p, err *e) {
  int64_t now = clock_now_ms();
  pthread_mutex_lock(&cache_mu);
  if (cached_at >= 0 && now - cached_at < 5000 && now >= cached_at) {
    *p = cached;
    pthread_mutex_unlock(&cache_mu);
    return 0;
  }
  pthread_mutex_unlock(&cache_mu);
  policy_defaults(p);
  store_stmt *st = store_query(c, e, "SELECT value, version FROM settings WHERE key = 'security_policy'", NULL);
  if (!st) return -1;
  int rc = store_step(st, e);
  if (rc == STORE_ROW) {
    json_t *j = json_loads(store_col_text(st, 0), 0, NULL);
    if (j) policy_apply_json(p, j, NULL); /* stored values were validated when saved */
    json_decref(j);
    p->version = store_col_int64(st, 1);
  }
  store_finish(st);
  if (rc < 0) return -1;
  pthread_mutex_lock(&cache_mu);
  cached = *p;
  cached_at = now;
  pthread_mutex_unlock(&cache_mu);
  return 0;
}

int policy_save(store_conn *c, security_policy *p, int64_t expect_version, err *e) {
  json_t *j = policy_to_json(p);
  json_object_del(j, "version");
  char *text = json_dumps(j, JSON_COMPACT | JSON_SORT_KEYS);
  json_decref(j);
  int64_t n = store_run(c, e,
                        "UPDATE settings SET value = ?, version = version + 1, updated_at = ?"
                        " WHERE key = 'security_policy' AND version = ?",
                        "sii", text, clock_now_ms(), expect_version);
  free(text);
  if (n < 0) return -1;
  if (n == 0) return err_set(e, ERR_version_conflict, NULL, "the policy was changed by someone else; reload it");
  p->version = expect_version + 1;
  policy_invalidate();
  return 0;
}
