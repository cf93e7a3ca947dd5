/* audit.h — the append-only, hash-chained audit trail.
 *
 * Every state change and every login attempt writes one record inside the same
 * transaction as the change. Record n stores prev_hash (record n-1's hash, or 64 zeros)
 * and hash = SHA-256 over prev_hash and its own canonical content (audit_hash()).
 * A one-row table audit_head holds the last seq and hash; updating it first serialises
 * writers on both backends and lets verify notice a deleted tail.
 */
#ifndef UNIOPS_AUDIT_H
#define UNIOPS_AUDIT_H

#include <jansson.h>
#include <stdint.h>

#include "auth/rbac.h"
#include "store/store.h"

#define AUDIT_HASH_HEX 65

typedef struct audit_entry {
  const principal *actor;  /* NULL for anonymous or the CLI */
  const char *actor_name;  /* used when actor is NULL (attempted username, "cli") */
  const char *ip;          /* "" when not over HTTP */
  const char *request_id;  /* "" when not over HTTP */
  const char *action;      /* e.g. "create", "update", "login", "login_failed" */
  const char *resource;    /* e.g. "org", "user", "session" */
  const char *resource_id; /* the record's id as text */
  const json_t *before;    /* changed fields before (borrowed, may be NULL) */
  const json_t *after;     /* changed fields after (borrowed, may be NULL) */
  /* When not NULL: receives the compact text of `after` as stored (caller frees), for a
   * caller that answers with the same record and need not serialise it twice. */
  char **after_text;
} audit_entry;

/* The stored form of one record; every field is text or an integer. */
typedef struct audit_row {
  int64_t seq, at;
  int64_t actor_id, actor_org_id; /* 0 = none */
  const char *actor_name, *ip, *request_id, *action, *resource, *resource_id;
  const char *before_json, *after_json; /* NULL = none */
  const char *prev_hash;
} audit_row;

/* Computes the hex SHA-256 of a record: prev_hash and every field, each length-prefixed
 * so no two different records share a canonical form. Pure. */
void audit_hash(const audit_row *row, char out[AUDIT_HASH_HEX]);

/* Appends one record in the caller's open write transaction. */
int audit_write(store_conn *c, const audit_entry *entry, err *e);

/* Keeps only the keys whose values differ between before and after (both objects).
 * Sets *b and *a to new objects (caller decrefs). */
void audit_diff(const json_t *before, const json_t *after, json_t **b, json_t **a);

/* Walks the chain. Returns 0 when intact (and *count records); otherwise -1, with
 * *bad_seq the first broken record and why[] the reason. */
int audit_verify(store *s, int64_t *count, int64_t *bad_seq, char *why, unsigned why_cap, err *e);

#endif
