/* resource.c — the generic engine behind table-driven records. */
#include "resource/resource.h"

#include <inttypes.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/clock.h"
#include "core/jsontext.h"
#include "core/strbuf.h"
#include "resource/orgtree.h"

static const char scope_subquery[] =
    " IN (WITH RECURSIVE t(id) AS (SELECT CAST(? AS BIGINT) UNION ALL"
    " SELECT o.id FROM orgs o JOIN t ON o.parent_id = t.id) SELECT id FROM t)";

const field_desc *res_field(const resource_desc *d, const char *name) {
  for (const field_desc *f = d->fields; f->name; f++)
    if (strcmp(f->name, name) == 0) return f;
  return NULL;
}

static size_t utf8_chars(const char *s) {
  size_t n = 0;
  for (; *s; s++)
    if (((unsigned char)*s & 0xc0) != 0x80) n++;
  return n;
}

static int all_space(const char *s) {
  for (; *s; s++)
    if (*s != ' ' && *s != '\t' && *s != '\n' && *s != '\r') return 0;
  return 1;
}

static int in_list(const char *const *list, const char *s) {
  for (; list && *list; list++)
    if (strcmp(*list, s) == 0) return 1;
  return 0;
}

static const char *type_word(field_type t) {
  switch (t) {
    case FT_TEXT: return "a string";
    case FT_INT: return "an integer";
    case FT_BOOL: return "true or false";
    case FT_ENUM: return "one of the listed values";
    case FT_REF: return "the id (integer) of an existing record";
    case FT_TIME: return "an RFC 3339 time such as 2026-11-25T09:30:00+08:00";
  }
  return "?";
}

static int check_value(const field_desc *f, const json_t *v, err *e) {
  if (json_is_null(v)) {
    if (f->flags & FF_NULLABLE) return 0;
    return err_set(e, ERR_validation_failed, f->name, "%s must not be null", f->name);
  }
  switch (f->type) {
    case FT_TEXT: {
      if (!json_is_string(v)) return err_set(e, ERR_validation_failed, f->name, "%s must be a string", f->name);
      const char *s = json_string_value(v);
      if (strlen(s) != json_string_length(v))
        return err_set(e, ERR_validation_failed, f->name, "%s must not contain NUL characters", f->name);
      size_t n = utf8_chars(s);
      if ((int64_t)n < f->min || (f->max && (int64_t)n > f->max))
        return err_set(e, ERR_validation_failed, f->name, "%s must have %" PRId64 " to %" PRId64 " characters",
                       f->name, f->min, f->max);
      if (f->min > 0 && all_space(s))
        return err_set(e, ERR_validation_failed, f->name, "%s must not be blank", f->name);
      for (const unsigned char *p = (const unsigned char *)s; *p; p++)
        if (*p < 0x20 && *p != '\n' && *p != '\t')
          return err_set(e, ERR_validation_failed, f->name, "%s must not contain control characters", f->name);
      return 0;
    }
    case FT_INT:
      if (!json_is_integer(v)) return err_set(e, ERR_validation_failed, f->name, "%s must be an integer", f->name);
      if (json_integer_value(v) < f->min || json_integer_value(v) > f->max)
        return err_set(e, ERR_validation_failed, f->name, "%s must be between %" PRId64 " and %" PRId64, f->name,
                       f->min, f->max);
      return 0;
    case FT_BOOL:
      if (!json_is_boolean(v)) return err_set(e, ERR_validation_failed, f->name, "%s must be true or false", f->name);
      return 0;
    case FT_ENUM: {
      if (!json_is_string(v) || !in_list(f->enums, json_string_value(v))) {
        strbuf sb;
        sb_init(&sb);
        for (const char *const *p = f->enums; *p; p++) sb_addf(&sb, "%s%s", p == f->enums ? "" : ", ", *p);
        err_set(e, ERR_validation_failed, f->name, "%s must be one of: %s", f->name, sb.buf);
        sb_release(&sb);
        return -1;
      }
      return 0;
    }
    case FT_REF:
      if (!json_is_integer(v) || json_integer_value(v) <= 0)
        return err_set(e, ERR_validation_failed, f->name, "%s must be %s", f->name, type_word(f->type));
      return 0;
    case FT_TIME: {
      int64_t ms;
      if (!json_is_string(v) || time_parse_rfc3339(json_string_value(v), &ms) != 0)
        return err_set(e, ERR_validation_failed, f->name, "%s must be %s", f->name, type_word(f->type));
      return 0;
    }
  }
  return 0;
}

int res_validate(const resource_desc *d, const json_t *body, int creating, const char *const *extra_ok,
                 err *e) {
  const char *key;
  json_t *v;
  json_object_foreach((json_t *)body, key, v) {
    if (in_list(extra_ok, key)) continue;
    const field_desc *f = res_field(d, key);
    if (!f || (f->flags & FF_HIDDEN))
      return err_set(e, ERR_unknown_field, key, "unknown field '%s' for %s", key, d->name);
    if (creating && !(f->flags & (FF_CREATE | FF_REQUIRED)))
      return err_set(e, ERR_validation_failed, key, "%s cannot be set when creating a %s", key, d->name);
    if (!creating && !(f->flags & FF_PATCH))
      return err_set(e, ERR_validation_failed, key, "%s cannot be changed", key);
    if (check_value(f, v, e) != 0) return -1;
  }
  if (creating)
    for (const field_desc *f = d->fields; f->name; f++)
      if ((f->flags & FF_REQUIRED) && !json_object_get(body, f->name))
        return err_set(e, ERR_validation_failed, f->name, "%s is required", f->name);
  return 0;
}

static void bind_json(store_stmt *st, int idx, const field_desc *f, const json_t *v) {
  if (!v || json_is_null(v)) {
    store_bind_null(st, idx);
  } else if (json_is_string(v)) {
    int64_t ms;
    if (f && f->type == FT_TIME && time_parse_rfc3339(json_string_value(v), &ms) == 0)
      store_bind_int64(st, idx, ms);
    else
      store_bind_text(st, idx, json_string_value(v));
  } else if (json_is_boolean(v)) {
    store_bind_int64(st, idx, json_is_true(v));
  } else if (json_is_integer(v)) {
    store_bind_int64(st, idx, json_integer_value(v));
  } else {
    char *text = json_text(v, NULL);
    store_bind_text(st, idx, text);
    free(text);
  }
}

/* References must exist (and be active): a precise error beats a foreign-key failure. */
static int check_refs(store_conn *c, const resource_desc *d, const json_t *values, err *e) {
  for (const field_desc *f = d->fields; f->name; f++) {
    if (f->type != FT_REF) continue;
    json_t *v = json_object_get(values, f->name);
    if (!v || !json_is_integer(v)) continue;
    char sql[160];
    snprintf(sql, sizeof sql, "SELECT active FROM %s WHERE id = ?", f->ref_table);
    int64_t active = 0;
    int rc = store_query_int(c, e, &active, sql, "i", (int64_t)json_integer_value(v));
    if (rc < 0) return -1;
    if (rc == STORE_DONE)
      return err_set(e, ERR_validation_failed, f->name, "%s %" JSON_INTEGER_FORMAT " does not exist", f->name,
                     json_integer_value(v));
    if (!active)
      return err_set(e, ERR_validation_failed, f->name, "%s %" JSON_INTEGER_FORMAT " is deactivated", f->name,
                     json_integer_value(v));
  }
  return 0;
}

static void add_columns(strbuf *sb, const resource_desc *d) {
  sb_adds(sb, "id, version, active, created_at, updated_at");
  for (const field_desc *f = d->fields; f->name; f++)
    if (!(f->flags & FF_HIDDEN)) {
      sb_adds(sb, ", ");
      sb_adds(sb, f->name);
    }
}

static json_t *time_json(int64_t ms) {
  char buf[40];
  time_format_rfc3339(ms, buf);
  return json_string(buf);
}

/* The columns come in add_columns' order: the five common ones, then every field not
 * hidden — so the field of each column is known without looking its name up. */
static json_t *row_to_json(const resource_desc *d, store_stmt *st) {
  static const char *const common[] = {"id", "version", "active", "created_at", "updated_at"};
  json_t *o = json_object();
  int n = store_col_count(st);
  const field_desc *f = d->fields;
  for (int i = 0; i < n; i++) {
    const char *name;
    field_type type;
    if (i < 5) {
      name = common[i];
      type = i == 2 ? FT_BOOL : i >= 3 ? FT_TIME : FT_INT;
    } else {
      while (f->name && (f->flags & FF_HIDDEN)) f++;
      if (!f->name) break;
      name = f->name;
      type = f->type;
      f++;
    }
    store_coltype t = store_col_type(st, i);
    json_t *v;
    if (t == SCOL_NULL) {
      v = json_null();
    } else if (type == FT_BOOL) {
      v = json_boolean(store_col_int64(st, i) != 0);
    } else if (type == FT_TIME) {
      v = time_json(store_col_int64(st, i));
    } else if (t == SCOL_INT) {
      v = json_integer(store_col_int64(st, i));
    } else if (t == SCOL_REAL) {
      v = json_real(store_col_double(st, i));
    } else {
      v = json_string(store_col_text(st, i));
    }
    json_object_set_new(o, name, v);
  }
  return o;
}

int res_get(store_conn *c, const resource_desc *d, int64_t id, json_t **out, err *e) {
  strbuf sql;
  sb_init(&sql);
  sb_adds(&sql, "SELECT ");
  add_columns(&sql, d);
  sb_addf(&sql, " FROM %s WHERE id = ?", d->table);
  store_stmt *st = store_query(c, e, sql.buf, "i", id);
  sb_release(&sql);
  if (!st) return -1;
  int rc = store_step(st, e);
  if (rc == STORE_ROW) *out = row_to_json(d, st);
  store_finish(st);
  if (rc < 0) return -1;
  if (rc == STORE_DONE) return err_set(e, ERR_not_found, NULL, "no %s with id %" PRId64, d->name, id);
  return 0;
}

int res_insert(store_conn *c, const resource_desc *d, const json_t *values, const json_t *internal,
               int64_t *id, err *e) {
  if (check_refs(c, d, values, e) != 0) return -1;
  int64_t now = clock_now_ms();
  strbuf cols, marks;
  sb_init(&cols);
  sb_init(&marks);
  sb_adds(&cols, "version, active, created_at, updated_at");
  sb_adds(&marks, "1, 1, ?, ?");
  const char *key;
  json_t *v;
  json_object_foreach((json_t *)values, key, v) {
    if (!res_field(d, key)) continue;
    sb_addf(&cols, ", %s", key);
    sb_adds(&marks, ", ?");
  }
  json_object_foreach((json_t *)internal, key, v) {
    sb_addf(&cols, ", %s", key);
    sb_adds(&marks, ", ?");
  }
  strbuf sql;
  sb_init(&sql);
  sb_addf(&sql, "INSERT INTO %s (%s) VALUES (%s) RETURNING id", d->table, cols.buf, marks.buf);
  sb_release(&cols);
  sb_release(&marks);
  store_stmt *st = store_prepare(c, sql.buf, e);
  sb_release(&sql);
  if (!st) return -1;
  int idx = 1;
  store_bind_int64(st, idx++, now);
  store_bind_int64(st, idx++, now);
  json_object_foreach((json_t *)values, key, v) {
    const field_desc *f = res_field(d, key);
    if (f) bind_json(st, idx++, f, v);
  }
  json_object_foreach((json_t *)internal, key, v) bind_json(st, idx++, NULL, v);
  int rc = store_step(st, e);
  if (rc == STORE_ROW) *id = store_col_int64(st, 0);
  if (rc == STORE_ROW) while (store_step(st, e) == STORE_ROW) {}
  store_finish(st);
  return rc == STORE_ROW ? 0 : -1;
}

int res_update(store_conn *c, const resource_desc *d, int64_t id, int64_t expect_version, const json_t *values,
               const json_t *internal, err *e) {
  if (check_refs(c, d, values, e) != 0) return -1;
  strbuf sql;
  sb_init(&sql);
  sb_addf(&sql, "UPDATE %s SET version = version + 1, updated_at = ?", d->table);
  const char *key;
  json_t *v;
  json_object_foreach((json_t *)values, key, v) if (res_field(d, key)) sb_addf(&sql, ", %s = ?", key);
  json_object_foreach((json_t *)internal, key, v) sb_addf(&sql, ", %s = ?", key);
  sb_adds(&sql, " WHERE id = ?");
  if (expect_version) sb_adds(&sql, " AND version = ?");
  store_stmt *st = store_prepare(c, sql.buf, e);
  sb_release(&sql);
  if (!st) return -1;
  int idx = 1;
  store_bind_int64(st, idx++, clock_now_ms());
  json_object_foreach((json_t *)values, key, v) {
    const field_desc *f = res_field(d, key);
    if (f) bind_json(st, idx++, f, v);
  }
  json_object_foreach((json_t *)internal, key, v) bind_json(st, idx++, NULL, v);
  store_bind_int64(st, idx++, id);
  if (expect_version) store_bind_int64(st, idx++, expect_version);
  int rc = store_step(st, e);
  int64_t changed = rc == STORE_DONE ? store_changes(st) : 0;
  store_finish(st);
  if (rc < 0) return -1;
  if (changed == 1) return 0;
  char sqlv[128];
  snprintf(sqlv, sizeof sqlv, "SELECT version FROM %s WHERE id = ?", d->table);
  int64_t cur = 0;
  rc = store_query_int(c, e, &cur, sqlv, "i", id);
  if (rc < 0) return -1;
  if (rc == STORE_DONE) return err_set(e, ERR_not_found, NULL, "no %s with id %" PRId64, d->name, id);
  return err_set(e, ERR_version_conflict, "If-Match",
                 "%s %" PRId64 " is at version %" PRId64 ", not %" PRId64 "; reload it and try again", d->name, id,
                 cur, expect_version);
}

void res_cursor_encode(int64_t id, char out[32]) {
  char plain[24];
  int n = snprintf(plain, sizeof plain, "i%" PRId64, id);
  sodium_bin2base64(out, 32, (const unsigned char *)plain, (size_t)n, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
}

int res_cursor_decode(const char *s, int64_t *id) {
  unsigned char plain[24];
  size_t n = 0;
  if (!s || strlen(s) > 30) return -1;
  if (sodium_base642bin(plain, sizeof plain - 1, s, strlen(s), NULL, &n, NULL,
                        sodium_base64_VARIANT_URLSAFE_NO_PADDING) != 0)
    return -1;
  plain[n] = '\0';
  if (n < 2 || plain[0] != 'i') return -1;
  int64_t v = 0;
  for (size_t i = 1; i < n; i++) {
    if (plain[i] < '0' || plain[i] > '9' || i > 18) return -1;
    v = v * 10 + (plain[i] - '0');
  }
  if (v <= 0) return -1;
  *id = v;
  return 0;
}

void res_init_list_query(res_list_query *q) {
  memset(q, 0, sizeof *q);
  q->limit = 50;
}

static int parse_int(const char *s, int64_t *out) {
  if (!s || !*s || strlen(s) > 18) return -1;
  const char *p = s;
  int neg = *p == '-';
  if (neg) p++;
  if (!*p) return -1;
  int64_t v = 0;
  for (; *p; p++) {
    if (*p < '0' || *p > '9') return -1;
    v = v * 10 + (*p - '0');
  }
  *out = neg ? -v : v;
  return 0;
}

void res_query_visit(void *ctx, const char *key, const char *value) {
  res_query_parser *p = ctx;
  if (p->failed) return;
  res_list_query *q = p->q;
  const char *v = value ? value : "";
  int64_t n;
  if (in_list(p->extra_ok, key)) return;
  if (strcmp(key, "limit") == 0) {
    if (parse_int(v, &n) != 0 || n < 1 || n > 200) goto bad_limit;
    q->limit = (int)n;
  } else if (strcmp(key, "cursor") == 0) {
    if (res_cursor_decode(v, &q->after_id) != 0) {
      err_set(p->e, ERR_bad_request, "cursor", "cursor is not one this server handed out");
      p->failed = 1;
    }
  } else if (strcmp(key, "sort") == 0) {
    if (strcmp(v, "id") == 0)
      q->descending = 0;
    else if (strcmp(v, "-id") == 0)
      q->descending = 1;
    else {
      err_set(p->e, ERR_bad_request, "sort", "sort must be id or -id");
      p->failed = 1;
    }
  } else if (strcmp(key, "active") == 0) {
    if (strcmp(v, "true") == 0) {
      q->include_inactive = q->only_inactive = 0;
    } else if (strcmp(v, "false") == 0) {
      q->only_inactive = 1;
    } else if (strcmp(v, "all") == 0) {
      q->include_inactive = 1;
    } else {
      err_set(p->e, ERR_bad_request, "active", "active must be true, false or all");
      p->failed = 1;
    }
  } else if (strcmp(key, "q") == 0) {
    if (strlen(v) >= sizeof q->q) {
      err_set(p->e, ERR_bad_request, "q", "q is too long");
      p->failed = 1;
      return;
    }
    snprintf(q->q, sizeof q->q, "%s", v);
  } else {
    const field_desc *f = res_field(p->d, key);
    if (!f || !(f->flags & FF_FILTER) || (f->flags & FF_HIDDEN)) {
      err_set(p->e, ERR_bad_request, key, "unknown query parameter '%s'", key);
      p->failed = 1;
      return;
    }
    if (q->nfilters >= RES_MAX_FILTERS || strlen(v) >= sizeof q->filter_values[0]) {
      err_set(p->e, ERR_bad_request, key, "too many or too long filters");
      p->failed = 1;
      return;
    }
    if ((f->type == FT_INT || f->type == FT_REF) && parse_int(v, &n) != 0) {
      err_set(p->e, ERR_bad_request, key, "%s must be an integer", key);
      p->failed = 1;
      return;
    }
    if (f->type == FT_BOOL && strcmp(v, "true") != 0 && strcmp(v, "false") != 0) {
      err_set(p->e, ERR_bad_request, key, "%s must be true or false", key);
      p->failed = 1;
      return;
    }
    if (f->type == FT_ENUM && !in_list(f->enums, v)) {
      err_set(p->e, ERR_bad_request, key, "%s has no value '%s'", key, v);
      p->failed = 1;
      return;
    }
    q->filter_fields[q->nfilters] = f;
    snprintf(q->filter_values[q->nfilters], sizeof q->filter_values[0], "%s", v);
    q->nfilters++;
  }
  return;
bad_limit:
  err_set(p->e, ERR_bad_request, "limit", "limit must be an integer from 1 to 200");
  p->failed = 1;
}

int res_list(store_conn *c, const resource_desc *d, const res_list_query *q, json_t **out, err *e) {
  strbuf sql;
  sb_init(&sql);
  sb_adds(&sql, "SELECT ");
  add_columns(&sql, d);
  sb_addf(&sql, " FROM %s WHERE 1 = 1", d->table);
  if (q->only_inactive)
    sb_adds(&sql, " AND active = 0");
  else if (!q->include_inactive)
    sb_adds(&sql, " AND active = 1");
  for (int i = 0; i < q->nfilters; i++) sb_addf(&sql, " AND %s = ?", q->filter_fields[i]->name);
  int nsearch = 0;
  if (q->q[0]) {
    sb_adds(&sql, " AND (1 = 0");
    for (const field_desc *f = d->fields; f->name; f++)
      if (f->flags & FF_SEARCH) {
        /* LOWER on both sides: SQLite's LIKE ignores ASCII case, PostgreSQL's does not */
        sb_addf(&sql, " OR LOWER(%s) LIKE LOWER(?) ESCAPE '!'", f->name);
        nsearch++;
      }
    sb_adds(&sql, ")");
  }
  if (q->scope_org > 0) sb_addf(&sql, " AND %s%s", q->scope_column ? q->scope_column : d->scope_column, scope_subquery);
  if (q->extra_sql) sb_addf(&sql, " AND (%s)", q->extra_sql);
  if (q->after_id) sb_addf(&sql, " AND id %s ?", q->descending ? "<" : ">");
  sb_addf(&sql, " ORDER BY id %s LIMIT ?", q->descending ? "DESC" : "ASC");
  store_stmt *st = store_prepare(c, sql.buf, e);
  sb_release(&sql);
  if (!st) return -1;
  int idx = 1;
  for (int i = 0; i < q->nfilters; i++) {
    const field_desc *f = q->filter_fields[i];
    const char *v = q->filter_values[i];
    int64_t n;
    if (f->type == FT_BOOL)
      store_bind_int64(st, idx++, strcmp(v, "true") == 0);
    else if ((f->type == FT_INT || f->type == FT_REF) && parse_int(v, &n) == 0)
      store_bind_int64(st, idx++, n);
    else
      store_bind_text(st, idx++, v);
  }
  if (nsearch) {
    strbuf pat;
    sb_init(&pat);
    sb_addc(&pat, '%');
    for (const char *p = q->q; *p; p++) {
      if (*p == '%' || *p == '_' || *p == '!') sb_addc(&pat, '!');
      sb_addc(&pat, *p);
    }
    sb_addc(&pat, '%');
    for (int i = 0; i < nsearch; i++) store_bind_text(st, idx++, pat.buf);
    sb_release(&pat);
  }
  if (q->scope_org > 0) store_bind_int64(st, idx++, q->scope_org);
  for (int i = 0; i < q->nextra_binds; i++) store_bind_int64(st, idx++, q->extra_binds[i]);
  if (q->after_id) store_bind_int64(st, idx++, q->after_id);
  store_bind_int64(st, idx++, q->limit + 1); /* one extra row tells whether a next page exists */
  json_t *items = json_array();
  int rc, count = 0;
  int64_t last_id = 0;
  while ((rc = store_step(st, e)) == STORE_ROW) {
    if (count == q->limit) {
      count++;
      continue;
    }
    json_t *row = row_to_json(d, st);
    last_id = json_integer_value(json_object_get(row, "id"));
    json_array_append_new(items, row);
    count++;
  }
  store_finish(st);
  if (rc < 0) {
    json_decref(items);
    return -1;
  }
  json_t *next = json_null();
  if (count > q->limit) {
    char cur[32];
    res_cursor_encode(last_id, cur);
    next = json_string(cur);
  }
  *out = json_pack("{s:o, s:o}", "items", items, "next_cursor", next);
  return 0;
}

int res_org_in_tree(store_conn *c, int64_t root, int64_t org_id, err *e) {
  /* reads use the cached tree; what a write transaction checks comes from the database */
  if (!store_in_tx(c)) return orgtree_in_tree(c, root, org_id, e);
  int64_t n = 0;
  char sql[sizeof scope_subquery + 64];
  snprintf(sql, sizeof sql, "SELECT COUNT(*) FROM orgs WHERE id = ? AND id%s", scope_subquery);
  if (store_query_int(c, e, &n, sql, "ii", org_id, root) < 0) return -1;
  return n > 0;
}

int64_t res_org_root(store_conn *c, int64_t org_id, err *e) {
  if (!store_in_tx(c)) return orgtree_root(c, org_id, e);
  int64_t cur = org_id;
  for (int depth = 0; depth < 32; depth++) {
    store_stmt *st = store_query(c, e, "SELECT parent_id FROM orgs WHERE id = ?", "i", cur);
    if (!st) return -1;
    int rc = store_step(st, e);
    int64_t parent = rc == STORE_ROW && store_col_type(st, 0) != SCOL_NULL ? store_col_int64(st, 0) : 0;
    store_finish(st);
    if (rc < 0) return -1;
    if (!parent) return cur;
    cur = parent;
  }
  return cur;
}
