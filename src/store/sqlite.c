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
#include <time.h>

#include "core/strbuf.h"
#include "store/store_backend.h"
#include "store/walbuf.h"

/* The writer connection's checkpointer: a thread with its own connection that copies the
 * WAL back into the database file (see writer_open). */
typedef struct {
  sqlite3 *db;
  pthread_t thread;
  pthread_mutex_t mu;
  pthread_cond_t cv;
  int stop;
} sq_checkpointer;

typedef struct {
  sqlite3 *db;
  sq_checkpointer *ckpt; /* only on the writer */
  /* The writer's COMMIT does not fsync (walbuf VFS, or synchronous=NORMAL without it) and
   * store.c calls sq_flush afterwards, outside the writer's turn: see sq_writer_open. */
  int flush_after_commit;
  pthread_mutex_t flush_mu; /* guards wal and serialises flushes */
  sqlite3_file *wal;
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

/* Opens a connection with the given VFS (NULL: SQLite's default). */
static sq_conn *open_with_vfs(const char *url, const char *vfs, err *e) {
  static pthread_once_t once = PTHREAD_ONCE_INIT;
  pthread_once(&once, configure_library);
  const char *path = url + strlen("sqlite:");
  if (!*path) {
    err_set(e, ERR_bad_request, "db", "sqlite URL needs a path, e.g. sqlite:var/uniops.db");
    return NULL;
  }
  if (strcmp(path, ":memory:") == 0 || strncmp(path, "file:", 5) == 0) {
    /* every connection of the pool (and the writer) must open the same database */
    err_set(e, ERR_bad_request, "db", "sqlite URL needs a file path, not %s", path);
    return NULL;
  }
  ensure_parent_dir(path);
  sqlite3 *db = NULL;
  int rc = sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
                           vfs);
  if (rc != SQLITE_OK) {
    err_set(e, ERR_unavailable, "db", "cannot open %s: %s", path, db ? sqlite3_errmsg(db) : "out of memory");
    sqlite3_close(db);
    return NULL;
  }
  sqlite3_busy_timeout(db, 10000);
  char *errmsg = NULL;
  /* 2 MB page cache (SQLite's default) per reading connection: there are many of them, and
   * every commit of the writer makes each one drop its cache at its next read anyway */
  rc = sqlite3_exec(db,
                    "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; PRAGMA foreign_keys=ON;"
                    "PRAGMA temp_store=MEMORY; PRAGMA cache_size=-2000;",
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

static void *sq_open(const char *url, err *e) { return open_with_vfs(url, NULL, e); }

static void checkpointer_stop(sq_checkpointer *k);

static void sq_close(void *h) {
  sq_conn *c = h;
  if (!c) return;
  if (c->ckpt) checkpointer_stop(c->ckpt);
  if (c->flush_after_commit) pthread_mutex_destroy(&c->flush_mu);
  sqlite3_close_v2(c->db);
  free(c);
}

static int sq_check(void *h, err *e) { return 0; }

/* --- the writer and its checkpointer ----------------------------------------------
 * By default SQLite checkpoints inside COMMIT once the WAL passes 1000 pages: the committing
 * connection copies pages into the database file and fsyncs it. With group commit that
 * connection is the writer, so every waiting write stalled behind the copy. The writer
 * therefore never checkpoints; a thread with its own connection runs PASSIVE checkpoints
 * (which take no lock writers need) every CKPT_INTERVAL_MS, and a RESTART checkpoint (which
 * waits for the writer, then lets the WAL start over) once the WAL has grown past
 * CKPT_RESTART_FRAMES. Under a steady write load that is what keeps the WAL small: the log
 * starts over only when a write transaction begins with every frame already checkpointed,
 * which a PASSIVE checkpoint racing a writer that commits every few milliseconds never
 * achieves — the WAL then grows without end, and every commit extends the file (block
 * allocation, and an fsync that must write the file's new size as well). */
#define CKPT_INTERVAL_MS 100
#define CKPT_RESTART_FRAMES 4096 /* 16 MB of 4 KB pages */

static void *checkpointer_main(void *arg) {
  sq_checkpointer *k = arg;
  pthread_mutex_lock(&k->mu);
  while (!k->stop) {
    struct timespec until;
    clock_gettime(CLOCK_REALTIME, &until);
    until.tv_nsec += CKPT_INTERVAL_MS * 1000000L;
    if (until.tv_nsec >= 1000000000L) {
      until.tv_sec++;
      until.tv_nsec -= 1000000000L;
    }
    pthread_cond_timedwait(&k->cv, &k->mu, &until);
    if (k->stop) break;
    pthread_mutex_unlock(&k->mu);
    int frames = 0, done = 0;
    sqlite3_wal_checkpoint_v2(k->db, NULL, SQLITE_CHECKPOINT_PASSIVE, &frames, &done);
    if (frames > CKPT_RESTART_FRAMES)
      sqlite3_wal_checkpoint_v2(k->db, NULL, SQLITE_CHECKPOINT_RESTART, &frames, &done);
    pthread_mutex_lock(&k->mu);
  }
  pthread_mutex_unlock(&k->mu);
  return NULL;
}

static void checkpointer_stop(sq_checkpointer *k) {
  pthread_mutex_lock(&k->mu);
  k->stop = 1;
  pthread_cond_signal(&k->cv);
  pthread_mutex_unlock(&k->mu);
  pthread_join(k->thread, NULL);
  sqlite3_close_v2(k->db);
  pthread_mutex_destroy(&k->mu);
  pthread_cond_destroy(&k->cv);
  free(k);
}

/* The writer's COMMIT does not fsync: it opens the database through the walbuf VFS
 * (walbuf.h), whose WAL xSync — which synchronous=FULL makes SQLite call in every COMMIT,
 * before the new frames become visible — only writes the commit's frames, gathered into one
 * write() instead of two per page. store.c then calls sq_flush once the next batch has the
 * writer: the fsync overlaps the next batch's work instead of being part of the serial
 * section, and writes are still answered only after it (docs/durability.md). Without the
 * VFS (not registered) the writer falls back to synchronous=NORMAL: a COMMIT without
 * xSync, the frames written one call at a time. */
static void *sq_writer_open(const char *url, err *e) {
  const char *vfs = walbuf_vfs_name();
  sq_conn *c = open_with_vfs(url, vfs, e);
  if (!c) return NULL;
  /* a bigger page cache than the readers': the writer's is never invalidated by another
   * connection's write, and it holds the hot right-hand pages of every index written to */
  if (sqlite3_exec(c->db,
                   vfs ? "PRAGMA wal_autocheckpoint=0; PRAGMA synchronous=FULL; PRAGMA cache_size=-16000"
                       : "PRAGMA wal_autocheckpoint=0; PRAGMA synchronous=NORMAL; PRAGMA cache_size=-16000",
                   NULL, NULL, NULL) != SQLITE_OK) {
    map_error(c->db, SQLITE_ERROR, e);
    sq_close(c);
    return NULL;
  }
  sq_conn *side = sq_open(url, e); /* the checkpointer's own connection, same settings */
  if (!side) {
    sq_close(c);
    return NULL;
  }
  sq_checkpointer *k = xcalloc(1, sizeof *k);
  k->db = side->db;
  free(side);
  pthread_mutex_init(&k->mu, NULL);
  pthread_cond_init(&k->cv, NULL);
  if (pthread_create(&k->thread, NULL, checkpointer_main, k) != 0) {
    sqlite3_close_v2(k->db);
    pthread_mutex_destroy(&k->mu);
    pthread_cond_destroy(&k->cv);
    free(k);
    sq_close(c);
    err_set(e, ERR_internal, NULL, "cannot start the checkpoint thread");
    return NULL;
  }
  c->ckpt = k;
  pthread_mutex_init(&c->flush_mu, NULL);
  c->flush_after_commit = 1;
  return c;
}

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
  if (rc == 0 && c->flush_after_commit) {
    /* the log file this commit wrote to, for sq_flush (we own the connection here) */
    sqlite3_file *wal = NULL;
    sqlite3_file_control(c->db, "main", SQLITE_FCNTL_JOURNAL_POINTER, &wal);
    pthread_mutex_lock(&c->flush_mu);
    c->wal = wal;
    pthread_mutex_unlock(&c->flush_mu);
  }
  return rc;
}

/* fsync of the write-ahead log through SQLite's own file object (the same descriptor
 * SQLite writes with), as synchronous=FULL would have done inside COMMIT. */
static int sq_flush(void *h, err *e) {
  sq_conn *c = h;
  if (!c->flush_after_commit) return 0;
  pthread_mutex_lock(&c->flush_mu);
  int rc = SQLITE_OK;
  if (c->wal && c->wal->pMethods) rc = walbuf_sync(c->wal, SQLITE_SYNC_NORMAL);
  int missing = c->wal == NULL;
  pthread_mutex_unlock(&c->flush_mu);
  if (missing) return err_set(e, ERR_internal, NULL, "no write-ahead log to flush");
  if (rc != SQLITE_OK)
    return err_set(e, ERR_unavailable, NULL, "cannot flush the write-ahead log to disk: %s", sqlite3_errstr(rc));
  return 0;
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
    /* sqlite3_changes64 is the connection's last INSERT/UPDATE/DELETE, whichever statement
     * that was: a read reports none */
    s->changes = sqlite3_stmt_readonly(s->st) ? 0 : sqlite3_changes64(s->db);
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
    .writer_open = sq_writer_open,
    .conn_close = sq_close,
    .conn_check = sq_check,
    .begin = sq_begin,
    .tx_active = sq_tx_active,
    .commit = sq_commit,
    .flush = sq_flush,
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
