/* migrate.c — applies the embedded numbered migrations, one transaction each,
 * recording them in schema_migrations. */
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

int store_migrate(store *s, int *applied, err *e) {
  int rc = -1;
  *applied = 0;
  store_conn *c = store_acquire(s, e);
  if (!c) return -1;
  store_dialect d = store_conn_dialect(c);
  const char *tag = dialect_tag(d);
  if (store_exec_script(c,
                        "CREATE TABLE IF NOT EXISTS schema_migrations (version BIGINT PRIMARY KEY,"
                        " name TEXT NOT NULL, applied_at BIGINT NOT NULL)",
                        e) != 0)
    goto out;
  for (const struct migration *m = store_migrations; m->version; m++) {
    if (strcmp(m->dialect, tag) != 0) continue;
    if (store_begin(c, STORE_WRITE, e) != 0) goto out;
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
    if (store_run(c, e, "INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)",
                  "isi", (int64_t)m->version, m->name, clock_now_ms()) < 0)
      goto out;
    if (store_commit(c, e) != 0) goto out;
    (*applied)++;
  }
  rc = 0;
out:
  store_rollback(c);
  store_release(s, c);
  return rc;
}
