/* calendars.c — calendar records: the document is validated by caldoc_parse and stored in
 * its canonical rendering, so what GET returns is exactly what the maths uses. */
#include "modules/calendar/calendars.h"

#include <inttypes.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "audit/audit.h"
#include "core/clock.h"
#include "core/strbuf.h"
#include "http/crud.h"
#include "modules/calendar/caldoc.h"

static const field_desc calendar_fields[] = {
    {"name", FT_TEXT, FF_SEARCH, 1, 100, NULL, NULL},
    {"doc", FT_TEXT, FF_HIDDEN, 0, 0, NULL, NULL},
    {NULL, 0, 0, 0, 0, NULL, NULL},
};
static const resource_desc calendar_desc = {"calendar", "calendars", calendar_fields, "id"};

/* The stored document plus the record's bookkeeping, the shape GET returns. */
static int load_record(store_conn *c, int64_t id, json_t **out, err *e) {
  store_stmt *st = store_query(c, e, "SELECT doc, version, active, updated_at FROM calendars WHERE id = ?", "i", id);
  if (!st) return -1;
  int rc = store_step(st, e);
  if (rc == STORE_ROW) {
    json_t *doc = json_loads(store_col_text(st, 0), 0, NULL);
    if (!doc) doc = json_object();
    char at[40];
    time_format_rfc3339(store_col_int64(st, 3), at);
    json_object_set_new(doc, "id", json_integer(id));
    json_object_set_new(doc, "version", json_integer(store_col_int64(st, 1)));
    json_object_set_new(doc, "active", json_boolean(store_col_int64(st, 2)));
    json_object_set_new(doc, "updated_at", json_string(at));
    *out = doc;
  }
  store_finish(st);
  if (rc < 0) return -1;
  if (rc == STORE_DONE) return err_set(e, ERR_not_found, NULL, "no calendar with id %" PRId64, id);
  return 0;
}

/* Parsed calendars, keyed by id and record version. Parsing the JSON document was over half
 * of a work-order GET (docs/benchmarks.md); the version check is one indexed read, so an edit
 * made through any instance is seen at once. Callers get their own copy to free. */
#define CAL_CACHE 16
static pthread_mutex_t cache_mu = PTHREAD_MUTEX_INITIALIZER;
static struct {
  int64_t id, version;
  cal_calendar cal;
} cache[CAL_CACHE];
static unsigned cache_next;

static void copy_calendar(cal_calendar *dst, const cal_calendar *src) {
  *dst = *src;
  dst->holidays = src->nholidays ? xmalloc(src->nholidays * sizeof *src->holidays) : NULL;
  dst->workdays = src->nworkdays ? xmalloc(src->nworkdays * sizeof *src->workdays) : NULL;
  if (src->nholidays) memcpy(dst->holidays, src->holidays, src->nholidays * sizeof *src->holidays);
  if (src->nworkdays) memcpy(dst->workdays, src->workdays, src->nworkdays * sizeof *src->workdays);
}

static int cache_get(int64_t id, int64_t version, cal_calendar *out) {
  int hit = 0;
  pthread_mutex_lock(&cache_mu);
  for (int i = 0; i < CAL_CACHE && !hit; i++)
    if (cache[i].id == id && cache[i].version == version) {
      copy_calendar(out, &cache[i].cal);
      hit = 1;
    }
  pthread_mutex_unlock(&cache_mu);
  return hit;
}

static void cache_put(int64_t id, int64_t version, const cal_calendar *cal) {
  pthread_mutex_lock(&cache_mu);
  unsigned slot = cache_next++ % CAL_CACHE;
  for (unsigned i = 0; i < CAL_CACHE; i++)
    if (cache[i].id == id) slot = i; /* replace the older version of the same calendar */
  if (cache[slot].id) caldoc_free(&cache[slot].cal);
  cache[slot].id = id;
  cache[slot].version = version;
  copy_calendar(&cache[slot].cal, cal);
  pthread_mutex_unlock(&cache_mu);
}

int calendars_load(store_conn *c, int64_t id, cal_calendar *out, err *e) {
  int64_t version = 0;
  int rc = store_query_int(c, e, &version, "SELECT version FROM calendars WHERE id = ?", "i", id);
  if (rc < 0) return -1;
  if (rc == STORE_DONE) return err_set(e, ERR_not_found, "calendar_id", "no calendar with id %" PRId64, id);
  if (cache_get(id, version, out)) return 0;
  store_stmt *st = store_query(c, e, "SELECT doc, version FROM calendars WHERE id = ?", "i", id);
  if (!st) return -1;
  rc = store_step(st, e);
  json_t *doc = rc == STORE_ROW ? json_loads(store_col_text(st, 0), 0, NULL) : NULL;
  if (rc == STORE_ROW) version = store_col_int64(st, 1);
  store_finish(st);
  if (rc < 0) return -1;
  if (rc == STORE_DONE) return err_set(e, ERR_not_found, "calendar_id", "no calendar with id %" PRId64, id);
  char name[CALDOC_NAME_BUF];
  rc = doc ? caldoc_parse(doc, out, name, sizeof name, e) : err_set(e, ERR_internal, NULL, "stored calendar is damaged");
  json_decref(doc);
  if (rc == 0) cache_put(id, version, out);
  return rc;
}

/* Parses and renders back: the canonical text to store and its name. */
static char *canonical(const json_t *doc, char *name, size_t cap, err *e) {
  cal_calendar cal;
  memset(&cal, 0, sizeof cal);
  if (caldoc_parse(doc, &cal, name, cap, e) != 0) return NULL;
  json_t *r = caldoc_render(&cal, name);
  caldoc_free(&cal);
  char *text = json_dumps(r, JSON_COMPACT);
  json_decref(r);
  return text;
}

int calendars_insert(store_conn *c, const json_t *doc, int64_t *id, json_t **stored, err *e) {
  char name[CALDOC_NAME_BUF];
  char *text = canonical(doc, name, sizeof name, e);
  if (!text) return -1;
  int64_t now = clock_now_ms();
  store_stmt *st = store_query(c, e,
                               "INSERT INTO calendars (name, doc, active, version, created_at, updated_at)"
                               " VALUES (?, ?, 1, 1, ?, ?) RETURNING id",
                               "ssii", name, text, now, now);
  free(text);
  if (!st) return -1;
  int rc = store_step(st, e);
  if (rc == STORE_ROW) *id = store_col_int64(st, 0);
  store_finish(st);
  if (rc != STORE_ROW) {
    if (e && e->code == ERR_conflict) err_set(e, ERR_conflict, "name", "a calendar named '%s' already exists", name);
    return -1;
  }
  return load_record(c, *id, stored, e);
}

static void decorate(json_t *rec) { json_object_del(rec, "doc"); }
static const crud_spec spec = {.desc = &calendar_desc, .decorate = decorate};

void calendars_list(req *r) { crud_list(r, &spec); }
void calendars_deactivate(req *r) { crud_set_active(r, &spec, 0); }
void calendars_activate(req *r) { crud_set_active(r, &spec, 1); }

void calendars_get(req *r) {
  if (!req_require(r, "calendar", "read")) return;
  int64_t id = req_param_id(r, "id");
  if (!id) return;
  err e;
  err_clear(&e);
  store_conn *c = req_conn(r);
  if (!c) return;
  json_t *rec = NULL;
  int rc = load_record(c, id, &rec, &e);
  req_conn_done(r, c);
  if (rc != 0) {
    req_reply_err(r, &e);
    return;
  }
  req_etag(r, rec);
  req_reply(r, 200, rec);
}

void calendars_create(req *r) {
  if (!req_require(r, "calendar", "create")) return;
  json_t *body = req_json_body(r);
  if (!body) return;
  err e;
  err_clear(&e);
  json_t *rec = NULL;
  int64_t id = 0;
  store_conn *c = req_conn(r);
  if (!c) goto done;
  if (store_begin(c, STORE_WRITE, &e) != 0 || calendars_insert(c, body, &id, &rec, &e) != 0 ||
      req_audit(r, c, "create", "calendar", id, NULL, rec, &e) != 0 || store_commit(c, &e) != 0) {
    req_reply_err(r, &e);
    goto done;
  }
  req_etag(r, rec);
  req_reply(r, 201, rec);
  rec = NULL;
done:
  if (c) store_rollback(c);
  req_conn_done(r, c);
  json_decref(rec);
  json_decref(body);
}

void calendars_put(req *r) {
  if (!req_require(r, "calendar", "update")) return;
  int64_t id = req_param_id(r, "id");
  if (!id) return;
  int64_t version = req_if_match(r);
  if (!version) return;
  json_t *body = req_json_body(r);
  if (!body) return;
  err e;
  err_clear(&e);
  json_t *before = NULL, *after = NULL, *db = NULL, *da = NULL;
  char name[CALDOC_NAME_BUF];
  char *text = NULL;
  store_conn *c = req_conn(r);
  if (!c) goto done;
  if (!(text = canonical(body, name, sizeof name, &e))) goto fail;
  if (store_begin(c, STORE_WRITE, &e) != 0 || load_record(c, id, &before, &e) != 0) goto fail;
  int64_t n = store_run(c, &e,
                        "UPDATE calendars SET name = ?, doc = ?, version = version + 1, updated_at = ?"
                        " WHERE id = ? AND version = ?",
                        "ssiii", name, text, clock_now_ms(), id, version);
  if (n < 0) goto fail;
  if (n == 0) {
    err_set(&e, ERR_version_conflict, "If-Match", "calendar %" PRId64 " is at version %" JSON_INTEGER_FORMAT
            ", not %" PRId64 "; reload it and try again", id, json_integer_value(json_object_get(before, "version")), version);
    goto fail;
  }
  if (load_record(c, id, &after, &e) != 0) goto fail;
  audit_diff(before, after, &db, &da);
  if (req_audit(r, c, "update", "calendar", id, db, da, &e) != 0 || store_commit(c, &e) != 0) goto fail;
  req_etag(r, after);
  req_reply(r, 200, after);
  after = NULL;
  goto done;
fail:
  req_reply_err(r, &e);
done:
  if (c) store_rollback(c);
  req_conn_done(r, c);
  free(text);
  json_decref(body);
  json_decref(before);
  json_decref(after);
  json_decref(db);
  json_decref(da);
}

typedef struct time_args {
  const char *names[2];
  const char *values[2];
  err *e;
  int failed;
} time_args;

static void visit(void *ctx, const char *k, const char *v) {
  time_args *a = ctx;
  if (a->failed) return;
  for (int i = 0; i < 2; i++)
    if (strcmp(k, a->names[i]) == 0) {
      a->values[i] = v ? v : "";
      return;
    }
  err_set(a->e, ERR_bad_request, k, "unknown query parameter '%s'", k);
  a->failed = 1;
}

/* Shared by due and elapsed: permission, id, the two query arguments, the calendar. */
static int prepare(req *r, time_args *a, cal_calendar *cal, err *e) {
  if (!req_require(r, "calendar", "read")) return -1;
  int64_t id = req_param_id(r, "id");
  if (!id) return -1;
  a->e = e;
  req_each_query(r, visit, a);
  if (a->failed) {
    req_reply_err(r, e);
    return -1;
  }
  for (int i = 0; i < 2; i++)
    if (!a->values[i]) {
      req_reply_error(r, ERR_bad_request, a->names[i], "%s is required", a->names[i]);
      return -1;
    }
  store_conn *c = req_conn(r);
  if (!c) return -1;
  int rc = calendars_load(c, id, cal, e);
  req_conn_done(r, c);
  if (rc != 0) {
    req_reply_err(r, e);
    return -1;
  }
  return 0;
}

void calendars_due(req *r) {
  err e;
  err_clear(&e);
  time_args a = {.names = {"start", "duration_s"}};
  cal_calendar cal;
  memset(&cal, 0, sizeof cal);
  if (prepare(r, &a, &cal, &e) != 0) return;
  int64_t start, dur_s;
  if (cal_parse_rfc3339(a.values[0], &start, &e) != 0) {
    snprintf(e.field, sizeof e.field, "start");
    e.code = ERR_bad_request;
    req_reply_err(r, &e);
  } else if (cal_parse_duration(a.values[1], &dur_s, &e) != 0) {
    snprintf(e.field, sizeof e.field, "duration_s");
    e.code = ERR_bad_request;
    req_reply_err(r, &e);
  } else {
    int64_t due = cal_add(&cal, start, dur_s * 1000);
    if (due < 0) {
      req_reply_error(r, ERR_validation_failed, "calendar", "this calendar has no working time");
    } else {
      char s[32], d[32];
      cal_format_rfc3339(start, s);
      cal_format_rfc3339(due, d);
      req_reply(r, 200, json_pack("{s:s, s:I, s:s}", "start", s, "duration_s", (json_int_t)dur_s, "due", d));
    }
  }
  caldoc_free(&cal);
}

void calendars_elapsed(req *r) {
  err e;
  err_clear(&e);
  time_args a = {.names = {"from", "to"}};
  cal_calendar cal;
  memset(&cal, 0, sizeof cal);
  if (prepare(r, &a, &cal, &e) != 0) return;
  int64_t from, to;
  if (cal_parse_rfc3339(a.values[0], &from, &e) != 0 || cal_parse_rfc3339(a.values[1], &to, &e) != 0) {
    e.code = ERR_bad_request;
    req_reply_err(r, &e);
  } else if (to < from) {
    req_reply_error(r, ERR_bad_request, "to", "to must not be before from");
  } else {
    int64_t ms = cal_elapsed(&cal, from, to);
    req_reply(r, 200, json_pack("{s:I, s:I}", "elapsed_s", (json_int_t)(ms / 1000), "elapsed_ms", (json_int_t)ms));
  }
  caldoc_free(&cal);
}
