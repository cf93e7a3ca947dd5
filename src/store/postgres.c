/* postgres.c — placeholder until the libpq backend lands: every open fails clearly. */
#include <stddef.h>

#include "store/store_backend.h"

static void *pg_open(const char *url, err *e) {
  err_set(e, ERR_unavailable, "db", "the PostgreSQL backend is not built yet");
  return NULL;
}

const store_backend store_postgres_backend = {
    .name = "postgres",
    .dialect = STORE_POSTGRES,
    .conn_open = pg_open,
};
