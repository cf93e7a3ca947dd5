/* cmd_migrate.c — `uniops migrate`: apply pending migrations and report. */
#include <stdio.h>

#include "cli/cli.h"
#include "store/migrations.h"

static const char help[] =
    "usage: uniops migrate [--db URL]\n"
    "\n"
    "Applies every numbered migration not yet applied, each in its own transaction,\n"
    "recorded in schema_migrations. Safe to run while a server is running.\n";

int cmd_migrate(int argc, char **argv) {
  cli_opt opts[] = {{"db", 1, NULL}};
  int npos = 0;
  const char *pos[1];
  int rc = cli_parse(argc, argv, opts, 1, pos, &npos);
  if (rc == 1) {
    fputs(help, stdout);
    return EXIT_OK;
  }
  if (rc < 0) {
    fputs(help, stderr);
    return EXIT_USAGE;
  }
  err e;
  err_clear(&e);
  store *s = store_open(cli_db_url(cli_get(opts, 1, "db")), 1, &e);
  if (!s) {
    fprintf(stderr, "uniops: cannot open database: %s\n", e.msg);
    return EXIT_FAIL;
  }
  int applied = 0;
  rc = store_migrate(s, &applied, &e);
  if (rc == 0)
    printf("migrations applied: %d; schema version %d\n", applied, store_migrations_latest(store_get_dialect(s)));
  else
    fprintf(stderr, "uniops: migration failed: %s\n", e.msg);
  store_close(s);
  return rc == 0 ? EXIT_OK : EXIT_FAIL;
}
