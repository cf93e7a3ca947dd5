/* cmd_org.c — `uniops org add`: add an organisation from the command line. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "modules/orgs/orgs.h"
#include "resource/resource.h"

static const char help[] =
    "usage: uniops org add --name NAME --party PARTY [--parent ID] [--db URL]\n"
    "\n"
    "Adds an organisation. PARTY is management, customer, supervision or service; a\n"
    "sub-organisation (--parent) must belong to the same party. Prints the new id.\n";

int cli_org_insert(store_conn *c, json_t *body, int64_t *id, err *e) {
  json_t *rec = NULL;
  if (res_validate(&org_desc, body, 1, NULL, e) != 0 || orgs_check_new(c, body, e) != 0 ||
      res_insert(c, &org_desc, body, NULL, id, e) != 0 || res_get(c, &org_desc, *id, &rec, e) != 0)
    return -1;
  int rc = cli_audit(c, "create", "org", *id, NULL, rec, e);
  json_decref(rec);
  return rc;
}

int cmd_org(int argc, char **argv) {
  cli_opt opts[] = {{"name", 1, NULL}, {"party", 1, NULL}, {"parent", 1, NULL}, {"db", 1, NULL}};
  int n = 4, npos = 1;
  const char *pos[1];
  int rc = cli_parse(argc, argv, opts, n, pos, &npos);
  if (rc == 1) {
    fputs(help, stdout);
    return EXIT_OK;
  }
  if (rc < 0 || npos != 1 || strcmp(pos[0], "add") != 0 || !cli_get(opts, n, "name") || !cli_get(opts, n, "party")) {
    fputs(help, stderr);
    return EXIT_USAGE;
  }
  json_t *body = json_pack("{s:s, s:s}", "name", cli_get(opts, n, "name"), "party", cli_get(opts, n, "party"));
  if (cli_get(opts, n, "parent")) {
    char *end;
    long long p = strtoll(cli_get(opts, n, "parent"), &end, 10);
    if (*end || p <= 0) {
      fprintf(stderr, "uniops: --parent must be an organisation id\n");
      json_decref(body);
      return EXIT_USAGE;
    }
    json_object_set_new(body, "parent_id", json_integer(p));
  }
  store *s = cli_open_store(cli_db_url(cli_get(opts, n, "db")), 1);
  if (!s) {
    json_decref(body);
    return EXIT_FAIL;
  }
  err e;
  err_clear(&e);
  int64_t id = 0;
  store_conn *c = store_acquire(s, &e);
  rc = !c || store_begin(c, STORE_WRITE, &e) != 0 || cli_org_insert(c, body, &id, &e) != 0 || store_commit(c, &e) != 0;
  if (c) store_release(s, c);
  store_close(s);
  json_decref(body);
  if (rc) {
    fprintf(stderr, "uniops: %s%s%s\n", e.field[0] ? e.field : "", e.field[0] ? ": " : "", e.msg);
    return EXIT_FAIL;
  }
  printf("%" PRId64 "\n", id);
  return EXIT_OK;
}
