/* crud.c — generic list/get/create/patch/deactivate handlers over resource.h. */
#include "http/crud.h"

#include <inttypes.h>
#include <string.h>

#include "audit/audit.h"

static void decorate(const crud_spec *s, json_t *rec) {
  if (s->decorate) s->decorate(rec);
}

json_t *crud_load_scoped(req *r, store_conn *c, const crud_spec *s, int64_t id, data_scope scope) {
  err e;
  err_clear(&e);
  json_t *rec = NULL;
  if (res_get(c, s->desc, id, &rec, &e) != 0) {
    req_reply_err(r, &e);
    return NULL;
  }
  if (scope == SCOPE_OWN_ORG_TREE) {
    int64_t owner = json_integer_value(json_object_get(rec, s->desc->scope_column));
    int in = res_org_in_tree(c, r->who.org_id, owner, &e);
    if (in != 1) {
      json_decref(rec);
      if (in < 0)
        req_reply_err(r, &e);
      else
        req_reply_error(r, ERR_not_found, NULL, "no %s with id %" PRId64, s->desc->name, id);
      return NULL;
    }
  }
  return rec;
}

void crud_list(req *r, const crud_spec *s) {
  data_scope scope = req_require(r, s->desc->name, "read");
  if (!scope) return;
  err e;
  err_clear(&e);
  res_list_query q;
  res_init_list_query(&q);
  res_query_parser p = {.d = s->desc, .q = &q, .e = &e};
  req_each_query(r, res_query_visit, &p);
  if (p.failed) {
    req_reply_err(r, &e);
    return;
  }
  if (scope == SCOPE_OWN_ORG_TREE) q.scope_org = r->who.org_id;
  store_conn *c = req_conn(r);
  if (!c) return;
  json_t *out = NULL;
  if (res_list(c, s->desc, &q, &out, &e) != 0) {
    req_reply_err(r, &e);
  } else {
    size_t i;
    json_t *it;
    json_array_foreach(json_object_get(out, "items"), i, it) decorate(s, it);
    req_reply(r, 200, out);
  }
  req_conn_done(r, c);
}

void crud_get(req *r, const crud_spec *s) {
  data_scope scope = req_require(r, s->desc->name, "read");
  if (!scope) return;
  int64_t id = req_param_id(r, "id");
  if (!id) return;
  store_conn *c = req_conn(r);
  if (!c) return;
  json_t *rec = crud_load_scoped(r, c, s, id, scope);
  req_conn_done(r, c);
  if (!rec) return;
  decorate(s, rec);
  req_etag(r, rec);
  req_reply(r, 200, rec);
}

void crud_create(req *r, const crud_spec *s) {
  if (!req_require(r, s->desc->name, "create")) return;
  const char *idem = req_idempotency_key(r);
  if (idem && !*idem) return; /* replied 400 */
  json_t *body = req_json_body(r);
  if (!body) return;
  err e;
  err_clear(&e);
  json_t *internal = json_object(), *rec = NULL;
  store_conn *c = NULL;
  if (res_validate(s->desc, body, 1, s->create_extra, &e) != 0) goto fail;
  if (!(c = req_conn(r))) goto done;
  if (store_begin(c, STORE_WRITE, &e) != 0) goto fail;
  if (idem) {
    int seen = req_idempotent_replay(r, c, idem, &e);
    if (seen < 0) goto fail;
    if (seen) goto done;
  }
  if (s->before_create && s->before_create(r, c, body, internal, &e) != 0) goto fail;
  int64_t id = 0;
  if (res_insert(c, s->desc, body, internal, &id, &e) != 0) goto fail;
  if (res_get(c, s->desc, id, &rec, &e) != 0) goto fail;
  decorate(s, rec);
  if (req_audit(r, c, "create", s->desc->name, id, NULL, rec, &e) != 0) goto fail;
  if (idem && req_idempotent_record(r, c, idem, 201, rec, &e) != 0) goto fail;
  if (store_commit(c, &e) != 0) goto fail;
  req_etag(r, rec);
  char loc[128];
  snprintf(loc, sizeof loc, "%s/%" PRId64, r->path, id);
  req_add_header(r, "Location", loc);
  req_reply(r, 201, rec);
  rec = NULL;
  goto done;
fail:
  req_reply_err(r, &e);
done:
  if (c) store_rollback(c);
  req_conn_done(r, c);
  json_decref(rec);
  json_decref(body);
  json_decref(internal);
}

void crud_patch(req *r, const crud_spec *s) {
  data_scope scope = req_require(r, s->desc->name, "update");
  if (!scope) return;
  int64_t id = req_param_id(r, "id");
  if (!id) return;
  int64_t version = req_if_match(r);
  if (!version) return;
  json_t *body = req_json_body(r);
  if (!body) return;
  err e;
  err_clear(&e);
  json_t *internal = json_object(), *before = NULL, *after = NULL, *db = NULL, *da = NULL;
  store_conn *c = NULL;
  if (res_validate(s->desc, body, 0, s->patch_extra, &e) != 0) goto fail;
  if (json_object_size(body) == 0) {
    err_set(&e, ERR_validation_failed, NULL, "nothing to change: the body has no fields");
    goto fail;
  }
  if (!(c = req_conn(r))) goto done;
  if (store_begin(c, STORE_WRITE, &e) != 0) goto fail;
  if (!(before = crud_load_scoped(r, c, s, id, scope))) goto done;
  decorate(s, before);
  if (json_integer_value(json_object_get(before, "version")) != version) {
    err_set(&e, ERR_version_conflict, "If-Match",
            "%s %" PRId64 " is at version %" JSON_INTEGER_FORMAT ", not %" PRId64 "; reload it and try again",
            s->desc->name, id, json_integer_value(json_object_get(before, "version")), version);
    goto fail;
  }
  if (s->before_update && s->before_update(r, c, before, body, internal, &e) != 0) goto fail;
  if (res_update(c, s->desc, id, version, body, internal, &e) != 0) goto fail;
  if (res_get(c, s->desc, id, &after, &e) != 0) goto fail;
  decorate(s, after);
  audit_diff(before, after, &db, &da);
  if (req_audit(r, c, "update", s->desc->name, id, db, da, &e) != 0) goto fail;
  if (store_commit(c, &e) != 0) goto fail;
  req_etag(r, after);
  req_reply(r, 200, after);
  after = NULL;
  goto done;
fail:
  req_reply_err(r, &e);
done:
  if (c) store_rollback(c);
  req_conn_done(r, c);
  json_decref(before);
  json_decref(after);
  json_decref(db);
  json_decref(da);
  json_decref(body);
  json_decref(internal);
}

void crud_set_active(req *r, const crud_spec *s, int active) {
  data_scope scope = req_require(r, s->desc->name, "deactivate");
  if (!scope) return;
  int64_t id = req_param_id(r, "id");
  if (!id) return;
  int64_t version = 0;
  if (req_header(r, "If-Match") && !(version = req_if_match(r))) return;
  if (r->body_len) {
    /* no body expected; refuse one rather than ignore it */
    req_reply_error(r, ERR_bad_request, NULL, "this action takes no body");
    return;
  }
  err e;
  err_clear(&e);
  json_t *before = NULL, *after = NULL, *vals = NULL;
  store_conn *c = req_conn(r);
  if (!c) return;
  if (store_begin(c, STORE_WRITE, &e) != 0) goto fail;
  if (!(before = crud_load_scoped(r, c, s, id, scope))) goto done;
  if (json_is_true(json_object_get(before, "active")) == active) {
    err_set(&e, ERR_conflict, NULL, "%s %" PRId64 " is already %s", s->desc->name, id,
            active ? "active" : "deactivated");
    goto fail;
  }
  if (s->before_set_active && s->before_set_active(r, c, before, active, &e) != 0) goto fail;
  vals = json_pack("{s:i}", "active", active);
  if (res_update(c, s->desc, id, version, NULL, vals, &e) != 0) goto fail;
  if (res_get(c, s->desc, id, &after, &e) != 0) goto fail;
  decorate(s, after);
  json_t *b = json_pack("{s:b, s:O}", "active", !active, "version", json_object_get(before, "version"));
  json_t *a = json_pack("{s:b, s:O}", "active", active, "version", json_object_get(after, "version"));
  int arc = req_audit(r, c, active ? "activate" : "deactivate", s->desc->name, id, b, a, &e);
  json_decref(b);
  json_decref(a);
  if (arc != 0) goto fail;
  if (store_commit(c, &e) != 0) goto fail;
  req_etag(r, after);
  req_reply(r, 200, after);
  after = NULL;
  goto done;
fail:
  req_reply_err(r, &e);
done:
  store_rollback(c);
  req_conn_done(r, c);
  json_decref(before);
  json_decref(after);
  json_decref(vals);
}
