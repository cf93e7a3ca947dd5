/* migrate.c — applies the embedded numbered migrations, one transaction each,
 * recording them in schema_migrations. */
#include <inttypes.h>
#include <string.h>

#include "core/clock.h"
#include "core/log.h"
#include "store/migrations.h"

static const char *dialect_tag(store_dialect d) { return d == STORE_POSTGRES ? "pg" : "sqlite"; }

int store_migrations_latest(store_dialect d) {
  int v = 0;
  for (const struct migration *m = store_migrations; m->version; m++)
    if (strcmp(m->dialect, dialect_tag(d)) == 0 && m->version > v) v = m->version;
  return v;
}

/* SQLite: the first row of PRAGMA foreign_key_check, as an error naming the migration. */
static int foreign_keys_intact(store_conn *c, const struct migration *m, err *e) {
  store_stmt *st = store_query(c, e, "PRAGMA foreign_key_check", NULL);
  if (!st) return -1;
  int rc = store_step(st, e);
  if (rc == STORE_ROW)
    err_set(e, ERR_internal, NULL, "migration %d (%s) would leave a row of %s (rowid %" PRId64 ") pointing at a missing %s",
            m->version, m->name, store_col_text(st, 0), store_col_int64(st, 1), store_col_text(st, 2));
  store_finish(st);
  return rc == STORE_DONE ? 0 : -1;
}

int store_migrate(store *s, int *applied, err *e) {
  int rc = -1;
  *applied = 0;
  store_conn *c = store_acquire(s, e);
  if (!c) return -1;
  store_dialect d = store_conn_dialect(c);
  const char *tag = dialect_tag(d);
  /* SQLite: migrations run on this connection with foreign-key enforcement off, so that a
   * table other tables reference can be rebuilt (new table, copy, drop, rename: SQLite's
   * documented procedure for what ALTER TABLE cannot do); PRAGMA foreign_key_check then
   * proves nothing was orphaned before the migration commits. The pragma is a no-op inside
   * a transaction, hence its own transaction, not the shared group-commit writer's. */
  int own = d == STORE_SQLITE;
  if (store_exec_script(c,
                        "CREATE TABLE IF NOT EXISTS schema_migrations (version BIGINT PRIMARY KEY,"
                        " name TEXT NOT NULL, applied_at BIGINT NOT NULL)",
                        e) != 0)
    goto out;
  for (const struct migration *m = store_migrations; m->version; m++) {
    if (strcmp(m->dialect, tag) != 0) continue;
    if (own && store_exec_script(c, "PRAGMA foreign_keys=OFF", e) != 0) goto out;
    if ((own ? store_begin_own(c, e) : store_begin(c, STORE_WRITE, e)) != 0) goto out;
    /* Several instances may start together: serialise them (SQLite: the write lock taken
     * by BEGIN IMMEDIATE; PostgreSQL: a transaction-scoped advisory lock). */
    if (d == STORE_POSTGRES &&
        store_run(c, e, "SELECT pg_advisory_xact_lock(7201001)", NULL) < 0)
      goto out;
    int64_t seen = 0;
    int q = store_query_int(c, e, &seen, "SELECT COUNT(*) FROM schema_migrations WHERE version = ?",
                            "i", (int64_t)m->version);
    if (q < 0) goto out;
    if (seen) {
      store_rollback(c);
      continue;
    }
    if (store_exec_script(c, m->sql, e) != 0) {
      log_error("migration failed", "\"version\":%d,\"name\":\"%s\",\"error\":\"%s\"", m->version,
                m->name, e ? e->msg : "");
      goto out;
    }
    if (own && foreign_keys_intact(c, m, e) != 0) goto out;
    if (store_run(c, e, "INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)",
                  "isi", (int64_t)m->version, m->name, clock_now_ms()) < 0)
      goto out;
    if (store_commit(c, e) != 0) goto out;
    (*applied)++;
  }
  rc = 0;
out:
  store_rollback(c);
  if (own) store_exec_script(c, "PRAGMA foreign_keys=ON", NULL);
  store_release(s, c);
  return rc;
}
