/* sla_terms.c — validation and target selection for SLA agreement terms. */
#include "modules/sla/sla_terms.h"

#include <stdio.h>
#include <string.h>

#include "modules/calendar/calmath.h"

static const char *const priorities[] = {"P1", "P2", "P3", "P4"};
static const char *const metrics[] = {
#define X(name, label) #name,
    SLA_METRICS(X)
#undef X
};

#define MAX_TARGET_S (10LL * 365 * 24 * 3600)

static int only_keys(const json_t *o, const char *const *keys, int n, const char *path, err *e) {
  const char *k;
  json_t *v;
  json_object_foreach((json_t *)o, k, v) {
    int ok = 0;
    for (int i = 0; i < n; i++) ok |= strcmp(keys[i], k) == 0;
    if (!ok) {
      char f[128];
      snprintf(f, sizeof f, "%s%s%s", path, *path ? "." : "", k);
      return err_set(e, ERR_unknown_field, f, "unknown field '%s'", f);
    }
  }
  return 0;
}

static int check_target(const json_t *t, const char *path, err *e) {
  static const char *const keys[] = {"response_s", "arrival_s", "resolution_s"};
  if (!json_is_object(t)) return err_set(e, ERR_validation_failed, path, "%s must be an object", path);
  if (only_keys(t, keys, 3, path, e) != 0) return -1;
  int64_t v[3] = {0, 0, 0};
  for (int i = 0; i < 3; i++) {
    json_t *x = json_object_get(t, keys[i]);
    char f[96];
    snprintf(f, sizeof f, "%s.%s", path, keys[i]);
    if (!x || json_is_null(x)) {
      if (i == 1) continue; /* arrival is optional: remote services have none */
      return err_set(e, ERR_validation_failed, f, "%s is required", f);
    }
    if (!json_is_integer(x) || json_integer_value(x) < 1 || json_integer_value(x) > MAX_TARGET_S)
      return err_set(e, ERR_validation_failed, f, "%s must be a whole number of seconds from 1 to %lld", f,
                     (long long)MAX_TARGET_S);
    v[i] = json_integer_value(x);
  }
  if (v[0] > v[2])
    return err_set(e, ERR_validation_failed, path, "%s: response_s cannot exceed resolution_s", path);
  if (v[1] && (v[1] < v[0] || v[1] > v[2]))
    return err_set(e, ERR_validation_failed, path, "%s: arrival_s must lie between response_s and resolution_s", path);
  return 0;
}

/* A targets object: all four priorities (full) or any subset (partial). */
static int check_targets(const json_t *t, int full, const char *path, err *e) {
  if (!json_is_object(t) || json_object_size(t) == 0)
    return err_set(e, ERR_validation_failed, path, full ? "%s must give P1, P2, P3 and P4" : "%s must give at least one priority", path);
  if (only_keys(t, priorities, 4, path, e) != 0) return -1;
  for (int i = 0; i < 4; i++) {
    json_t *x = json_object_get(t, priorities[i]);
    char f[80];
    snprintf(f, sizeof f, "%s.%s", path, priorities[i]);
    if (!x) {
      if (full) return err_set(e, ERR_validation_failed, f, "%s is required", f);
      continue;
    }
    if (check_target(x, f, e) != 0) return -1;
  }
  return 0;
}

static int check_date(const json_t *o, const char *key, const char *path, int32_t *days, err *e) {
  char f[96];
  snprintf(f, sizeof f, "%s%s%s", path, *path ? "." : "", key);
  json_t *v = json_object_get(o, key);
  if (!json_is_string(v) || cal_parse_date(json_string_value(v), days) != 0)
    return err_set(e, ERR_validation_failed, f, "%s must be a date such as 2026-10-01", f);
  return 0;
}

static int check_id(const json_t *o, const char *key, int required, const char *path, err *e) {
  char f[96];
  snprintf(f, sizeof f, "%s%s%s", path, *path ? "." : "", key);
  json_t *v = json_object_get(o, key);
  if (!v || json_is_null(v)) return required ? err_set(e, ERR_validation_failed, f, "%s is required", f) : 0;
  if (!json_is_integer(v) || json_integer_value(v) <= 0)
    return err_set(e, ERR_validation_failed, f, "%s must be the id of an existing record", f);
  return 0;
}

int sla_terms_validate(const json_t *terms, err *e) {
  static const char *const keys[] = {"valid_from", "valid_to", "calendar_id", "targets",
                                     "item_overrides", "major_guarantees", "indicators", "note"};
  if (only_keys(terms, keys, 8, "", e) != 0) return -1;
  int32_t from, to;
  if (check_date(terms, "valid_from", "", &from, e) != 0 || check_date(terms, "valid_to", "", &to, e) != 0) return -1;
  if (to < from) return err_set(e, ERR_validation_failed, "valid_to", "valid_to is before valid_from");
  if (check_id(terms, "calendar_id", 1, "", e) != 0) return -1;
  if (check_targets(json_object_get(terms, "targets"), 1, "targets", e) != 0) return -1;

  json_t *ov = json_object_get(terms, "item_overrides");
  if (ov && !json_is_null(ov)) {
    if (!json_is_array(ov) || json_array_size(ov) > 200)
      return err_set(e, ERR_validation_failed, "item_overrides", "item_overrides must be an array (at most 200)");
    size_t i, j;
    json_t *o, *p;
    json_array_foreach(ov, i, o) {
      static const char *const okeys[] = {"catalog_item_id", "targets"};
      char path[48];
      snprintf(path, sizeof path, "item_overrides[%zu]", i);
      if (!json_is_object(o)) return err_set(e, ERR_validation_failed, path, "%s must be an object", path);
      if (only_keys(o, okeys, 2, path, e) != 0 || check_id(o, "catalog_item_id", 1, path, e) != 0) return -1;
      char tp[64];
      snprintf(tp, sizeof tp, "%s.targets", path);
      if (check_targets(json_object_get(o, "targets"), 0, tp, e) != 0) return -1;
      json_array_foreach(ov, j, p) {
        if (j >= i) break;
        if (json_equal(json_object_get(p, "catalog_item_id"), json_object_get(o, "catalog_item_id")))
          return err_set(e, ERR_validation_failed, path, "%s overrides the same catalogue item twice", path);
      }
    }
  }

  json_t *mg = json_object_get(terms, "major_guarantees");
  if (mg && !json_is_null(mg)) {
    if (!json_is_array(mg) || json_array_size(mg) > 50)
      return err_set(e, ERR_validation_failed, "major_guarantees", "major_guarantees must be an array (at most 50)");
    size_t i, j;
    json_t *g, *h;
    json_array_foreach(mg, i, g) {
      static const char *const gkeys[] = {"name", "from", "to", "calendar_id", "targets"};
      char path[48];
      snprintf(path, sizeof path, "major_guarantees[%zu]", i);
      if (!json_is_object(g)) return err_set(e, ERR_validation_failed, path, "%s must be an object", path);
      if (only_keys(g, gkeys, 5, path, e) != 0) return -1;
      json_t *name = json_object_get(g, "name");
      if (!json_is_string(name) || json_string_length(name) < 1 || json_string_length(name) > 300) {
        char f[64];
        snprintf(f, sizeof f, "%s.name", path);
        return err_set(e, ERR_validation_failed, f, "%s needs a name", path);
      }
      int32_t gf, gt;
      if (check_date(g, "from", path, &gf, e) != 0 || check_date(g, "to", path, &gt, e) != 0) return -1;
      if (gt < gf) return err_set(e, ERR_validation_failed, path, "%s ends before it starts", path);
      if (check_id(g, "calendar_id", 0, path, e) != 0) return -1;
      char tp[64];
      snprintf(tp, sizeof tp, "%s.targets", path);
      if (check_targets(json_object_get(g, "targets"), 0, tp, e) != 0) return -1;
      json_array_foreach(mg, j, h) {
        if (j >= i) break;
        int32_t hf = 0, ht = 0;
        cal_parse_date(json_string_value(json_object_get(h, "from")), &hf);
        cal_parse_date(json_string_value(json_object_get(h, "to")), &ht);
        if (gf <= ht && hf <= gt)
          return err_set(e, ERR_validation_failed, path, "%s overlaps major_guarantees[%zu]", path, j);
      }
    }
  }

  json_t *ind = json_object_get(terms, "indicators");
  if (ind && !json_is_null(ind)) {
    if (!json_is_array(ind) || json_array_size(ind) > 20)
      return err_set(e, ERR_validation_failed, "indicators", "indicators must be an array");
    size_t i, j;
    json_t *x, *y;
    json_array_foreach(ind, i, x) {
      static const char *const ikeys[] = {"metric", "target"};
      char path[48];
      snprintf(path, sizeof path, "indicators[%zu]", i);
      if (!json_is_object(x)) return err_set(e, ERR_validation_failed, path, "%s must be an object", path);
      if (only_keys(x, ikeys, 2, path, e) != 0) return -1;
      const char *m = json_string_value(json_object_get(x, "metric"));
      int known = 0;
      for (size_t k = 0; m && k < sizeof metrics / sizeof metrics[0]; k++) known |= strcmp(metrics[k], m) == 0;
      if (!known)
        return err_set(e, ERR_validation_failed, path,
                       "%s.metric must be one of response_on_time_rate, arrival_on_time_rate, resolution_on_time_rate,"
                       " satisfaction_rate, inspection_completion_rate", path);
      json_t *t = json_object_get(x, "target");
      if (!json_is_number(t) || json_number_value(t) <= 0 || json_number_value(t) > 1)
        return err_set(e, ERR_validation_failed, path, "%s.target must be a rate above 0 and at most 1 (e.g. 0.95)", path);
      json_array_foreach(ind, j, y) {
        if (j >= i) break;
        if (json_equal(json_object_get(y, "metric"), json_object_get(x, "metric")))
          return err_set(e, ERR_validation_failed, path, "%s repeats the metric %s", path, m);
      }
    }
  }
  json_t *note = json_object_get(terms, "note");
  if (note && !json_is_null(note) && (!json_is_string(note) || json_string_length(note) > 2000))
    return err_set(e, ERR_validation_failed, "note", "note must be text of at most 2000 characters");
  return 0;
}

static void read_target(const json_t *t, sla_targets *out) {
  out->response_s = json_integer_value(json_object_get(t, "response_s"));
  out->arrival_s = json_integer_value(json_object_get(t, "arrival_s"));
  out->resolution_s = json_integer_value(json_object_get(t, "resolution_s"));
}

void sla_terms_pick(const json_t *terms, const char *priority, int32_t day, int64_t item, sla_targets *out,
                    const char **source, const char **guarantee, int64_t *calendar_id) {
  read_target(json_object_get(json_object_get(terms, "targets"), priority), out);
  *source = "agreement";
  *guarantee = NULL;
  *calendar_id = json_integer_value(json_object_get(terms, "calendar_id"));
  size_t i;
  json_t *o;
  if (item > 0) {
    json_array_foreach(json_object_get(terms, "item_overrides"), i, o) {
      json_t *t = json_object_get(json_object_get(o, "targets"), priority);
      if (json_integer_value(json_object_get(o, "catalog_item_id")) == item && t) {
        read_target(t, out);
        *source = "item_override";
      }
    }
  }
  json_array_foreach(json_object_get(terms, "major_guarantees"), i, o) {
    int32_t f = 0, t = 0;
    cal_parse_date(json_string_value(json_object_get(o, "from")), &f);
    cal_parse_date(json_string_value(json_object_get(o, "to")), &t);
    if (day < f || day > t) continue;
    json_t *tg = json_object_get(json_object_get(o, "targets"), priority);
    if (tg) {
      read_target(tg, out);
      *source = "major_guarantee";
    }
    *guarantee = json_string_value(json_object_get(o, "name"));
    json_t *cal = json_object_get(o, "calendar_id");
    if (json_is_integer(cal)) *calendar_id = json_integer_value(cal);
  }
}
