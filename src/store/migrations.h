/* migrations.h — numbered schema migrations, embedded by scripts/embed_sql.sh from
 * src/store/migrations/NNNN_name.{sqlite,pg}.sql, and the runner that applies them. */
#ifndef UNIOPS_MIGRATIONS_H
#define UNIOPS_MIGRATIONS_H

#include "store/store.h"

struct migration {
  int version;
  const char *dialect; /* "sqlite" or "pg" */
  const char *name;
  const char *sql;
};

/* Terminated by an entry with version 0. */
extern const struct migration store_migrations[];

/* Applies every migration of the store's dialect not yet recorded in schema_migrations,
 * each in its own transaction. Sets *applied to how many ran. Safe to run concurrently
 * from several processes (SQLite: writer lock; PostgreSQL: advisory lock). */
int store_migrate(store *s, int *applied, err *e);
/* Highest version the binary knows for a dialect. */
int store_migrations_latest(store_dialect d);

#endif
