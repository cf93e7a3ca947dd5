/* orgtree.h — a cached copy of the organisation tree for read-path scope checks and for
 * the customer chain of SLA resolution outside write transactions (orgtree.c explains how
 * fresh it is). Thread-safe. */
#ifndef UNIOPS_ORGTREE_H
#define UNIOPS_ORGTREE_H

#include <stdint.h>

#include "core/err.h"
#include "store/store.h"

/* Is org_id inside the subtree rooted at root (root itself included)? 1/0, -1 on error.
 * c is used only to reload the copy. */
int orgtree_in_tree(store_conn *c, int64_t root, int64_t org_id, err *e);
/* The topmost ancestor of org_id (itself when it has no parent or is unknown); -1 on error. */
int64_t orgtree_root(store_conn *c, int64_t org_id, err *e);
/* The chain of org_id upwards: chain[0] = org_id, then its parent, … up to max entries.
 * Returns their number, 0 when org_id is unknown, -1 on error. */
int orgtree_chain(store_conn *c, int64_t org_id, int64_t *chain, int max, err *e);
/* Drops the copy: the next check reloads it. Call after changing an organisation. */
void orgtree_invalidate(void);
/* Frees the copy (at shutdown, for leak checkers). */
void orgtree_free(void);

#endif
