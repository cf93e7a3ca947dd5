/* catalog.c — catalogue nodes over the generic CRUD engine, with the tree rules (an area
 * has no parent, a group sits under an area, an item under a group; only items carry
 * mode, priority and object classes) and the nested tree view. */
#include "modules/catalog/catalog.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "core/strbuf.h"
#include "http/crud.h"

static const char *const levels[] = {"area", "group", "item", NULL};
static const char *const modes[] = {"on_site", "remote", "backup_support", "duty", NULL};
static const char *const priorities[] = {"P1", "P2", "P3", "P4", NULL};

/* The service-object classes of clause 7 (7.1 office and base environment, 7.2 government
 * cloud, 7.3 extranet security). */
static const char *const object_classes[] = {
    "office_equipment", "server",          "storage",         "network",        "machine_room",
    "camera",           "wireless_ap",     "conference",      "cloud_compute",  "cloud_storage",
    "cloud_network",    "cloud_platform",  "cloud_security",  "ext_network",    "ext_application",
    "ext_data",         "ext_security_facility", NULL};

static const field_desc catalog_fields[] = {
    {"level", FT_ENUM, FF_REQUIRED | FF_FILTER, 0, 0, levels, NULL},
    {"parent_id", FT_REF, FF_CREATE | FF_NULLABLE | FF_FILTER, 0, 0, NULL, "catalog_items"},
    {"code", FT_TEXT, FF_REQUIRED | FF_PATCH | FF_FILTER | FF_SEARCH, 1, 30, NULL, NULL},
    {"name", FT_TEXT, FF_REQUIRED | FF_PATCH | FF_SEARCH, 1, 100, NULL, NULL},
    {"description", FT_TEXT, FF_CREATE | FF_PATCH | FF_NULLABLE, 0, 2000, NULL, NULL},
    {"clause", FT_TEXT, FF_CREATE | FF_PATCH | FF_NULLABLE | FF_FILTER, 0, 20, NULL, NULL},
    {"object_classes", FT_TEXT, 0, 0, 0, NULL, NULL},
    {"service_mode", FT_ENUM, FF_CREATE | FF_PATCH | FF_NULLABLE | FF_FILTER, 0, 0, modes, NULL},
    {"default_priority", FT_ENUM, FF_CREATE | FF_PATCH | FF_NULLABLE | FF_FILTER, 0, 0, priorities, NULL},
    {"needs_approval", FT_BOOL, FF_CREATE | FF_PATCH | FF_FILTER, 0, 0, NULL, NULL},
    {NULL, 0, 0, 0, 0, NULL, NULL},
};

const resource_desc catalog_desc = {"catalog", "catalog_items", catalog_fields, "id"};

static const char *const extra[] = {"object_classes", NULL};

/* object_classes: a JSON array of known class names → "a,b" in `internal`. */
static int take_classes(json_t *body, json_t *internal, err *e) {
  json_t *arr = json_object_get(body, "object_classes");
  if (!arr) return 0;
  if (!json_is_array(arr) || json_array_size(arr) > 20)
    return err_set(e, ERR_validation_failed, "object_classes", "object_classes must be an array of class names");
  strbuf sb;
  sb_init(&sb);
  size_t i;
  json_t *v;
  json_array_foreach(arr, i, v) {
    int known = 0;
    for (const char *const *p = object_classes; *p && json_is_string(v); p++)
      known |= strcmp(*p, json_string_value(v)) == 0;
    if (!known) {
      sb_release(&sb);
      return err_set(e, ERR_validation_failed, "object_classes",
                     "object_classes[%zu] is not a service-object class (e.g. server, network, cloud_compute)", i);
    }
    for (size_t k = 0; k < i; k++)
      if (json_equal(json_array_get(arr, k), v)) {
        sb_release(&sb);
        return err_set(e, ERR_validation_failed, "object_classes", "object_classes[%zu] is listed twice", i);
      }
    sb_addf(&sb, "%s%s", sb.len ? "," : "", json_string_value(v));
  }
  json_object_set_new(internal, "object_classes", json_string(sb.buf));
  sb_release(&sb);
  json_object_del(body, "object_classes");
  return 0;
}

static const char *str(const json_t *o, const char *k) { return json_string_value(json_object_get(o, k)); }

/* The shape rules of the tree, checked on the merged record (stored values + changes). */
static int check_shape(store_conn *c, const json_t *merged, int has_classes, err *e) {
  const char *level = str(merged, "level");
  json_t *parent = json_object_get(merged, "parent_id");
  int is_item = strcmp(level, "item") == 0;
  if (strcmp(level, "area") == 0) {
    if (json_is_integer(parent)) return err_set(e, ERR_validation_failed, "parent_id", "a service area has no parent");
  } else {
    if (!json_is_integer(parent))
      return err_set(e, ERR_validation_failed, "parent_id", "a %s needs a parent_id (%s)", level,
                     is_item ? "a group" : "an area");
    store_stmt *st = store_query(c, e, "SELECT level FROM catalog_items WHERE id = ?", "i",
                                 (int64_t)json_integer_value(parent));
    if (!st) return -1;
    int rc = store_step(st, e);
    char plevel[16] = "";
    if (rc == STORE_ROW) snprintf(plevel, sizeof plevel, "%s", store_col_text(st, 0));
    store_finish(st);
    if (rc < 0) return -1;
    const char *want = is_item ? "group" : "area";
    if (strcmp(plevel, want) != 0)
      return err_set(e, ERR_validation_failed, "parent_id", "the parent of a %s must be a%s %s", level,
                     is_item ? "" : "n", want);
  }
  if (is_item) {
    if (!str(merged, "service_mode"))
      return err_set(e, ERR_validation_failed, "service_mode", "an item needs a service_mode");
    if (!str(merged, "default_priority"))
      return err_set(e, ERR_validation_failed, "default_priority", "an item needs a default_priority");
  } else {
    if (str(merged, "service_mode") || str(merged, "default_priority") || has_classes ||
        json_is_true(json_object_get(merged, "needs_approval")))
      return err_set(e, ERR_validation_failed, "level",
                     "service_mode, default_priority, object_classes and needs_approval belong to items only");
  }
  return 0;
}

int catalog_insert(store_conn *c, json_t *body, int64_t *id, err *e) {
  json_t *internal = json_object();
  int rc = -1;
  if (res_validate(&catalog_desc, body, 1, extra, e) != 0) goto out;
  int has = json_array_size(json_object_get(body, "object_classes")) > 0;
  if (take_classes(body, internal, e) != 0 || check_shape(c, body, has, e) != 0) goto out;
  rc = res_insert(c, &catalog_desc, body, internal, id, e);
out:
  json_decref(internal);
  return rc;
}

static int before_create(req *r, store_conn *c, json_t *body, json_t *internal, err *e) {
  int has = json_array_size(json_object_get(body, "object_classes")) > 0;
  if (take_classes(body, internal, e) != 0) return -1;
  return check_shape(c, body, has, e);
}

static int before_update(req *r, store_conn *c, const json_t *cur, json_t *body, json_t *internal, err *e) {
  json_t *arr = json_object_get(body, "object_classes");
  int has = arr ? json_array_size(arr) > 0 : json_array_size(json_object_get(cur, "object_classes")) > 0;
  if (take_classes(body, internal, e) != 0) return -1;
  json_t *merged = json_copy((json_t *)cur);
  json_object_update(merged, body);
  int rc = check_shape(c, merged, has, e);
  json_decref(merged);
  return rc;
}

static int before_set_active(req *r, store_conn *c, const json_t *cur, int active, err *e) {
  int64_t n = 0;
  int64_t id = json_integer_value(json_object_get(cur, "id"));
  if (!active) {
    if (store_query_int(c, e, &n, "SELECT COUNT(*) FROM catalog_items WHERE parent_id = ? AND active = 1", "i", id) < 0)
      return -1;
    if (n) return err_set(e, ERR_conflict, NULL, "deactivate its %" PRId64 " active children first", n);
  }
  return 0;
}

void catalog_decorate(json_t *rec) {
  json_t *oc = json_object_get(rec, "object_classes");
  if (!json_is_string(oc)) return;
  json_t *arr = json_array();
  const char *p = json_string_value(oc);
  while (*p) {
    const char *comma = strchr(p, ',');
    size_t n = comma ? (size_t)(comma - p) : strlen(p);
    json_array_append_new(arr, json_stringn(p, n));
    p += n;
    if (*p == ',') p++;
  }
  json_object_set_new(rec, "object_classes", arr);
}

static const crud_spec spec = {
    .desc = &catalog_desc,
    .create_extra = extra,
    .patch_extra = extra,
    .before_create = before_create,
    .before_update = before_update,
    .before_set_active = before_set_active,
    .decorate = catalog_decorate,
};

void catalog_list(req *r) { crud_list(r, &spec); }
void catalog_get(req *r) { crud_get(r, &spec); }
void catalog_create(req *r) { crud_create(r, &spec); }
void catalog_patch(req *r) { crud_patch(r, &spec); }
void catalog_deactivate(req *r) { crud_set_active(r, &spec, 0); }
void catalog_activate(req *r) { crud_set_active(r, &spec, 1); }

void catalog_tree(req *r) {
  if (!req_require(r, "catalog", "read")) return;
  if (req_query(r, "limit")) {
    req_reply_error(r, ERR_bad_request, "limit", "the tree is returned whole");
    return;
  }
  err e;
  err_clear(&e);
  store_conn *c = req_conn(r);
  if (!c) return;
  res_list_query q;
  res_init_list_query(&q);
  q.limit = 200;
  /* read page by page: the catalogue is small, but never trust that */
  json_t *all = json_array();
  for (;;) {
    json_t *page = NULL;
    if (res_list(c, &catalog_desc, &q, &page, &e) != 0) {
      json_decref(all);
      req_conn_done(r, c);
      req_reply_err(r, &e);
      return;
    }
    json_array_extend(all, json_object_get(page, "items"));
    json_t *next = json_object_get(page, "next_cursor");
    int more = json_is_string(next) && res_cursor_decode(json_string_value(next), &q.after_id) == 0;
    json_decref(page);
    if (!more) break;
  }
  req_conn_done(r, c);
  /* nest: children arrays keyed by parent id, in id order */
  size_t i, j;
  json_t *n, *m;
  json_array_foreach(all, i, n) {
    catalog_decorate(n);
    json_object_set_new(n, "children", json_array());
  }
  json_t *roots = json_array();
  json_array_foreach(all, i, n) {
    json_t *parent = json_object_get(n, "parent_id");
    if (!json_is_integer(parent)) {
      json_array_append(roots, n);
      continue;
    }
    json_array_foreach(all, j, m) {
      if (json_integer_value(json_object_get(m, "id")) == json_integer_value(parent)) {
        json_array_append(json_object_get(m, "children"), n);
        break;
      }
    }
  }
  json_decref(all);
  req_reply(r, 200, json_pack("{s:o}", "items", roots));
}
