/* orgs.c — organisations: descriptor, tree rules (a child has its parent's party, no
 * cycles) and the API handlers built on the generic CRUD engine. */
#include "modules/orgs/orgs.h"

#include <inttypes.h>
#include <string.h>

#include "http/crud.h"
#include "resource/orgtree.h"

static const char *const parties[] = {"management", "customer", "supervision", "service", NULL};

static const field_desc org_fields[] = {
    {"name", FT_TEXT, FF_REQUIRED | FF_PATCH | FF_SEARCH, 2, 100, NULL, NULL},
    {"party", FT_ENUM, FF_REQUIRED | FF_FILTER, 0, 0, parties, NULL},
    {"parent_id", FT_REF, FF_CREATE | FF_PATCH | FF_NULLABLE | FF_FILTER, 0, 0, NULL, "orgs"},
    {"contact", FT_TEXT, FF_CREATE | FF_PATCH | FF_NULLABLE, 0, 50, NULL, NULL},
    {"phone", FT_TEXT, FF_CREATE | FF_PATCH | FF_NULLABLE, 0, 30, NULL, NULL},
    {NULL, 0, 0, 0, 0, NULL, NULL},
};

const resource_desc org_desc = {"org", "orgs", org_fields, "id"};

int org_party_valid(const char *party) {
  for (const char *const *p = parties; *p; p++)
    if (strcmp(*p, party) == 0) return 1;
  return 0;
}

/* The parent must exist and belong to the same party: a department's sub-department is a
 * customer too, a provider's branch is a provider. */
static int check_parent(store_conn *c, int64_t parent, const char *party, err *e) {
  store_stmt *st = store_query(c, e, "SELECT party FROM orgs WHERE id = ?", "i", parent);
  if (!st) return -1;
  int rc = store_step(st, e);
  int same = rc == STORE_ROW && strcmp(store_col_text(st, 0), party) == 0;
  store_finish(st);
  if (rc < 0) return -1;
  if (rc == STORE_DONE) return err_set(e, ERR_validation_failed, "parent_id", "parent_id %" PRId64 " does not exist", parent);
  if (!same)
    return err_set(e, ERR_validation_failed, "parent_id", "the parent organisation belongs to another party than %s",
                   party);
  return 0;
}

int orgs_check_new(store_conn *c, const json_t *body, err *e) {
  json_t *parent = json_object_get(body, "parent_id");
  if (parent && json_is_integer(parent))
    return check_parent(c, json_integer_value(parent), json_string_value(json_object_get(body, "party")), e);
  return 0;
}

static int before_create(req *r, store_conn *c, json_t *body, json_t *internal, err *e) {
  return orgs_check_new(c, body, e);
}

static int before_update(req *r, store_conn *c, const json_t *cur, json_t *body, json_t *internal, err *e) {
  json_t *parent = json_object_get(body, "parent_id");
  if (!parent || !json_is_integer(parent)) return 0;
  int64_t id = json_integer_value(json_object_get(cur, "id"));
  int64_t pid = json_integer_value(parent);
  if (check_parent(c, pid, json_string_value(json_object_get(cur, "party")), e) != 0) return -1;
  int cyc = res_org_in_tree(c, id, pid, e);
  if (cyc < 0) return -1;
  if (cyc) return err_set(e, ERR_validation_failed, "parent_id", "an organisation cannot sit below itself or its own sub-organisations");
  return 0;
}

static int before_set_active(req *r, store_conn *c, const json_t *cur, int active, err *e) {
  int64_t id = json_integer_value(json_object_get(cur, "id"));
  int64_t n = 0;
  if (!active) {
    if (store_query_int(c, e, &n, "SELECT COUNT(*) FROM orgs WHERE parent_id = ? AND active = 1", "i", id) < 0) return -1;
    if (n) return err_set(e, ERR_conflict, NULL, "deactivate its %" PRId64 " active sub-organisations first", n);
    if (store_query_int(c, e, &n, "SELECT COUNT(*) FROM users WHERE org_id = ? AND active = 1", "i", id) < 0) return -1;
    if (n) return err_set(e, ERR_conflict, NULL, "deactivate its %" PRId64 " active users first", n);
  } else {
    json_t *parent = json_object_get(cur, "parent_id");
    if (json_is_integer(parent)) {
      if (store_query_int(c, e, &n, "SELECT active FROM orgs WHERE id = ?", "i", (int64_t)json_integer_value(parent)) < 0)
        return -1;
      if (!n) return err_set(e, ERR_conflict, "parent_id", "activate the parent organisation first");
    }
  }
  return 0;
}

static const crud_spec spec = {
    .desc = &org_desc,
    .before_create = before_create,
    .before_update = before_update,
    .before_set_active = before_set_active,
};

void orgs_list(req *r) { crud_list(r, &spec); }
void orgs_get(req *r) { crud_get(r, &spec); }
/* After any change the cached tree (resource/orgtree.c) is dropped, so this process's
 * scope checks see the change at once. */
void orgs_create(req *r) {
  crud_create(r, &spec);
  orgtree_invalidate();
}
void orgs_patch(req *r) {
  crud_patch(r, &spec);
  orgtree_invalidate();
}
void orgs_deactivate(req *r) {
  crud_set_active(r, &spec, 0);
  orgtree_invalidate();
}
void orgs_activate(req *r) {
  crud_set_active(r, &spec, 1);
  orgtree_invalidate();
}
