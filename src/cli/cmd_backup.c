/* cmd_backup.c — `uniops backup` (a consistent copy while the server runs) and
 * `uniops restore` (put a copy in place, then check its audit chain). */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "audit/audit.h"
#include "cli/cli.h"
#include "store/backup.h"

static const char backup_help[] =
    "usage: uniops backup FILE [--db URL] [--force]\n"
    "\n"
    "Writes a consistent copy of the database to FILE while the server keeps running.\n"
    "SQLite: the online backup API, one self-contained file; PostgreSQL: pg_dump\n"
    "--format=custom. FILE appears only once complete; an existing FILE is replaced only\n"
    "with --force. Keep var/secret.key (or UNIOPS_SECRET_KEY) with your backups: webhook\n"
    "URLs and secrets cannot be decrypted without it.\n";

static const char restore_help[] =
    "usage: uniops restore FILE [--db URL] [--force]\n"
    "\n"
    "Puts the backup FILE in place of the database at --db, then checks the restored audit\n"
    "trail's hash chain (as `uniops audit verify`) and prints its record count. Refuses when\n"
    "--db already holds a database (SQLite: the file exists; PostgreSQL: uniops tables\n"
    "exist) unless --force; stop the servers before forcing. SQLite backups restore into\n"
    "SQLite, pg_dump files into PostgreSQL (pg_restore --clean --if-exists --no-owner, in\n"
    "one transaction).\n";

/* Parses FILE [--db URL] [--force]; returns -1 to exit with *exit_code. */
static int parse(int argc, char **argv, const char *help, const char **file, const char **url, int *force,
                 int *exit_code) {
  cli_opt opts[] = {{"db", 1, NULL}, {"force", 0, NULL}};
  const char *pos[1];
  int npos = 1;
  int rc = cli_parse(argc, argv, opts, 2, pos, &npos);
  if (rc == 1) {
    fputs(help, stdout);
    *exit_code = EXIT_OK;
    return -1;
  }
  if (rc < 0 || npos != 1 || !*pos[0]) {
    fputs(help, stderr);
    *exit_code = EXIT_USAGE;
    return -1;
  }
  *file = pos[0];
  *url = cli_db_url(cli_get(opts, 2, "db"));
  *force = cli_get(opts, 2, "force") != NULL;
  return 0;
}

int cmd_backup(int argc, char **argv) {
  const char *file, *url;
  int force, code;
  if (parse(argc, argv, backup_help, &file, &url, &force, &code) != 0) return code;
  err e;
  err_clear(&e);
  if (store_backup(url, file, force, &e) != 0) {
    fprintf(stderr, "uniops: backup failed: %s\n", e.msg);
    return EXIT_FAIL;
  }
  printf("backup written to %s\n", file);
  return EXIT_OK;
}

int cmd_restore(int argc, char **argv) {
  const char *file, *url;
  int force, code;
  if (parse(argc, argv, restore_help, &file, &url, &force, &code) != 0) return code;
  err e;
  err_clear(&e);
  if (store_restore(file, url, force, &e) != 0) {
    fprintf(stderr, "uniops: restore failed: %s\n", e.msg);
    return EXIT_FAIL;
  }
  /* Verify the restored database as it is, without migrating it: the check is about the
   * backup, and the next `serve` or `migrate` brings the schema up to date anyway. */
  store *s = store_open(url, 1, &e);
  if (!s) {
    fprintf(stderr, "uniops: restored, but cannot open it to verify: %s\n", e.msg);
    return EXIT_FAIL;
  }
  int64_t count = 0, bad = 0;
  char why[256];
  int rc = audit_verify(s, &count, &bad, why, sizeof why, &e);
  store_close(s);
  if (rc != 0) {
    if (bad)
      fprintf(stderr, "uniops: restored, but the audit trail is BROKEN at record %" PRId64 ": %s\n", bad, why);
    else
      fprintf(stderr, "uniops: restored, but cannot verify: %s\n", e.msg);
    return EXIT_FAIL;
  }
  printf("restored %s; audit trail intact: %" PRId64 " records\n", file, count);
  return EXIT_OK;
}
