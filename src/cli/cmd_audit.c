/* cmd_audit.c — `uniops audit verify`: walk the hash chain, name the first broken record. */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "audit/audit.h"
#include "cli/cli.h"

static const char help[] =
    "usage: uniops audit verify [--db URL]\n"
    "\n"
    "Recomputes the SHA-256 chain of the audit trail. Exits 0 when every record is\n"
    "intact; exits 1 and names the first broken record when a row was edited, deleted\n"
    "or inserted behind the server's back.\n";

int cmd_audit(int argc, char **argv) {
  cli_opt opts[] = {{"db", 1, NULL}};
  int npos = 0;
  const char *pos[2];
  npos = 2;
  int rc = cli_parse(argc, argv, opts, 1, pos, &npos);
  if (rc == 1) {
    fputs(help, stdout);
    return EXIT_OK;
  }
  if (rc < 0 || npos != 1 || strcmp(pos[0], "verify") != 0) {
    fputs(help, stderr);
    return EXIT_USAGE;
  }
  store *s = cli_open_store(cli_db_url(cli_get(opts, 1, "db")), 1);
  if (!s) return EXIT_FAIL;
  err e;
  err_clear(&e);
  int64_t count = 0, bad = 0;
  char why[256];
  rc = audit_verify(s, &count, &bad, why, sizeof why, &e);
  store_close(s);
  if (rc == 0) {
    printf("audit trail intact: %" PRId64 " records\n", count);
    return EXIT_OK;
  }
  if (bad)
    fprintf(stderr, "audit trail BROKEN at record %" PRId64 ": %s\n", bad, why);
  else
    fprintf(stderr, "uniops: cannot verify: %s\n", e.msg);
  return EXIT_FAIL;
}
