/* sla.c — agreements and their immutable versions; scoped reads; resolution. */
#include "modules/sla/sla.h"

#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audit/audit.h"
#include "core/clock.h"
#include "core/strbuf.h"
#include "modules/calendar/calmath.h"
#include "resource/orgtree.h"
#include "resource/resource.h"

/* --- references ---------------------------------------------------------------- */

static int check_org(store_conn *c, json_t *v, const char *field, const char *party, err *e) {
  if (!json_is_integer(v) || json_integer_value(v) <= 0)
    return err_set(e, ERR_validation_failed, field, "%s must be the id of an organisation", field);
  store_stmt *st = store_query(c, e, "SELECT party, active FROM orgs WHERE id = ?", "i", (int64_t)json_integer_value(v));
  if (!st) return -1;
  int rc = store_step(st, e);
  int ok = rc == STORE_ROW && strcmp(store_col_text(st, 0), party) == 0 && store_col_int64(st, 1);
  store_finish(st);
  if (rc < 0) return -1;
  if (!ok)
    return err_set(e, ERR_validation_failed, field, "%s must be an active organisation of the %s party", field, party);
  return 0;
}

static int check_calendar(store_conn *c, json_t *v, const char *field, err *e) {
  int64_t active = 0;
  int rc = store_query_int(c, e, &active, "SELECT active FROM calendars WHERE id = ?", "i", (int64_t)json_integer_value(v));
  if (rc < 0) return -1;
  if (rc == STORE_DONE || !active)
    return err_set(e, ERR_validation_failed, field, "%s %" JSON_INTEGER_FORMAT " is not an active calendar", field,
                   json_integer_value(v));
  return 0;
}

static int check_refs(store_conn *c, const json_t *terms, err *e) {
  if (check_calendar(c, json_object_get(terms, "calendar_id"), "calendar_id", e) != 0) return -1;
  size_t i;
  json_t *o;
  json_array_foreach(json_object_get(terms, "item_overrides"), i, o) {
    char f[64];
    snprintf(f, sizeof f, "item_overrides[%zu].catalog_item_id", i);
    store_stmt *st = store_query(c, e, "SELECT level FROM catalog_items WHERE id = ? AND active = 1", "i",
                                 (int64_t)json_integer_value(json_object_get(o, "catalog_item_id")));
    if (!st) return -1;
    int rc = store_step(st, e);
    int ok = rc == STORE_ROW && strcmp(store_col_text(st, 0), "item") == 0;
    store_finish(st);
    if (rc < 0) return -1;
    if (!ok) return err_set(e, ERR_validation_failed, f, "%s must be an active catalogue item", f);
  }
  json_array_foreach(json_object_get(terms, "major_guarantees"), i, o) {
    json_t *cal = json_object_get(o, "calendar_id");
    char f[64];
    snprintf(f, sizeof f, "major_guarantees[%zu].calendar_id", i);
    if (json_is_integer(cal) && check_calendar(c, cal, f, e) != 0) return -1;
  }
  return 0;
}

/* --- storage -------------------------------------------------------------------- */

static int insert_version(store_conn *c, int64_t agreement, int64_t no, const json_t *terms, const char *actor,
                          int64_t now, err *e) {
  char *text = json_dumps(terms, JSON_COMPACT | JSON_SORT_KEYS);
  const json_t *note = json_object_get(terms, "note");
  int64_t n = store_run(c, e,
                        "INSERT INTO sla_versions (agreement_id, version_no, valid_from, valid_to, calendar_id, terms,"
                        " effective_at, created_by, note) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                        "iissisiss", agreement, no, json_string_value(json_object_get(terms, "valid_from")),
                        json_string_value(json_object_get(terms, "valid_to")),
                        (int64_t)json_integer_value(json_object_get(terms, "calendar_id")), text, now, actor,
                        json_is_string(note) ? json_string_value(note) : NULL);
  free(text);
  return n < 0 ? -1 : 0;
}

/* Splits identity keys off a body, leaving the terms. */
static json_t *take_terms(json_t *body) {
  json_t *terms = json_copy(body);
  json_object_del(terms, "name");
  json_object_del(terms, "provider_org_id");
  json_object_del(terms, "customer_org_id");
  return terms;
}

static int check_name(const json_t *name, err *e) {
  if (!json_is_string(name) || json_string_length(name) < 1 || json_string_length(name) > 300)
    return err_set(e, ERR_validation_failed, "name", "name must be text of 1 to 100 characters");
  return 0;
}

int sla_insert(store_conn *c, const char *actor, json_t *body, int64_t *id, err *e) {
  int rc = -1;
  json_t *terms = take_terms(body);
  json_t *cust = json_object_get(body, "customer_org_id");
  if (check_name(json_object_get(body, "name"), e) != 0) goto out;
  if (check_org(c, json_object_get(body, "provider_org_id"), "provider_org_id", "service", e) != 0) goto out;
  if (cust && !json_is_null(cust) && check_org(c, cust, "customer_org_id", "customer", e) != 0) goto out;
  if (sla_terms_validate(terms, e) != 0 || check_refs(c, terms, e) != 0) goto out;
  int64_t now = clock_now_ms();
  store_stmt *st = store_query(c, e,
                               "INSERT INTO sla_agreements (name, provider_org_id, customer_org_id, current_version,"
                               " active, version, created_at, updated_at) VALUES (?, ?, ?, 1, 1, 1, ?, ?) RETURNING id",
                               NULL);
  if (!st) goto out;
  store_bind_text(st, 1, json_string_value(json_object_get(body, "name")));
  store_bind_int64(st, 2, json_integer_value(json_object_get(body, "provider_org_id")));
  if (json_is_integer(cust))
    store_bind_int64(st, 3, json_integer_value(cust));
  else
    store_bind_null(st, 3);
  store_bind_int64(st, 4, now);
  store_bind_int64(st, 5, now);
  int s = store_step(st, e);
  if (s == STORE_ROW) *id = store_col_int64(st, 0);
  store_finish(st);
  if (s != STORE_ROW) {
    if (e && e->code == ERR_conflict) err_set(e, ERR_conflict, "name", "an agreement with this name already exists");
    goto out;
  }
  rc = insert_version(c, *id, 1, terms, actor, now, e);
out:
  json_decref(terms);
  return rc;
}

/* The agreement record with the terms of one version (0 = current). */
static int load(store_conn *c, int64_t id, int64_t version_no, json_t **out, err *e) {
  store_stmt *st = store_query(
      c, e,
      "SELECT a.id, a.name, a.provider_org_id, a.customer_org_id, a.current_version, a.active, a.version,"
      " a.created_at, a.updated_at, v.id, v.version_no, v.terms, v.effective_at, v.superseded_at, v.created_by"
      " FROM sla_agreements a JOIN sla_versions v ON v.agreement_id = a.id"
      " AND v.version_no = CASE WHEN ? = 0 THEN a.current_version ELSE ? END WHERE a.id = ?",
      "iii", version_no, version_no, id);
  if (!st) return -1;
  int rc = store_step(st, e);
  if (rc == STORE_ROW) {
    json_t *o = json_loads(store_col_text(st, 11), 0, NULL);
    if (!o) o = json_object();
    char ca[40], ua[40], ea[40], sa[40];
    time_format_rfc3339(store_col_int64(st, 7), ca);
    time_format_rfc3339(store_col_int64(st, 8), ua);
    time_format_rfc3339(store_col_int64(st, 12), ea);
    json_object_set_new(o, "id", json_integer(store_col_int64(st, 0)));
    json_object_set_new(o, "name", json_string(store_col_text(st, 1)));
    json_object_set_new(o, "provider_org_id", json_integer(store_col_int64(st, 2)));
    json_object_set_new(o, "customer_org_id",
                        store_col_type(st, 3) == SCOL_NULL ? json_null() : json_integer(store_col_int64(st, 3)));
    json_object_set_new(o, "current_version", json_integer(store_col_int64(st, 4)));
    json_object_set_new(o, "active", json_boolean(store_col_int64(st, 5)));
    json_object_set_new(o, "version", json_integer(store_col_int64(st, 6)));
    json_object_set_new(o, "created_at", json_string(ca));
    json_object_set_new(o, "updated_at", json_string(ua));
    json_object_set_new(o, "sla_version_id", json_integer(store_col_int64(st, 9)));
    json_object_set_new(o, "version_no", json_integer(store_col_int64(st, 10)));
    json_object_set_new(o, "effective_at", json_string(ea));
    if (store_col_type(st, 13) == SCOL_NULL) {
      json_object_set_new(o, "superseded_at", json_null());
    } else {
      time_format_rfc3339(store_col_int64(st, 13), sa);
      json_object_set_new(o, "superseded_at", json_string(sa));
    }
    json_object_set_new(o, "created_by", json_string(store_col_text(st, 14)));
    *out = o;
  }
  store_finish(st);
  if (rc < 0) return -1;
  if (rc == STORE_DONE) {
    if (version_no) return err_set(e, ERR_not_found, NULL, "no version %" PRId64 " of agreement %" PRId64, version_no, id);
    return err_set(e, ERR_not_found, NULL, "no agreement %" PRId64, id);
  }
  return 0;
}

/* --- scope ---------------------------------------------------------------------- */

/* May the principal read this agreement? Management and supervision read all; a provider
 * its own (org tree); a customer its own (org tree) and the every-customer ones. */
static int can_read(req *r, store_conn *c, const json_t *rec, data_scope scope, err *e) {
  if (scope == SCOPE_ALL) return 1;
  if (strcmp(r->who.party, "service") == 0) {
    int64_t root = res_org_root(c, r->who.org_id, e);
    return root < 0 ? -1 : res_org_in_tree(c, root, json_integer_value(json_object_get(rec, "provider_org_id")), e);
  }
  json_t *cust = json_object_get(rec, "customer_org_id");
  if (json_is_null(cust)) return 1;
  /* a department's agreement covers its sub-departments too (as resolution does) */
  int in = res_org_in_tree(c, r->who.org_id, json_integer_value(cust), e);
  if (in != 0) return in;
  return res_org_in_tree(c, json_integer_value(cust), r->who.org_id, e);
}

static json_t *load_scoped(req *r, store_conn *c, int64_t id, int64_t no, data_scope scope) {
  err e;
  err_clear(&e);
  json_t *rec = NULL;
  if (load(c, id, no, &rec, &e) != 0) {
    req_reply_err(r, &e);
    return NULL;
  }
  int ok = can_read(r, c, rec, scope, &e);
  if (ok != 1) {
    json_decref(rec);
    if (ok < 0)
      req_reply_err(r, &e);
    else
      req_reply_error(r, ERR_not_found, NULL, "no agreement %" PRId64, id);
    return NULL;
  }
  return rec;
}

/* --- handlers ------------------------------------------------------------------- */

void sla_get(req *r) {
  data_scope scope = req_require(r, "sla", "read");
  if (!scope) return;
  int64_t id = req_param_id(r, "id");
  if (!id) return;
  store_conn *c = req_conn(r);
  if (!c) return;
  json_t *rec = load_scoped(r, c, id, 0, scope);
  req_conn_done(r, c);
  if (!rec) return;
  req_etag(r, rec);
  req_reply(r, 200, rec);
}

void sla_version_get(req *r) {
  data_scope scope = req_require(r, "sla", "read");
  if (!scope) return;
  int64_t id = req_param_id(r, "id");
  if (!id) return;
  int64_t no = req_param_id(r, "no");
  if (!no) return;
  store_conn *c = req_conn(r);
  if (!c) return;
  json_t *rec = load_scoped(r, c, id, no, scope);
  req_conn_done(r, c);
  if (rec) req_reply(r, 200, rec);
}

void sla_versions(req *r) {
  data_scope scope = req_require(r, "sla", "read");
  if (!scope) return;
  int64_t id = req_param_id(r, "id");
  if (!id) return;
  store_conn *c = req_conn(r);
  if (!c) return;
  json_t *cur = load_scoped(r, c, id, 0, scope);
  if (!cur) {
    req_conn_done(r, c);
    return;
  }
  int64_t n = json_integer_value(json_object_get(cur, "current_version"));
  json_decref(cur);
  err e;
  err_clear(&e);
  json_t *items = json_array();
  for (int64_t no = 1; no <= n; no++) {
    json_t *v = NULL;
    if (load(c, id, no, &v, &e) != 0) {
      json_decref(items);
      req_conn_done(r, c);
      req_reply_err(r, &e);
      return;
    }
    json_array_append_new(items, v);
  }
  req_conn_done(r, c);
  req_reply(r, 200, json_pack("{s:o, s:n}", "items", items, "next_cursor"));
}

typedef struct list_q {
  int64_t provider, customer, after;
  int limit, active; /* active: 1 true, 0 false, -1 all */
  err *e;
  int failed;
} list_q;

static int parse_id(const char *v, int64_t *out) {
  char *end;
  long long n = strtoll(v, &end, 10);
  if (!*v || *end || n <= 0) return -1;
  *out = n;
  return 0;
}

static void visit(void *ctx, const char *k, const char *v) {
  list_q *q = ctx;
  if (q->failed) return;
  v = v ? v : "";
  int ok = 1;
  if (strcmp(k, "provider_org_id") == 0)
    ok = parse_id(v, &q->provider) == 0;
  else if (strcmp(k, "customer_org_id") == 0)
    ok = parse_id(v, &q->customer) == 0;
  else if (strcmp(k, "cursor") == 0)
    ok = res_cursor_decode(v, &q->after) == 0;
  else if (strcmp(k, "limit") == 0) {
    int64_t n = 0;
    ok = parse_id(v, &n) == 0 && n <= 200;
    q->limit = (int)n;
  } else if (strcmp(k, "active") == 0) {
    ok = !strcmp(v, "true") || !strcmp(v, "false") || !strcmp(v, "all");
    q->active = !strcmp(v, "true") ? 1 : !strcmp(v, "false") ? 0 : -1;
  } else {
    err_set(q->e, ERR_bad_request, k, "unknown query parameter '%s'", k);
    q->failed = 1;
    return;
  }
  if (!ok) {
    err_set(q->e, ERR_bad_request, k, "%s has an invalid value", k);
    q->failed = 1;
  }
}

void sla_list(req *r) {
  data_scope scope = req_require(r, "sla", "read");
  if (!scope) return;
  err e;
  err_clear(&e);
  list_q q = {.limit = 50, .active = 1, .e = &e};
  req_each_query(r, visit, &q);
  if (q.failed) {
    req_reply_err(r, &e);
    return;
  }
  store_conn *c = req_conn(r);
  if (!c) return;
  /* ids in order; each is loaded and scope-checked (agreements are few) */
  store_stmt *st = store_query(c, &e,
                               "SELECT id FROM sla_agreements WHERE id > ? AND (provider_org_id = ? OR ? = 0)"
                               " AND (customer_org_id = ? OR ? = 0) AND (active = ? OR ? = -1) ORDER BY id",
                               "iiiiiii", q.after, q.provider, q.provider, q.customer, q.customer, (int64_t)q.active,
                               (int64_t)q.active);
  if (!st) {
    req_reply_err(r, &e);
    req_conn_done(r, c);
    return;
  }
  int64_t ids[1024];
  int n = 0, rc;
  while ((rc = store_step(st, &e)) == STORE_ROW)
    if (n < 1024) ids[n++] = store_col_int64(st, 0);
  store_finish(st);
  json_t *items = json_array();
  int64_t last = 0;
  int more = 0;
  for (int i = 0; rc >= 0 && i < n; i++) {
    json_t *rec = NULL;
    if (load(c, ids[i], 0, &rec, &e) != 0) {
      rc = -1;
      break;
    }
    int ok = can_read(r, c, rec, scope, &e);
    if (ok < 0) rc = -1;
    if (ok != 1) {
      json_decref(rec);
      continue;
    }
    if ((int)json_array_size(items) == q.limit) {
      json_decref(rec);
      more = 1;
      break;
    }
    last = ids[i];
    json_array_append_new(items, rec);
  }
  req_conn_done(r, c);
  if (rc < 0) {
    json_decref(items);
    req_reply_err(r, &e);
    return;
  }
  json_t *next = json_null();
  if (more) {
    char cur[32];
    res_cursor_encode(last, cur);
    next = json_string(cur);
  }
  req_reply(r, 200, json_pack("{s:o, s:o}", "items", items, "next_cursor", next));
}

void sla_create(req *r) {
  if (!req_require(r, "sla", "create")) return;
  json_t *body = req_json_body(r);
  if (!body) return;
  err e;
  err_clear(&e);
  json_t *rec = NULL;
  int64_t id = 0;
  store_conn *c = req_conn(r);
  if (!c) goto done;
  if (store_begin(c, STORE_WRITE, &e) != 0 || sla_insert(c, r->who.username, body, &id, &e) != 0 ||
      load(c, id, 0, &rec, &e) != 0 || req_audit(r, c, "create", "sla", id, NULL, rec, &e) != 0 ||
      store_commit(c, &e) != 0) {
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

void sla_put(req *r) {
  if (!req_require(r, "sla", "update")) return;
  int64_t id = req_param_id(r, "id");
  if (!id) return;
  int64_t version = req_if_match(r);
  if (!version) return;
  json_t *body = req_json_body(r);
  if (!body) return;
  err e;
  err_clear(&e);
  json_t *before = NULL, *after = NULL, *terms = take_terms(body), *db = NULL, *da = NULL;
  store_conn *c = req_conn(r);
  if (!c) goto done;
  if (store_begin(c, STORE_WRITE, &e) != 0 || load(c, id, 0, &before, &e) != 0) goto fail;
  for (int i = 0; i < 2; i++) {
    const char *k = i ? "customer_org_id" : "provider_org_id";
    json_t *v = json_object_get(body, k);
    if (v && !json_equal(v, json_object_get(before, k))) {
      err_set(&e, ERR_validation_failed, k, "%s of an agreement cannot change: create a new agreement", k);
      goto fail;
    }
  }
  json_t *name = json_object_get(body, "name");
  if (name && check_name(name, &e) != 0) goto fail;
  if (!json_is_true(json_object_get(before, "active"))) {
    err_set(&e, ERR_conflict, NULL, "agreement %" PRId64 " is deactivated", id);
    goto fail;
  }
  if (sla_terms_validate(terms, &e) != 0 || check_refs(c, terms, &e) != 0) goto fail;
  int64_t now = clock_now_ms();
  int64_t cur_no = json_integer_value(json_object_get(before, "current_version"));
  int64_t n = store_run(c, &e,
                        "UPDATE sla_agreements SET current_version = current_version + 1, version = version + 1,"
                        " name = COALESCE(?, name), updated_at = ? WHERE id = ? AND version = ?",
                        "siii", json_string_value(name), now, id, version);
  if (n < 0) goto fail;
  if (n == 0) {
    err_set(&e, ERR_version_conflict, "If-Match", "agreement %" PRId64 " is at version %" JSON_INTEGER_FORMAT ", not %" PRId64,
            id, json_integer_value(json_object_get(before, "version")), version);
    goto fail;
  }
  /* the old version is closed, never edited: work measured under it keeps it */
  if (store_run(c, &e, "UPDATE sla_versions SET superseded_at = ? WHERE agreement_id = ? AND version_no = ?", "iii", now,
                id, cur_no) < 0 ||
      insert_version(c, id, cur_no + 1, terms, r->who.username, now, &e) != 0 || load(c, id, 0, &after, &e) != 0)
    goto fail;
  audit_diff(before, after, &db, &da);
  if (req_audit(r, c, "new_version", "sla", id, db, da, &e) != 0 || store_commit(c, &e) != 0) goto fail;
  req_etag(r, after);
  req_reply(r, 200, after);
  after = NULL;
  goto done;
fail:
  req_reply_err(r, &e);
done:
  if (c) store_rollback(c);
  req_conn_done(r, c);
  json_decref(body);
  json_decref(terms);
  json_decref(before);
  json_decref(after);
  json_decref(db);
  json_decref(da);
}

static void set_active(req *r, int active) {
  if (!req_require(r, "sla", "update")) return;
  int64_t id = req_param_id(r, "id");
  if (!id) return;
  err e;
  err_clear(&e);
  store_conn *c = req_conn(r);
  if (!c) return;
  json_t *rec = NULL;
  int64_t n;
  if (store_begin(c, STORE_WRITE, &e) != 0) goto fail;
  n = store_run(c, &e, "UPDATE sla_agreements SET active = ?, version = version + 1, updated_at = ? WHERE id = ? AND active = ?",
                "iiii", (int64_t)active, clock_now_ms(), id, (int64_t)!active);
  if (n < 0) goto fail;
  if (n == 0) {
    if (load(c, id, 0, &rec, &e) != 0) goto fail;
    err_set(&e, ERR_conflict, NULL, "agreement %" PRId64 " is already %s", id, active ? "active" : "deactivated");
    goto fail;
  }
  json_t *b = json_pack("{s:b}", "active", !active), *a = json_pack("{s:b}", "active", active);
  int arc = req_audit(r, c, active ? "activate" : "deactivate", "sla", id, b, a, &e);
  json_decref(a);
  json_decref(b);
  if (arc != 0 || load(c, id, 0, &rec, &e) != 0 || store_commit(c, &e) != 0) goto fail;
  req_etag(r, rec);
  req_reply(r, 200, rec);
  rec = NULL;
  goto done;
fail:
  req_reply_err(r, &e);
done:
  store_rollback(c);
  req_conn_done(r, c);
  json_decref(rec);
}

void sla_deactivate(req *r) { set_active(r, 0); }
void sla_activate(req *r) { set_active(r, 1); }

/* --- resolution ----------------------------------------------------------------- */

/* Parsed terms by version id and a hash of their text (which also keeps two databases
 * opened by one process apart). A version's terms never change once written (an edit adds
 * a version), so entries never go stale; resolution runs on every work-order write and
 * parsing the JSON each time was a tenth of the create path. Shared read-only: jansson's
 * reference counts are atomic. */
#define TERMS_CACHE 64
static struct {
  int64_t version_id;
  uint64_t hash;
  json_t *terms;
} terms_cache[TERMS_CACHE];
static unsigned terms_next;
static pthread_mutex_t terms_mu = PTHREAD_MUTEX_INITIALIZER;

static json_t *terms_of(int64_t version_id, const char *text) {
  uint64_t h = 1469598103934665603ULL;
  for (const char *p = text; *p; p++) h = (h ^ (unsigned char)*p) * 1099511628211ULL;
  json_t *t = NULL;
  pthread_mutex_lock(&terms_mu);
  for (int i = 0; i < TERMS_CACHE && !t; i++)
    if (terms_cache[i].terms && terms_cache[i].version_id == version_id && terms_cache[i].hash == h)
      t = json_incref(terms_cache[i].terms);
  pthread_mutex_unlock(&terms_mu);
  if (t) return t;
  t = json_loads(text, 0, NULL);
  if (!t) return NULL;
  pthread_mutex_lock(&terms_mu);
  unsigned slot = terms_next++ % TERMS_CACHE;
  json_decref(terms_cache[slot].terms);
  terms_cache[slot].version_id = version_id;
  terms_cache[slot].hash = h;
  terms_cache[slot].terms = json_incref(t);
  pthread_mutex_unlock(&terms_mu);
  return t;
}

int sla_resolve(store_conn *c, const sla_query *q, sla_resolution *out, err *e) {
  /* the customer's chain: itself, its parent, … (distance 0, 1, …). Outside a write
   * transaction (a work order being planned, a preview) from the cached tree; inside one
   * from the database, so that what is written follows the committed tree. */
  int64_t chain[16];
  int depth = 0;
  if (q->customer_org_id > 0 && !store_in_tx(c)) {
    depth = orgtree_chain(c, q->customer_org_id, chain, 16, e);
    if (depth < 0) return -1;
    if (depth == 0)
      return err_set(e, ERR_validation_failed, "customer_org_id", "no organisation %" PRId64, q->customer_org_id);
  }
  int64_t cur = depth ? 0 : q->customer_org_id;
  while (cur > 0 && depth < 16) {
    chain[depth++] = cur;
    int64_t parent = 0;
    store_stmt *st = store_query(c, e, "SELECT parent_id FROM orgs WHERE id = ?", "i", cur);
    if (!st) return -1;
    int rc = store_step(st, e);
    if (rc == STORE_ROW && store_col_type(st, 0) != SCOL_NULL) parent = store_col_int64(st, 0);
    store_finish(st);
    if (rc < 0) return -1;
    if (rc == STORE_DONE && depth == 1)
      return err_set(e, ERR_validation_failed, "customer_org_id", "no organisation %" PRId64, cur);
    cur = parent;
  }
  int64_t local = q->at_ms + 8 * 3600 * 1000LL;
  int32_t day = (int32_t)((local >= 0 ? local : local - 86399999) / 86400000);
  char date[16];
  cal_format_date(day, date);
  store_stmt *st = store_query(
      c, e,
      "SELECT a.id, a.name, a.provider_org_id, a.customer_org_id, v.id, v.version_no, v.terms"
      " FROM sla_agreements a JOIN sla_versions v ON v.agreement_id = a.id"
      " WHERE a.active = 1 AND (a.provider_org_id = ? OR ? = 0) AND (v.version_no = 1 OR v.effective_at <= ?)"
      " AND (v.superseded_at IS NULL OR v.superseded_at > ?) AND v.valid_from <= ? AND v.valid_to >= ?"
      " ORDER BY a.id",
      "iiiiss", q->provider_org_id, q->provider_org_id, q->at_ms, q->at_ms, date, date);
  if (!st) return -1;
  int best = 1000, ties = 0, rc;
  json_t *best_terms = NULL;
  while ((rc = store_step(st, e)) == STORE_ROW) {
    int dist = 999; /* every customer */
    if (store_col_type(st, 3) != SCOL_NULL) {
      dist = -1;
      for (int i = 0; i < depth; i++)
        if (chain[i] == store_col_int64(st, 3)) {
          dist = i;
          break;
        }
      if (dist < 0) continue;
    }
    if (dist > best) continue;
    if (dist == best) {
      ties++;
      continue;
    }
    best = dist;
    ties = 0;
    json_decref(best_terms);
    best_terms = terms_of(store_col_int64(st, 4), store_col_text(st, 6));
    out->agreement_id = store_col_int64(st, 0);
    snprintf(out->agreement_name, sizeof out->agreement_name, "%s", store_col_text(st, 1));
    out->provider_org_id = store_col_int64(st, 2);
    out->customer_org_id = store_col_type(st, 3) == SCOL_NULL ? 0 : store_col_int64(st, 3);
    out->sla_version_id = store_col_int64(st, 4);
    out->version_no = store_col_int64(st, 5);
  }
  store_finish(st);
  if (rc < 0) {
    json_decref(best_terms);
    return -1;
  }
  if (!best_terms) return err_set(e, ERR_not_found, NULL, "no agreement applies to this customer and provider on %s", date);
  if (ties) {
    json_decref(best_terms);
    return err_set(e, ERR_conflict, "provider_org_id",
                   "%d agreements apply equally; name the provider (provider_org_id)", ties + 1);
  }
  const char *source, *guarantee;
  sla_terms_pick(best_terms, q->priority, day, q->catalog_item_id, &out->targets, &source, &guarantee, &out->calendar_id);
  snprintf(out->source, sizeof out->source, "%s", source);
  snprintf(out->guarantee, sizeof out->guarantee, "%s", guarantee ? guarantee : "");
  json_decref(best_terms);
  return 0;
}

typedef struct resolve_args {
  sla_query q;
  char priority[4];
  err *e;
  int failed;
} resolve_args;

static void resolve_visit(void *ctx, const char *k, const char *v) {
  resolve_args *a = ctx;
  if (a->failed) return;
  v = v ? v : "";
  int ok = 1;
  if (strcmp(k, "customer_org_id") == 0)
    ok = parse_id(v, &a->q.customer_org_id) == 0;
  else if (strcmp(k, "provider_org_id") == 0)
    ok = parse_id(v, &a->q.provider_org_id) == 0;
  else if (strcmp(k, "catalog_item_id") == 0)
    ok = parse_id(v, &a->q.catalog_item_id) == 0;
  else if (strcmp(k, "priority") == 0) {
    ok = strlen(v) == 2 && v[0] == 'P' && v[1] >= '1' && v[1] <= '4';
    snprintf(a->priority, sizeof a->priority, "%.3s", v);
  } else if (strcmp(k, "at") == 0)
    ok = time_parse_rfc3339(v, &a->q.at_ms) == 0;
  else {
    err_set(a->e, ERR_bad_request, k, "unknown query parameter '%s'", k);
    a->failed = 1;
    return;
  }
  if (!ok) {
    err_set(a->e, ERR_bad_request, k, "%s has an invalid value", k);
    a->failed = 1;
  }
}

void sla_resolve_h(req *r) {
  data_scope scope = req_require(r, "sla", "read");
  if (!scope) return;
  err e;
  err_clear(&e);
  resolve_args a = {.e = &e};
  a.q.at_ms = clock_now_ms();
  req_each_query(r, resolve_visit, &a);
  if (a.failed) {
    req_reply_err(r, &e);
    return;
  }
  if (!a.q.customer_org_id || !a.priority[0]) {
    req_reply_error(r, ERR_bad_request, a.q.customer_org_id ? "priority" : "customer_org_id",
                    "customer_org_id and priority (P1..P4) are required");
    return;
  }
  a.q.priority = a.priority;
  store_conn *c = req_conn(r);
  if (!c) return;
  sla_resolution res;
  memset(&res, 0, sizeof res);
  int rc = sla_resolve(c, &a.q, &res, &e);
  json_t *rec = NULL;
  /* the caller must be allowed to read the agreement that answers */
  if (rc == 0 && load(c, res.agreement_id, res.version_no, &rec, &e) == 0) {
    int ok = can_read(r, c, rec, scope, &e);
    if (ok != 1) {
      rc = -1;
      if (ok == 0) err_set(&e, ERR_not_found, NULL, "no agreement applies that you may see");
    }
  } else if (rc == 0) {
    rc = -1;
  }
  json_decref(rec);
  req_conn_done(r, c);
  if (rc != 0) {
    req_reply_err(r, &e);
    return;
  }
  char at[40];
  time_format_rfc3339(a.q.at_ms, at);
  json_t *targets = json_pack("{s:I, s:o, s:I}", "response_s", (json_int_t)res.targets.response_s, "arrival_s",
                              res.targets.arrival_s ? json_integer(res.targets.arrival_s) : json_null(),
                              "resolution_s", (json_int_t)res.targets.resolution_s);
  req_reply(r, 200,
            json_pack("{s:I, s:s, s:I, s:I, s:I, s:o, s:I, s:s, s:s, s:o, s:s, s:o}", "agreement_id",
                      (json_int_t)res.agreement_id, "agreement_name", res.agreement_name, "version_no",
                      (json_int_t)res.version_no, "sla_version_id", (json_int_t)res.sla_version_id, "provider_org_id",
                      (json_int_t)res.provider_org_id, "customer_org_id",
                      res.customer_org_id ? json_integer(res.customer_org_id) : json_null(), "calendar_id",
                      (json_int_t)res.calendar_id, "priority", a.priority, "source", res.source, "major_guarantee",
                      res.guarantee[0] ? json_string(res.guarantee) : json_null(), "at", at, "targets", targets));
}
