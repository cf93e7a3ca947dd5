/* main.c — the `uniops` command: dispatch to subcommands (src/cli/). */
#include <stdio.h>
#include <string.h>

#include "auth/password.h"
#include "cli/cli.h"
#include "core/log.h"
#include "store/migrations.h"

#ifndef UNIOPS_VERSION
#define UNIOPS_VERSION "0.1.0"
#endif

/* jemalloc's settings (read at start-up; the server binary links it, Makefile). A thread of
 * jemalloc's own returns freed pages to the system within about a second instead of ten, off
 * the request threads: memory a report or a login's password hash used (argon2id takes
 * 64 MiB) no longer stays resident long after. Ignored without jemalloc (the sanitizer
 * builds); MALLOC_CONF in the environment still overrides it. */
const char *malloc_conf = "background_thread:true,dirty_decay_ms:1000,muzzy_decay_ms:0";

static const char usage[] =
    "usage: uniops <command> [options]\n"
    "\n"
    "Unified basic O&M platform for a city's digital government (DB4401/T 294.1-2024).\n"
    "\n"
    "commands:\n"
    "  serve         run the HTTP server (API under /api/v1)\n"
    "  migrate       apply database migrations\n"
    "  migrate-data  copy an installation from SQLite to PostgreSQL\n"
    "  org add       add an organisation\n"
    "  user add      add a user; user passwd: set a user's password\n"
    "  calendar import  add a business calendar from a JSON document\n"
    "  sla due       compute a deadline on a business calendar\n"
    "  sla breach-scan  time the SLA escalation job's scan queries\n"
    "  demo          load the demo city (organisations, users of every role)\n"
    "  audit verify  check the audit trail's hash chain\n"
    "  backup FILE   write a consistent copy of the database (also while serving)\n"
    "  restore FILE  put a backup in place and verify its audit trail\n"
    "  version       print the version\n"
    "\n"
    "Every command takes --help. --db URL (or UNIOPS_DB) picks the database:\n"
    "sqlite:var/uniops.db (default) or postgresql://user:pass@host:port/db.\n"
    "Exit status: 0 ok, 1 failed, 2 usage error.\n";

int main(int argc, char **argv) {
  log_init_from_env();
  if (argc < 2) {
    fputs(usage, stderr);
    return EXIT_USAGE;
  }
  const char *cmd = argv[1];
  if (strcmp(cmd, "--help") == 0 || strcmp(cmd, "-h") == 0 || strcmp(cmd, "help") == 0) {
    fputs(usage, stdout);
    return EXIT_OK;
  }
  if (strcmp(cmd, "version") == 0 || strcmp(cmd, "--version") == 0) {
    if (argc > 2 && (strcmp(argv[2], "--help") == 0 || strcmp(argv[2], "-h") == 0)) {
      puts("usage: uniops version\n\nPrints the version and the schema version it migrates to.");
      return EXIT_OK;
    }
    if (argc > 2) {
      fprintf(stderr, "uniops: version takes no arguments\n");
      return EXIT_USAGE;
    }
    printf("uniops %s (schema %d)\n", UNIOPS_VERSION, store_migrations_latest(STORE_SQLITE));
    return EXIT_OK;
  }
  if (password_init() != 0) {
    fprintf(stderr, "uniops: libsodium failed to initialise\n");
    return EXIT_FAIL;
  }
  static const struct {
    const char *name;
    int (*fn)(int, char **);
  } cmds[] = {
      {"serve", cmd_serve}, {"migrate", cmd_migrate}, {"org", cmd_org},
      {"user", cmd_user},   {"demo", cmd_demo},       {"audit", cmd_audit},
      {"migrate-data", cmd_migrate_data}, {"calendar", cmd_calendar}, {"sla", cmd_sla_main},
      {"backup", cmd_backup}, {"restore", cmd_restore},
  };
  for (size_t i = 0; i < sizeof cmds / sizeof cmds[0]; i++)
    if (strcmp(cmd, cmds[i].name) == 0) return cmds[i].fn(argc - 1, argv + 1);
  fprintf(stderr, "uniops: unknown command '%s'\n\n%s", cmd, usage);
  return EXIT_USAGE;
}
