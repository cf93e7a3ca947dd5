/* resource.h — table-driven records: field descriptors and one generic engine that
 * validates, inserts, patches, reads and lists any record type described by them.
 *
 * Every described table has the standard columns id, version, active, created_at and
 * updated_at; the engine manages them. SQL text is built only from the static descriptors,
 * never from input: every value is a bound parameter.
 */
#ifndef UNIOPS_RESOURCE_H
#define UNIOPS_RESOURCE_H

#include <jansson.h>
#include <stdint.h>

#include "core/err.h"
#include "store/store.h"

typedef enum { FT_TEXT, FT_INT, FT_BOOL, FT_ENUM, FT_REF, FT_TIME } field_type;

#define FF_REQUIRED 0x01u /* must be given on create */
#define FF_CREATE 0x02u   /* may be given on create */
#define FF_PATCH 0x04u    /* may be changed by PATCH */
#define FF_FILTER 0x08u   /* list filter ?name=value */
#define FF_HIDDEN 0x10u   /* never returned */
#define FF_NULLABLE 0x20u /* JSON null allowed (stored as NULL) */
#define FF_SEARCH 0x40u   /* matched by ?q= (substring) */

typedef struct field_desc {
  const char *name;
  field_type type;
  unsigned flags;
  int64_t min, max;          /* FT_TEXT: length in characters; FT_INT: value */
  const char *const *enums;  /* FT_ENUM: NULL-terminated allowed values */
  const char *ref_table;     /* FT_REF: table whose id it references */
} field_desc;

typedef struct resource_desc {
  const char *name;          /* resource name in permissions and the audit trail, e.g. "org" */
  const char *table;         /* e.g. "orgs" */
  const field_desc *fields;  /* terminated by {NULL} */
  const char *scope_column;  /* column holding the owning org id (for org-tree scope) */
} resource_desc;

/* A list query: filters already validated by res_parse_list_query(). */
#define RES_MAX_FILTERS 8
typedef struct res_list_query {
  int limit;            /* 1..200, default 50 */
  int64_t after_id;     /* from the cursor; 0 = first page */
  int descending;       /* sort=-id */
  int include_inactive; /* ?active=all */
  int only_inactive;    /* ?active=false */
  int nfilters;
  const field_desc *filter_fields[RES_MAX_FILTERS];
  char filter_values[RES_MAX_FILTERS][256];
  char q[128];          /* substring search over FF_SEARCH fields */
  int64_t scope_org;    /* > 0: only rows whose scope_column is in this org's subtree */
  const char *scope_column; /* overrides the descriptor's scope_column (NULL: use it) */
  /* A condition a module adds (written in code, never from input) with its integer binds. */
  const char *extra_sql;
  int64_t extra_binds[4];
  int nextra_binds;
} res_list_query;

const field_desc *res_field(const resource_desc *d, const char *name);

/* Validates a create (creating=1) or patch body: unknown fields, read-only fields, types,
 * bounds, enums, required fields. `extra_ok` names further keys a module handles itself
 * (NULL-terminated, may be NULL). */
int res_validate(const resource_desc *d, const json_t *body, int creating, const char *const *extra_ok,
                 err *e);

/* Reads one record as JSON (hidden fields left out; times as RFC 3339). ERR_not_found. */
int res_get(store_conn *c, const resource_desc *d, int64_t id, json_t **out, err *e);

/* Inserts the described fields present in `values` plus `internal` (extra columns set by
 * the module, e.g. password_hash; may be NULL). Sets *id. */
int res_insert(store_conn *c, const resource_desc *d, const json_t *values, const json_t *internal,
               int64_t *id, err *e);

/* Updates the described fields present in `values` (plus `internal`) when the stored
 * version equals expect_version (0 = don't check); bumps version and updated_at.
 * ERR_not_found / ERR_version_conflict. */
int res_update(store_conn *c, const resource_desc *d, int64_t id, int64_t expect_version,
               const json_t *values, const json_t *internal, err *e);

/* Parses limit, cursor, sort, active, q and FF_FILTER fields from a query string visitor.
 * Unknown parameters are rejected. */
typedef struct res_query_parser {
  const resource_desc *d;
  res_list_query *q;
  err *e;
  int failed;
  const char *const *extra_ok; /* parameters the module reads itself */
} res_query_parser;
void res_init_list_query(res_list_query *q);
void res_query_visit(void *ctx, const char *key, const char *value);

/* Runs a list query: {"items":[…], "next_cursor": "…"|null}. */
int res_list(store_conn *c, const resource_desc *d, const res_list_query *q, json_t **out, err *e);

/* Is org `org_id` inside the subtree rooted at `root`? 1/0, -1 on error. */
int res_org_in_tree(store_conn *c, int64_t root, int64_t org_id, err *e);

/* The topmost ancestor of an organisation (a provider company for its branch office).
 * Returns the id, or -1 on error. */
int64_t res_org_root(store_conn *c, int64_t org_id, err *e);

/* Cursor text for an id (opaque to clients) and back. */
void res_cursor_encode(int64_t id, char out[32]);
int res_cursor_decode(const char *s, int64_t *id);

#endif
