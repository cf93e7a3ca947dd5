/* crud.h — the generic HTTP handlers for table-driven resources: list, get, create,
 * patch (If-Match), deactivate/activate — each checking permissions and data scope,
 * validating input, auditing in the same transaction. Modules supply a crud_spec with
 * their descriptor and hooks for what is special about them. */
#ifndef UNIOPS_CRUD_H
#define UNIOPS_CRUD_H

#include "http/req.h"
#include "resource/resource.h"

typedef struct crud_spec {
  const resource_desc *desc;
  const char *const *create_extra; /* body keys the hooks handle (NULL-terminated) */
  const char *const *patch_extra;
  /* Inside the write transaction, before the insert: check cross-field rules, move extra
   * keys from body into `internal` columns. */
  int (*before_create)(req *r, store_conn *c, json_t *body, json_t *internal, err *e);
  /* Inside the write transaction, before the update; `current` is the stored record. */
  int (*before_update)(req *r, store_conn *c, const json_t *current, json_t *body, json_t *internal, err *e);
  /* Inside the write transaction, before (de)activation. */
  int (*before_set_active)(req *r, store_conn *c, const json_t *current, int active, err *e);
  /* Adjusts a record for output (e.g. a list column as an array). */
  void (*decorate)(json_t *record);
} crud_spec;

void crud_list(req *r, const crud_spec *s);
void crud_get(req *r, const crud_spec *s);
void crud_create(req *r, const crud_spec *s);
void crud_patch(req *r, const crud_spec *s);
/* POST …/{id}/deactivate or …/{id}/activate; If-Match optional. */
void crud_set_active(req *r, const crud_spec *s, int active);

/* Loads a record and checks the principal's read scope on it; replies and returns NULL
 * (404 when out of scope, so existence does not leak). */
json_t *crud_load_scoped(req *r, store_conn *c, const crud_spec *s, int64_t id, data_scope scope);

#endif
