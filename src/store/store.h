/* store.h — the one storage interface; SQLite (sqlite.c) and PostgreSQL (postgres.c) behind it.
 *
 * A `store` is a pool of connections opened from a URL:
 *   sqlite:PATH                  (default sqlite:var/uniops.db; a file: the pool's connections share it)
 *   postgresql://user:pass@host:port/db  (or postgres://…; PG* environment variables apply)
 * A thread takes a connection with store_acquire(), uses it, and gives it back with
 * store_release(). A connection is never used by two threads at once.
 *
 * SQL is written once with `?` placeholders; the PostgreSQL backend rewrites them to $n.
 * Portable SQL only: INTEGER/BIGINT/TEXT columns, ms timestamps as BIGINT, booleans as 0/1
 * INTEGER, `INSERT … RETURNING id`, `ON CONFLICT`, no `? IS NULL` (PostgreSQL cannot infer
 * the type of an untyped parameter there: write CAST(? AS BIGINT) or build the SQL).
 *
 * Statements come from a per-connection cache: store_prepare() returns a reset statement;
 * bind (1-based), step, read columns, and store_finish() it (which resets it for reuse).
 * Never hold two live uses of the same SQL text on one connection.
 *
 * Errors fill `err`: unique violation → ERR_conflict, foreign key/check → ERR_validation_failed,
 * lost connection / busy / deadlock → ERR_unavailable, anything else → ERR_internal.
 */
#ifndef UNIOPS_STORE_H
#define UNIOPS_STORE_H

#include <stdint.h>

#include "core/err.h"

typedef struct store store;
typedef struct store_conn store_conn;
typedef struct store_stmt store_stmt;

typedef enum { STORE_SQLITE, STORE_POSTGRES } store_dialect;
typedef enum { STORE_READ, STORE_WRITE } store_txmode;
typedef enum { SCOL_NULL, SCOL_INT, SCOL_REAL, SCOL_TEXT } store_coltype;

enum { STORE_DONE = 0, STORE_ROW = 1 };

/* Opens a pool of `pool_size` connections (>= 1) for url. Returns NULL and fills e on failure. */
store *store_open(const char *url, int pool_size, err *e);
/* Closes every connection; all must have been released. NULL-safe. */
void store_close(store *s);
store_dialect store_get_dialect(const store *s);
/* The URL with any password removed, for logs. */
const char *store_display_url(const store *s);

/* Takes a free connection, waiting up to 5 s; NULL + ERR_unavailable on timeout or
 * when the connection cannot be (re)established. */
store_conn *store_acquire(store *s, err *e);
void store_release(store *s, store_conn *c);
store_dialect store_conn_dialect(const store_conn *c);

/* Transactions. On SQLite a STORE_WRITE transaction runs on the pool's one writer connection
 * as a savepoint inside a shared batch transaction (group commit, see store.c): our own
 * threads never busy-wait for the write lock, and one fsync acknowledges a whole batch.
 * commit returns only once the caller's writes are durable — or fails, with every other
 * write of a batch whose COMMIT failed. rollback undoes only the caller's writes; it is
 * NULL-safe and never fails loudly. Never begin a write transaction on a second connection
 * while holding one (the second waits for the first forever). */
int store_begin(store_conn *c, store_txmode mode, err *e);
int store_commit(store_conn *c, err *e);
/* A write as one function: runs on `c` inside a write transaction, returns 0 or -1 with *e
 * set (its writes are then undone). */
typedef int (*store_write_fn)(store_conn *c, void *arg, err *e);
/* Runs fn(c, arg, e) in a write transaction and returns once its writes are durable (0), or
 * -1 with *e: fn's own error, or the batch's when its commit failed (nothing of fn's is
 * then written). The same guarantees as store_begin + store_commit, for less: on SQLite the
 * store's writer thread runs the queued functions of every caller back to back (store.c),
 * so fn runs on another thread — while its caller waits — and must touch only what it is
 * given. c must not be in a transaction; any read snapshot of c ends. */
int store_write(store_conn *c, store_write_fn fn, void *arg, err *e);
/* Opens a read snapshot on c, when nothing is open and the backend is SQLite: until a write
 * transaction begins (which ends it, so that later reads see the write) or c goes back to
 * the pool, c's statements read one consistent state in one read transaction, instead of
 * taking the WAL read lock — and, while anything writes, emptying their page cache — once
 * per statement. A store_begin(STORE_READ) inside it opens nothing more. A no-op on
 * PostgreSQL, where a transaction is a round trip. The HTTP layer opens one per request. */
void store_snapshot(store_conn *c);
/* Begins a write transaction on c's own database connection instead of the shared
 * group-commit writer (on a store without one: store_begin(c, STORE_WRITE)). For the
 * migration runner, which needs a connection setting — SQLite's foreign_keys, off while a
 * referenced table is rebuilt — that the writer every request shares must never carry.
 * Commit or roll back with store_commit / store_rollback as usual. */
int store_begin_own(store_conn *c, err *e);
void store_rollback(store_conn *c);
int store_in_tx(const store_conn *c);
/* Group commit counters: batches committed, the writes they held, the seconds writers held
 * the writer connection (their own work and the commits: the serial part of every write),
 * the seconds of COMMIT alone, and the seconds of flushing the log after it (outside the
 * writer). -1 when the backend commits each transaction on its own (PostgreSQL). */
int store_write_stats(store *s, uint64_t *commits, uint64_t *writes, double *busy_s, double *commit_s,
                      double *flush_s);

/* Runs one or more statements without parameters (migrations, DDL). */
int store_exec_script(store_conn *c, const char *sql, err *e);

store_stmt *store_prepare(store_conn *c, const char *sql, err *e);
void store_bind_int64(store_stmt *st, int idx, int64_t v);
void store_bind_text(store_stmt *st, int idx, const char *v); /* NULL binds NULL */
void store_bind_null(store_stmt *st, int idx);
/* STORE_ROW, STORE_DONE or -1 (e filled). */
int store_step(store_stmt *st, err *e);
int store_col_count(store_stmt *st);
const char *store_col_name(store_stmt *st, int col);
store_coltype store_col_type(store_stmt *st, int col);
int64_t store_col_int64(store_stmt *st, int col);
double store_col_double(store_stmt *st, int col);
/* Valid until the next step/finish; NULL for SQL NULL. */
const char *store_col_text(store_stmt *st, int col);
/* Rows changed by the last completed INSERT/UPDATE/DELETE of this statement. */
int64_t store_changes(store_stmt *st);
/* Resets the statement (bindings cleared) and returns it to the cache. NULL-safe. */
void store_finish(store_stmt *st);

/* Convenience: prepare, bind from fmt, step to the end, finish.
 * fmt letters: 'i' int64_t, 's' const char * (NULL → NULL), 'n' NULL.
 * Returns rows changed (>= 0) or -1. Outside a transaction, an INSERT/UPDATE/DELETE/REPLACE
 * (here and in store_query_int) runs in a write transaction of its own, so on SQLite it goes
 * through group commit rather than around it. store_query cannot tell: step a writing
 * statement from it only inside store_begin(STORE_WRITE). */
int64_t store_run(store_conn *c, err *e, const char *sql, const char *fmt, ...);
/* Convenience: first column of the first row as int64. Returns 1 (row), 0 (no row), -1. */
int store_query_int(store_conn *c, err *e, int64_t *out, const char *sql, const char *fmt, ...);
/* Prepares and binds from fmt (as store_run) and returns the statement, ready to step. */
store_stmt *store_query(store_conn *c, err *e, const char *sql, const char *fmt, ...);

/* Is the backend reachable? (SELECT 1 on a pooled connection.) */
int store_ping(store *s, err *e);

#endif
