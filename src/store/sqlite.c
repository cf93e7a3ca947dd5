/* sqlite.c — the embedded SQLite backend of store.h.
 *
 * Durability: WAL with synchronous=FULL, so a commit has been fsync'ed to the WAL before
 * store_commit() returns: it survives a process crash and a power loss (docs/durability.md).
 * Writers: SQLite allows one writer at a time. Our own threads never compete for it: store.c
 * runs every write transaction on one writer connection and commits them in batches (group
 * commit, group_commit = 1 below), so one fsync acknowledges many writes. The busy timeout
 * covers other processes (the CLI next to a running server).
 */
#include <errno.h>
#include <pthread.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "core/strbuf.h"
#include "store/store_backend.h"

typedef struct {
  sqlite3 *db;
} sq_conn;

typedef struct {
  sqlite3_stmt *st;
  sqlite3 *db;
  int64_t changes;
} sq_stmt;

static int map_error(sqlite3 *db, int rc, err *e) {
  int ext = sqlite3_extended_errcode(db);
  const char *msg = sqlite3_errmsg(db);
  switch (ext) {
    case SQLITE_CONSTRAINT_UNIQUE:
    case SQLITE_CONSTRAINT_PRIMARYKEY:
      return err_set(e, ERR_conflict, NULL, "a record with the same key already exists (%s)", msg);
    case SQLITE_CONSTRAINT_FOREIGNKEY:
      return err_set(e, ERR_validation_failed, NULL, "a referenced record does not exist (%s)", msg);
    case SQLITE_CONSTRAINT_CHECK:
    case SQLITE_CONSTRAINT_NOTNULL:
      return err_set(e, ERR_validation_failed, NULL, "a value breaks a rule of the schema (%s)", msg);
    default: break;
  }
  if ((rc & 0xff) == SQLITE_BUSY || (rc & 0xff) == SQLITE_LOCKED)
    return err_set(e, ERR_unavailable, NULL, "database is busy (%s)", msg);
  return err_set(e, ERR_internal, NULL, "sqlite: %s", msg);
}

static void ensure_parent_dir(const char *path) {
  char *dir = xstrdup(path);
  char *slash = strrchr(dir, '/');
  if (slash && slash != dir) {
    *slash = '\0';
    for (char *p = dir + 1; *p; p++) {
      if (*p == '/') {
        *p = '\0';
        mkdir(dir, 0750);
        *p = '/';
      }
    }
    mkdir(dir, 0750);
  }
  free(dir);
}

/* Memory statistics take a global mutex on every SQLite allocation, which all our threads
 * then queue on; we never read them. Must run before SQLite initialises (a later call is
 * refused harmlessly). */
static void configure_library(void) { sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0); }

static void *sq_open(const char *url, err *e) {
  static pthread_once_t once = PTHREAD_ONCE_INIT;
  pthread_once(&once, configure_library);
  const char *path = url + strlen("sqlite:");
  if (!*path) {
    err_set(e, ERR_bad_request, "db", "sqlite URL needs a path, e.g. sqlite:var/uniops.db");
    return NULL;
  }
  ensure_parent_dir(path);
  sqlite3 *db = NULL;
  int rc = sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
                           NULL);
  if (rc != SQLITE_OK) {
    err_set(e, ERR_unavailable, "db", "cannot open %s: %s", path, db ? sqlite3_errmsg(db) : "out of memory");
    sqlite3_close(db);
    return NULL;
  }
  sqlite3_busy_timeout(db, 10000);
  char *errmsg = NULL;
  rc = sqlite3_exec(db,
                    "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; PRAGMA foreign_keys=ON;"
                    "PRAGMA temp_store=MEMORY; PRAGMA cache_size=-16000;",
                    NULL, NULL, &errmsg);
  if (rc != SQLITE_OK) {
    err_set(e, ERR_unavailable, "db", "cannot configure %s: %s", path, errmsg ? errmsg : "?");
    sqlite3_free(errmsg);
    sqlite3_close(db);
    return NULL;
  }
  sq_conn *c = xcalloc(1, sizeof *c);
  c->db = db;
  return c;
}

static void sq_close(void *h) {
  sq_conn *c = h;
  if (!c) return;
  sqlite3_close_v2(c->db);
  free(c);
}

static int sq_check(void *h, err *e) { return 0; }

static int sq_exec(void *h, const char *sql, err *e) {
  sq_conn *c = h;
  int rc = sqlite3_exec(c->db, sql, NULL, NULL, NULL);
  return rc == SQLITE_OK ? 0 : map_error(c->db, rc, e);
}

static int sq_begin(void *h, store_txmode mode, err *e) {
  return sq_exec(h, mode == STORE_WRITE ? "BEGIN IMMEDIATE" : "BEGIN", e);
}

static int sq_tx_active(void *h) { return !sqlite3_get_autocommit(((sq_conn *)h)->db); }

static int sq_commit(void *h, err *e) {
  sq_conn *c = h;
  int rc = sq_exec(h, "COMMIT", e);
  if (rc != 0 && !sqlite3_get_autocommit(c->db)) sqlite3_exec(c->db, "ROLLBACK", NULL, NULL, NULL);
  return rc;
}

static void sq_rollback(void *h) {
  sq_conn *c = h;
  if (!sqlite3_get_autocommit(c->db)) sqlite3_exec(c->db, "ROLLBACK", NULL, NULL, NULL);
}

static void *sq_prepare(void *h, const char *sql, err *e) {
  sq_conn *c = h;
  sqlite3_stmt *st = NULL;
  int rc = sqlite3_prepare_v3(c->db, sql, -1, SQLITE_PREPARE_PERSISTENT, &st, NULL);
  if (rc != SQLITE_OK) {
    map_error(c->db, rc, e);
    return NULL;
  }
  sq_stmt *s = xcalloc(1, sizeof *s);
  s->st = st;
  s->db = c->db;
  return s;
}

static void sq_free(void *p) {
  sq_stmt *s = p;
  if (!s) return;
  sqlite3_finalize(s->st);
  free(s);
}

static void sq_bind_int64(void *p, int idx, int64_t v) { sqlite3_bind_int64(((sq_stmt *)p)->st, idx, v); }
static void sq_bind_text(void *p, int idx, const char *v) {
  sqlite3_bind_text(((sq_stmt *)p)->st, idx, v, -1, SQLITE_TRANSIENT);
}
static void sq_bind_null(void *p, int idx) { sqlite3_bind_null(((sq_stmt *)p)->st, idx); }

static int sq_step(void *p, err *e) {
  sq_stmt *s = p;
  int rc = sqlite3_step(s->st);
  if (rc == SQLITE_ROW) return STORE_ROW;
  if (rc == SQLITE_DONE) {
    s->changes = sqlite3_changes64(s->db);
    return STORE_DONE;
  }
  return map_error(s->db, rc, e);
}

static int sq_col_count(void *p) { return sqlite3_column_count(((sq_stmt *)p)->st); }
static const char *sq_col_name(void *p, int col) { return sqlite3_column_name(((sq_stmt *)p)->st, col); }
static store_coltype sq_col_type(void *p, int col) {
  switch (sqlite3_column_type(((sq_stmt *)p)->st, col)) {
    case SQLITE_INTEGER: return SCOL_INT;
    case SQLITE_FLOAT: return SCOL_REAL;
    case SQLITE_NULL: return SCOL_NULL;
    default: return SCOL_TEXT;
  }
}
static int64_t sq_col_int64(void *p, int col) { return sqlite3_column_int64(((sq_stmt *)p)->st, col); }
static double sq_col_double(void *p, int col) { return sqlite3_column_double(((sq_stmt *)p)->st, col); }
static const char *sq_col_text(void *p, int col) {
  return (const char *)sqlite3_column_text(((sq_stmt *)p)->st, col);
}
static int64_t sq_changes(void *p) { return ((sq_stmt *)p)->changes; }
static void sq_reset(void *p) {
  sq_stmt *s = p;
  sqlite3_reset(s->st);
  sqlite3_clear_bindings(s->st);
  s->changes = 0;
}

const store_backend store_sqlite_backend = {
    .name = "sqlite",
    .dialect = STORE_SQLITE,
    .group_commit = 1,
    .conn_open = sq_open,
    .conn_close = sq_close,
    .conn_check = sq_check,
    .begin = sq_begin,
    .tx_active = sq_tx_active,
    .commit = sq_commit,
    .rollback = sq_rollback,
    .exec_script = sq_exec,
    .stmt_prepare = sq_prepare,
    .stmt_free = sq_free,
    .bind_int64 = sq_bind_int64,
    .bind_text = sq_bind_text,
    .bind_null = sq_bind_null,
    .step = sq_step,
    .col_count = sq_col_count,
    .col_name = sq_col_name,
    .col_type = sq_col_type,
    .col_int64 = sq_col_int64,
    .col_double = sq_col_double,
    .col_text = sq_col_text,
    .changes = sq_changes,
    .reset = sq_reset,
};
