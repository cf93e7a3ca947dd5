/* store_backend.h — what a storage backend implements (private to src/store/).
 *
 * store.c owns the pool, the statement cache bookkeeping and the convenience helpers;
 * a backend only knows one connection at a time through these hooks.
 */
#ifndef UNIOPS_STORE_BACKEND_H
#define UNIOPS_STORE_BACKEND_H

#include "store/store.h"

typedef struct store_backend {
  const char *name;
  store_dialect dialect;
  /* 1: write transactions share one writer connection and commit in batches (store.c,
   * "group commit"); 0: each connection runs its own write transactions. */
  int group_commit;
  /* Opens one connection for url; returns an opaque handle or NULL (e filled). */
  void *(*conn_open)(const char *url, err *e);
  /* Opens the group-commit writer connection (closed with conn_close); NULL: conn_open. */
  void *(*writer_open)(const char *url, err *e);
  void (*conn_close)(void *h);
  /* Re-establishes a broken connection in place if needed; 0 when healthy. */
  int (*conn_check)(void *h, err *e);
  int (*begin)(void *h, store_txmode mode, err *e);
  /* 1 while the connection has an open transaction (group commit checks that a batch
   * was not rolled back under it); may be NULL when group_commit is 0. */
  int (*tx_active)(void *h);
  int (*commit)(void *h, err *e);
  /* Writer connections that commit without flushing: makes what the last commit of h wrote
   * durable. Called without owning h, possibly while another thread uses it, and by several
   * threads at once. NULL: commit itself is durable. */
  int (*flush)(void *h, err *e);
  void (*rollback)(void *h);
  int (*exec_script)(void *h, const char *sql, err *e);
  /* Compiles sql (with ? placeholders); returns a backend statement or NULL. */
  void *(*stmt_prepare)(void *h, const char *sql, err *e);
  void (*stmt_free)(void *st);
  void (*bind_int64)(void *st, int idx, int64_t v);
  void (*bind_text)(void *st, int idx, const char *v);
  void (*bind_null)(void *st, int idx);
  int (*step)(void *st, err *e);
  int (*col_count)(void *st);
  const char *(*col_name)(void *st, int col);
  store_coltype (*col_type)(void *st, int col);
  int64_t (*col_int64)(void *st, int col);
  double (*col_double)(void *st, int col);
  const char *(*col_text)(void *st, int col);
  int64_t (*changes)(void *st);
  void (*reset)(void *st);
} store_backend;

extern const store_backend store_sqlite_backend;
extern const store_backend store_postgres_backend;

#endif
