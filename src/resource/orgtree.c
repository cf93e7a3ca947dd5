/* orgtree.c — an in-memory copy of the organisation tree (id → parent) for the scope
 * checks that run on every read of a record ("is this order's department inside the
 * caller's tree?"). Asking the database took two to four statements per request, a
 * recursive one among them: a fifth of the cost of reading one work order.
 * SLA resolution takes a customer's chain from it too when a work order is planned.
 *
 * Freshness: the copy is reloaded when it is older than ORGTREE_MAX_AGE_MS, when an id is
 * not in it (an organisation created since), and at once after an organisation is changed
 * through this process (orgtree_invalidate). So another instance's move of an organisation
 * under a new parent reaches this one within a second. Checks inside a write transaction do
 * not use the copy at all (resource.c asks the database), so what is written is always
 * validated against the committed tree. */
#include "resource/orgtree.h"

#include <pthread.h>
#include <stdlib.h>
#include <time.h>

#include "core/strbuf.h"

#define ORGTREE_MAX_AGE_MS 1000
#define ORGTREE_MAX_DEPTH 32

typedef struct {
  int64_t id, parent;
} org_link;

static pthread_rwlock_t lock = PTHREAD_RWLOCK_INITIALIZER;
static org_link *links; /* sorted by id */
static size_t nlinks;
static int64_t loaded_at_ms = -1; /* monotonic; -1: not loaded or invalidated */

static int64_t mono_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void orgtree_invalidate(void) {
  pthread_rwlock_wrlock(&lock);
  loaded_at_ms = -1;
  pthread_rwlock_unlock(&lock);
}

void orgtree_free(void) {
  pthread_rwlock_wrlock(&lock);
  free(links);
  links = NULL;
  nlinks = 0;
  loaded_at_ms = -1;
  pthread_rwlock_unlock(&lock);
}

static int reload(store_conn *c, err *e) {
  int64_t started = mono_ms();
  store_stmt *st = store_query(c, e, "SELECT id, parent_id FROM orgs ORDER BY id", NULL);
  if (!st) return -1;
  size_t n = 0, cap = 256;
  org_link *fresh = xcalloc(cap, sizeof *fresh);
  int rc;
  while ((rc = store_step(st, e)) == STORE_ROW) {
    if (n == cap) {
      cap *= 2;
      fresh = xrealloc(fresh, cap * sizeof *fresh);
    }
    fresh[n].id = store_col_int64(st, 0);
    fresh[n].parent = store_col_type(st, 1) == SCOL_NULL ? 0 : store_col_int64(st, 1);
    n++;
  }
  store_finish(st);
  if (rc < 0) {
    free(fresh);
    return -1;
  }
  pthread_rwlock_wrlock(&lock);
  free(links);
  links = fresh;
  nlinks = n;
  loaded_at_ms = started;
  pthread_rwlock_unlock(&lock);
  return 0;
}

/* Parent of id (0 for a root), or -1 when id is unknown. Holds the read lock. */
static int64_t parent_of(int64_t id) {
  size_t lo = 0, hi = nlinks;
  while (lo < hi) {
    size_t mid = lo + (hi - lo) / 2;
    if (links[mid].id == id) return links[mid].parent;
    if (links[mid].id < id)
      lo = mid + 1;
    else
      hi = mid;
  }
  return -1;
}

/* Runs fn under the read lock on a fresh enough copy, reloading once when the copy is old
 * or fn meets an unknown id (fn returns -2 for that). */
static int64_t with_tree(store_conn *c, int64_t (*fn)(int64_t, int64_t), int64_t a, int64_t b, err *e) {
  for (int attempt = 0; attempt < 2; attempt++) {
    pthread_rwlock_rdlock(&lock);
    int fresh = loaded_at_ms >= 0 && mono_ms() - loaded_at_ms < ORGTREE_MAX_AGE_MS;
    int64_t r = fresh ? fn(a, b) : -2;
    pthread_rwlock_unlock(&lock);
    if (r != -2) return r;
    if (attempt == 0 && reload(c, e) != 0) return -1;
  }
  return -2;
}

static int64_t in_tree(int64_t root, int64_t org) {
  int64_t cur = org;
  for (int depth = 0; depth < ORGTREE_MAX_DEPTH && cur > 0; depth++) {
    if (cur == root) return 1;
    int64_t p = parent_of(cur);
    if (p < 0) return depth == 0 ? 0 : -2; /* an unknown org is in no tree; a dangling parent means a stale copy */
    cur = p;
  }
  return 0;
}

static int64_t root_of(int64_t org, int64_t unused) {
  (void)unused;
  int64_t cur = org;
  for (int depth = 0; depth < ORGTREE_MAX_DEPTH; depth++) {
    int64_t p = parent_of(cur);
    if (p < 0) return depth == 0 ? -2 : cur;
    if (p == 0) return cur;
    cur = p;
  }
  return cur;
}

int orgtree_in_tree(store_conn *c, int64_t root, int64_t org_id, err *e) {
  if (root <= 0 || org_id <= 0) return 0;
  int64_t r = with_tree(c, in_tree, root, org_id, e);
  if (r == -2) return 0;
  return (int)r;
}

int64_t orgtree_root(store_conn *c, int64_t org_id, err *e) {
  int64_t r = with_tree(c, root_of, org_id, 0, e);
  return r == -2 ? org_id : r;
}

/* Fills chain from org upwards; -2 for an unknown id (the copy may be stale). Holds the
 * read lock. */
static int chain_of(int64_t org, int64_t *chain, int max) {
  int n = 0;
  for (int64_t cur = org; cur > 0 && n < max;) {
    int64_t p = parent_of(cur);
    if (p < 0) return -2;
    chain[n++] = cur;
    cur = p;
  }
  return n;
}

int orgtree_chain(store_conn *c, int64_t org_id, int64_t *chain, int max, err *e) {
  if (org_id <= 0 || max <= 0) return 0;
  for (int attempt = 0; attempt < 2; attempt++) {
    pthread_rwlock_rdlock(&lock);
    int fresh = loaded_at_ms >= 0 && mono_ms() - loaded_at_ms < ORGTREE_MAX_AGE_MS;
    int n = fresh ? chain_of(org_id, chain, max) : -2;
    pthread_rwlock_unlock(&lock);
    if (n != -2) return n;
    if (attempt == 0 && reload(c, e) != 0) return -1;
  }
  return 0; /* still unknown with a fresh copy: no such organisation */
}
