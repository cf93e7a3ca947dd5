/* backup.c — store_backup / store_restore: SQLite through its online backup API,
 * PostgreSQL through pg_dump / pg_restore run as child processes. See backup.h. */
#include "store/backup.h"

#include <errno.h>
#include <fcntl.h>
#include <glob.h>
#include <libpq-fe.h>
#include <pwd.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core/strbuf.h"
#include "store/store.h"

/* How long a copy waits for a lock held by another connection (a checkpoint, a restore
 * target's writer) before giving up: 300 × 100 ms on top of the 10 s busy timeout. */
#define LOCK_RETRIES 300
#define LOCK_RETRY_MS 100

static int path_exists(const char *path) {
  struct stat st;
  return lstat(path, &st) == 0;
}

static int fsync_path(const char *path, int is_dir) {
  int fd = open(path, is_dir ? O_RDONLY | O_DIRECTORY : O_RDONLY);
  if (fd < 0) return -1;
  int rc = fsync(fd);
  close(fd);
  return rc;
}

/* The folder holding path ("." when it has no slash), into out. */
static void parent_dir(const char *path, char *out, size_t cap) {
  const char *slash = strrchr(path, '/');
  if (!slash)
    snprintf(out, cap, ".");
  else if (slash == path)
    snprintf(out, cap, "/");
  else
    snprintf(out, cap, "%.*s", (int)(slash - path), path);
}

/* Makes the partial file durable and puts it in place of final in one rename: a crash
 * leaves either the old final or the complete new one, never half a file. */
static int publish(const char *partial, const char *final, err *e) {
  char dir[4096];
  if (fsync_path(partial, 0) != 0)
    return err_set(e, ERR_internal, NULL, "cannot sync %s: %s", partial, strerror(errno));
  if (rename(partial, final) != 0)
    return err_set(e, ERR_internal, NULL, "cannot rename %s to %s: %s", partial, final, strerror(errno));
  parent_dir(final, dir, sizeof dir);
  fsync_path(dir, 1); /* best effort: some file systems refuse to sync a folder */
  return 0;
}

/* ---- SQLite ------------------------------------------------------------------------- */

static int sq_error(sqlite3 *db, err *e, const char *what, const char *path) {
  return err_set(e, ERR_internal, NULL, "%s %s: %s", what, path, db ? sqlite3_errmsg(db) : "out of memory");
}

static sqlite3 *sq_open(const char *path, int flags, err *e) {
  sqlite3 *db = NULL;
  if (sqlite3_open_v2(path, &db, flags, NULL) != SQLITE_OK) {
    err_set(e, ERR_unavailable, "db", "cannot open %s: %s", path, db ? sqlite3_errmsg(db) : "out of memory");
    sqlite3_close(db);
    return NULL;
  }
  sqlite3_busy_timeout(db, 10000);
  return db;
}

/* Copies every page of src into dst in a single step, that is inside one read transaction
 * on src: the copy is src as of one commit even while another process writes to it. */
static int copy_pages(sqlite3 *src, sqlite3 *dst, err *e) {
  sqlite3_backup *b = sqlite3_backup_init(dst, "main", src, "main");
  if (!b) return err_set(e, ERR_internal, NULL, "cannot start the copy: %s", sqlite3_errmsg(dst));
  int rc;
  for (int tries = 0;; tries++) {
    rc = sqlite3_backup_step(b, -1);
    if ((rc == SQLITE_BUSY || rc == SQLITE_LOCKED) && tries < LOCK_RETRIES) {
      sqlite3_sleep(LOCK_RETRY_MS);
      continue;
    }
    break;
  }
  int frc = sqlite3_backup_finish(b);
  if (rc != SQLITE_DONE)
    return err_set(e, rc == SQLITE_BUSY || rc == SQLITE_LOCKED ? ERR_unavailable : ERR_internal, NULL,
                   "copy failed: %s", sqlite3_errstr(rc));
  if (frc != SQLITE_OK) return err_set(e, ERR_internal, NULL, "copy failed: %s", sqlite3_errmsg(dst));
  return 0;
}

/* The first column of the first row of sql as text into out ("" when none); 0 or -1. */
static int sq_text(sqlite3 *db, const char *sql, char *out, size_t cap, err *e, const char *path) {
  sqlite3_stmt *st = NULL;
  out[0] = '\0';
  if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK) return sq_error(db, e, "cannot read", path);
  int rc = sqlite3_step(st);
  if (rc == SQLITE_ROW && sqlite3_column_text(st, 0))
    snprintf(out, cap, "%s", (const char *)sqlite3_column_text(st, 0));
  sqlite3_finalize(st);
  if (rc != SQLITE_ROW && rc != SQLITE_DONE) return sq_error(db, e, "cannot read", path);
  return 0;
}

/* Is db an intact uniops database? quick_check, then the migrations table. */
static int sq_check_copy(sqlite3 *db, const char *path, err *e) {
  char v[256];
  if (sq_text(db, "PRAGMA quick_check", v, sizeof v, e, path) != 0) return -1;
  if (strcmp(v, "ok") != 0) return err_set(e, ERR_internal, NULL, "%s is damaged: %s", path, v);
  if (sq_text(db, "SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = 'schema_migrations'", v,
              sizeof v, e, path) != 0)
    return -1;
  if (strcmp(v, "1") != 0) return err_set(e, ERR_bad_request, NULL, "%s is not a uniops database", path);
  return 0;
}

static int sqlite_backup(const char *path, const char *file, int force, err *e) {
  struct stat sst, fst;
  if (stat(path, &sst) != 0) return err_set(e, ERR_unavailable, "db", "no database at %s", path);
  if (stat(file, &fst) == 0 && fst.st_dev == sst.st_dev && fst.st_ino == sst.st_ino)
    return err_set(e, ERR_bad_request, NULL, "%s is the database itself", file);
  if (!force && path_exists(file))
    return err_set(e, ERR_conflict, NULL, "%s exists: choose another name, or --force to replace it", file);
  strbuf partial;
  sb_init(&partial);
  sb_addf(&partial, "%s.partial", file);
  unlink(partial.buf);
  int rc = -1;
  sqlite3 *src = NULL, *dst = NULL;
  if (!(src = sq_open(path, SQLITE_OPEN_READONLY, e))) goto out;
  if (!(dst = sq_open(partial.buf, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, e))) goto out;
  if (copy_pages(src, dst, e) != 0) goto out;
  /* The pages say "WAL" like the source's; a backup should be one file that needs no -wal. */
  if (sqlite3_exec(dst, "PRAGMA journal_mode=DELETE", NULL, NULL, NULL) != SQLITE_OK) {
    sq_error(dst, e, "cannot finish", partial.buf);
    goto out;
  }
  if (sq_check_copy(dst, partial.buf, e) != 0) goto out;
  if (sqlite3_close(dst) != SQLITE_OK) {
    sq_error(dst, e, "cannot close", partial.buf);
    goto out;
  }
  dst = NULL;
  rc = publish(partial.buf, file, e);
out:
  sqlite3_close(src);
  sqlite3_close(dst);
  if (rc != 0) unlink(partial.buf);
  sb_release(&partial);
  return rc;
}

/* mkdir -p of path's folder, as the SQLite backend does for a new database. */
static void make_parent(const char *path) {
  char dir[4096];
  parent_dir(path, dir, sizeof dir);
  for (char *p = dir + 1; *p; p++) {
    if (*p != '/') continue;
    *p = '\0';
    mkdir(dir, 0750);
    *p = '/';
  }
  mkdir(dir, 0750);
}

static int sqlite_restore(const char *file, const char *path, int force, err *e) {
  char wal[4200], shm[4200];
  snprintf(wal, sizeof wal, "%s-wal", path);
  snprintf(shm, sizeof shm, "%s-shm", path);
  if (!path_exists(file)) return err_set(e, ERR_bad_request, NULL, "no backup file %s", file);
  int target = path_exists(path);
  if (!force && (target || path_exists(wal)))
    return err_set(e, ERR_conflict, "db", "%s exists: restore into a new path, or --force to overwrite it", path);
  int rc = -1;
  sqlite3 *src = NULL, *dst = NULL;
  if (!(src = sq_open(file, SQLITE_OPEN_READONLY, e))) goto out;
  /* Check the backup before anything at the target is touched. */
  if (sq_check_copy(src, file, e) != 0) goto out;
  if (!target) {
    /* A write-ahead log left behind by a deleted database would be replayed onto the
     * restored pages: it belongs to no database any more. */
    unlink(wal);
    unlink(shm);
    make_parent(path);
  }
  if (!(dst = sq_open(path, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, e))) goto out;
  if (copy_pages(src, dst, e) != 0) goto out;
  if (sqlite3_close(dst) != SQLITE_OK) {
    sq_error(dst, e, "cannot close", path);
    goto out;
  }
  dst = NULL;
  if (fsync_path(path, 0) != 0) {
    err_set(e, ERR_internal, NULL, "cannot sync %s: %s", path, strerror(errno));
    goto out;
  }
  if (!target) {
    char dir[4096];
    parent_dir(path, dir, sizeof dir);
    fsync_path(dir, 1); /* the new file's name, best effort as in publish() */
  }
  rc = 0;
out:
  sqlite3_close(src);
  sqlite3_close(dst);
  return rc;
}

/* ---- PostgreSQL --------------------------------------------------------------------- */

static int is_postgres(const char *url) {
  return strncmp(url, "postgresql://", 13) == 0 || strncmp(url, "postgres://", 11) == 0 ||
         strcmp(url, "postgresql:") == 0;
}

/* The major version in ".../postgresql/N/bin/...", for picking the newest. */
static long pg_version_of(const char *path) {
  const char *p = strstr(path, "/postgresql/");
  return p ? strtol(p + 12, NULL, 10) : 0;
}

/* pg_dump / pg_restore: from PATH, else the newest Debian install. Heap string or NULL. */
static char *find_pg_tool(const char *name) {
  const char *path = getenv("PATH");
  if (path) {
    char *dirs = xstrdup(path), *save = NULL;
    for (char *d = strtok_r(dirs, ":", &save); d; d = strtok_r(NULL, ":", &save)) {
      strbuf cand;
      sb_init(&cand);
      sb_addf(&cand, "%s/%s", *d ? d : ".", name);
      if (access(cand.buf, X_OK) == 0) {
        free(dirs);
        return cand.buf;
      }
      sb_release(&cand);
    }
    free(dirs);
  }
  char pattern[128];
  snprintf(pattern, sizeof pattern, "/usr/lib/postgresql/*/bin/%s", name);
  glob_t g;
  char *best = NULL;
  if (glob(pattern, 0, NULL, &g) == 0) {
    long best_v = -1;
    for (size_t i = 0; i < g.gl_pathc; i++)
      if (access(g.gl_pathv[i], X_OK) == 0 && pg_version_of(g.gl_pathv[i]) > best_v) {
        best_v = pg_version_of(g.gl_pathv[i]);
        free(best);
        best = xstrdup(g.gl_pathv[i]);
      }
  }
  globfree(&g);
  return best;
}

/* The URL's settings as libpq parsed them (NULL for the bare "postgresql:", which means
 * the PG* environment alone); *ok is 0 when the URL does not parse. */
static PQconninfoOption *pg_settings(const char *url, int *ok, err *e) {
  *ok = 1;
  if (strcmp(url, "postgresql:") == 0) return NULL;
  char *msg = NULL;
  PQconninfoOption *o = PQconninfoParse(url, &msg);
  if (!o) {
    *ok = 0;
    err_set(e, ERR_bad_request, "db", "cannot read the database URL: %s", msg ? msg : "out of memory");
    PQfreemem(msg);
  }
  return o;
}

static const char *pg_setting(const PQconninfoOption *o, const char *keyword) {
  for (; o && o->keyword; o++)
    if (strcmp(o->keyword, keyword) == 0 && o->val && *o->val) return o->val;
  return NULL;
}

/* Runs argv (argv[0] a path) with the URL's settings exported as the PG* variables libpq
 * reads; its messages go to our stderr. 0 when it exits with status 0. */
static int run_pg_tool(const PQconninfoOption *settings, const char *const argv[], err *e) {
  fflush(stdout);
  fflush(stderr);
  pid_t pid = fork();
  if (pid < 0) return err_set(e, ERR_internal, NULL, "cannot start %s: %s", argv[0], strerror(errno));
  if (pid == 0) {
    for (const PQconninfoOption *o = settings; o && o->keyword; o++)
      if (o->envvar && o->val && *o->val) setenv(o->envvar, o->val, 1);
    /* execv takes char *const[] for historical reasons and does not modify the strings;
     * copy the pointer rather than cast the const away (-Wcast-qual) */
    char *const *args;
    memcpy(&args, &argv, sizeof args);
    execv(argv[0], args);
    fprintf(stderr, "uniops: cannot run %s: %s\n", argv[0], strerror(errno));
    _exit(127);
  }
  int status = 0;
  while (waitpid(pid, &status, 0) < 0)
    if (errno != EINTR) return err_set(e, ERR_internal, NULL, "lost %s: %s", argv[0], strerror(errno));
  if (WIFEXITED(status) && WEXITSTATUS(status) == 0) return 0;
  if (WIFEXITED(status))
    return err_set(e, ERR_internal, NULL, "%s failed (exit status %d)", argv[0], WEXITSTATUS(status));
  return err_set(e, ERR_internal, NULL, "%s was killed by signal %d", argv[0], WTERMSIG(status));
}

static int pg_backup(const char *url, const char *file, int force, err *e) {
  if (!force && path_exists(file))
    return err_set(e, ERR_conflict, NULL, "%s exists: choose another name, or --force to replace it", file);
  int ok, rc = -1;
  PQconninfoOption *settings = pg_settings(url, &ok, e);
  if (!ok) return -1;
  char *tool = find_pg_tool("pg_dump");
  strbuf partial;
  sb_init(&partial);
  sb_addf(&partial, "%s.partial", file);
  if (!tool) {
    err_set(e, ERR_unavailable, NULL, "pg_dump not found in PATH or /usr/lib/postgresql/*/bin");
    goto out;
  }
  unlink(partial.buf);
  const char *argv[] = {tool, "--format=custom", "--file", partial.buf, NULL};
  if (run_pg_tool(settings, argv, e) != 0) goto out;
  rc = publish(partial.buf, file, e);
out:
  if (rc != 0) unlink(partial.buf);
  sb_release(&partial);
  free(tool);
  PQconninfoFree(settings);
  return rc;
}

/* Does the database at url already hold uniops tables? 1, 0, or -1 (e filled). */
static int pg_has_uniops(const char *url, err *e) {
  store *s = store_open(url, 1, e);
  if (!s) return -1;
  int64_t n = 0;
  int rc = -1;
  store_conn *c = store_acquire(s, e);
  if (c) {
    rc = store_query_int(c, e, &n,
                         "SELECT COUNT(*) FROM information_schema.tables"
                         " WHERE table_schema = current_schema() AND table_name = 'schema_migrations'",
                         "");
    store_release(s, c);
  }
  store_close(s);
  return rc < 0 ? -1 : n > 0;
}

static int pg_restore(const char *file, const char *url, int force, err *e) {
  if (!path_exists(file)) return err_set(e, ERR_bad_request, NULL, "no backup file %s", file);
  if (!force) {
    int has = pg_has_uniops(url, e);
    if (has < 0) return -1;
    if (has)
      return err_set(e, ERR_conflict, "db",
                     "the database already holds a uniops installation: restore into an empty database, "
                     "or --force to replace it");
  }
  int ok, rc = -1;
  PQconninfoOption *settings = pg_settings(url, &ok, e);
  if (!ok) return -1;
  char *tool = find_pg_tool("pg_restore");
  if (!tool) {
    err_set(e, ERR_unavailable, NULL, "pg_restore not found in PATH or /usr/lib/postgresql/*/bin");
    goto out;
  }
  /* pg_restore writes SQL to stdout unless it is given a database: name it, falling back
   * as libpq does (PGDATABASE, then the user name). */
  const char *db = pg_setting(settings, "dbname");
  if (!db) db = getenv("PGDATABASE");
  if (!db) db = pg_setting(settings, "user");
  if (!db) db = getenv("PGUSER");
  struct passwd *pw = db ? NULL : getpwuid(getuid());
  if (!db && pw) db = pw->pw_name;
  if (!db) {
    err_set(e, ERR_bad_request, "db", "the database URL names no database");
    goto out;
  }
  const char *argv[] = {tool, "--clean", "--if-exists", "--no-owner", "--single-transaction", "--dbname", db,
                        file, NULL};
  rc = run_pg_tool(settings, argv, e);
out:
  free(tool);
  PQconninfoFree(settings);
  return rc;
}

/* ---- dispatch ----------------------------------------------------------------------- */

int store_backup(const char *url, const char *file, int force, err *e) {
  if (strncmp(url, "sqlite:", 7) == 0) {
    if (!url[7]) return err_set(e, ERR_bad_request, "db", "sqlite URL needs a path, e.g. sqlite:var/uniops.db");
    return sqlite_backup(url + 7, file, force, e);
  }
  if (is_postgres(url)) return pg_backup(url, file, force, e);
  return err_set(e, ERR_bad_request, "db", "unknown database URL (use sqlite:PATH or postgresql://…)");
}

int store_restore(const char *file, const char *url, int force, err *e) {
  if (strncmp(url, "sqlite:", 7) == 0) {
    if (!url[7]) return err_set(e, ERR_bad_request, "db", "sqlite URL needs a path, e.g. sqlite:var/uniops.db");
    return sqlite_restore(file, url + 7, force, e);
  }
  if (is_postgres(url)) return pg_restore(file, url, force, e);
  return err_set(e, ERR_bad_request, "db", "unknown database URL (use sqlite:PATH or postgresql://…)");
}
