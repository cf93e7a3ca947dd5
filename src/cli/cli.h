/* cli.h — shared plumbing of the `uniops` subcommands: option parsing, opening the
 * store, auditing operator actions. Exit status: 0 ok, 1 failed, 2 usage error. */
#ifndef UNIOPS_CLI_H
#define UNIOPS_CLI_H

#include <jansson.h>
#include <stdint.h>

#include "store/store.h"

enum { EXIT_OK = 0, EXIT_FAIL = 1, EXIT_USAGE = 2 };

/* One option a subcommand accepts: "--name" with a value, or a flag. */
typedef struct cli_opt {
  const char *name;  /* without dashes, e.g. "db" */
  int takes_value;
  const char *value; /* filled: the value, or "1" for a present flag; NULL when absent */
} cli_opt;

/* Parses argv[1..] into opts and up to *npos positionals. Prints the error and returns
 * -1 on an unknown option, a missing value, or too many positionals; 1 when --help
 * or -h was given; 0 otherwise. */
int cli_parse(int argc, char **argv, cli_opt *opts, int nopts, const char **pos, int *npos);
const char *cli_get(const cli_opt *opts, int nopts, const char *name);

/* The database URL: --db, else $UNIOPS_DB, else sqlite:var/uniops.db. */
const char *cli_db_url(const char *flag);
/* Opens the store and applies migrations; prints errors. NULL on failure. */
store *cli_open_store(const char *url, int pool);
/* Reads a password from stdin (first line, newline stripped) into buf. */
int cli_read_password(char *buf, unsigned cap);
/* Writes an audit record for an operator action (actor "cli:<login>"). */
int cli_audit(store_conn *c, const char *action, const char *resource, int64_t id, const json_t *before,
              const json_t *after, err *e);

int cmd_serve(int argc, char **argv);
int cmd_migrate(int argc, char **argv);
int cmd_org(int argc, char **argv);
int cmd_user(int argc, char **argv);
int cmd_demo(int argc, char **argv);
int cmd_audit(int argc, char **argv);
int cmd_migrate_data(int argc, char **argv);
int cmd_calendar(int argc, char **argv);
int cmd_sla(int argc, char **argv);
int cmd_sla_main(int argc, char **argv); /* cmd_sla_scan.c: `sla breach-scan`, else cmd_sla */
int cmd_backup(int argc, char **argv);  /* cmd_backup.c */
int cmd_restore(int argc, char **argv); /* cmd_backup.c */

/* Inserts an organisation from a create body (validated like POST /api/v1/orgs) and
 * audits it as an operator action; in the caller's write transaction. */
int cli_org_insert(store_conn *c, json_t *body, int64_t *id, err *e);
/* Inserts a user from a create body (as POST /api/v1/users, administrator roles allowed);
 * must_change sets must_change_password. In the caller's write transaction. */
int cli_user_insert(store_conn *c, json_t *body, int must_change, int64_t *id, err *e);

/* `demo --scale N` (demo_scale.c): bulk-writes n work orders over the last two years onto a
 * database that holds the demo city; one transaction per 10,000, one audit record; prints
 * the rate. */
int demo_scale(store *s, long long n, err *e);

#endif
