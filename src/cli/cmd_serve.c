/* cmd_serve.c — `uniops serve`: open the store, migrate, serve HTTP until SIGTERM. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "core/clock.h"
#include "core/log.h"
#include "core/secret.h"
#include "http/server.h"
#include "jobs/scheduler.h"
#include "resource/orgtree.h"

static const char help[] =
    "usage: uniops serve [--listen ADDR:PORT] [--db URL] [--threads N] [--pool N] [--max-connections N]\n"
    "                    [--max-body BYTES]\n"
    "\n"
    "Runs the HTTP server: the API under /api/v1, /healthz, /readyz, /metrics.\n"
    "Migrations are applied at start. SIGTERM or SIGINT stops it gracefully: no new\n"
    "connections, requests in flight finish (up to 10 s), then the database is closed.\n"
    "\n"
    "  --listen ADDR:PORT  address to listen on (default $UNIOPS_LISTEN or 127.0.0.1:8080)\n"
    "  --db URL            sqlite:PATH or postgresql://… (default $UNIOPS_DB or sqlite:var/uniops.db)\n"
    "  --threads N         requests handled at once; more wait for a turn (default 32 on\n"
    "                      SQLite, 16 on PostgreSQL; 1..256)\n"
    "  --pool N            database connections (default threads+3, at least threads+2: the\n"
    "                      requests, the scheduler's lock holder and its job); SQLite adds one\n"
    "                      writer connection and one for checkpoints\n"
    "  --max-connections N HTTP connections open at once, each served by its own thread\n"
    "                      (default 1000, 16..10000); more are refused\n"
    "  --max-body BYTES    largest request body accepted (default 1048576); larger gets 413\n"
    "\n"
    "Logs are JSON lines on stderr, one access line per request.\n";

static int parse_num(const char *s, long lo, long hi, long *out) {
  char *end;
  long v = strtol(s, &end, 10);
  if (!*s || *end || v < lo || v > hi) return -1;
  *out = v;
  return 0;
}

int cmd_serve(int argc, char **argv) {
  cli_opt opts[] = {{"listen", 1, NULL},   {"db", 1, NULL},   {"threads", 1, NULL},
                    {"max-body", 1, NULL}, {"pool", 1, NULL}, {"max-connections", 1, NULL}};
  int n = 6, npos = 0;
  const char *pos[1];
  int rc = cli_parse(argc, argv, opts, n, pos, &npos);
  if (rc == 1) {
    fputs(help, stdout);
    return EXIT_OK;
  }
  if (rc < 0) {
    fputs(help, stderr);
    return EXIT_USAGE;
  }
  app a;
  memset(&a, 0, sizeof a);
  const char *listen = cli_get(opts, n, "listen");
  if (!listen) listen = getenv("UNIOPS_LISTEN");
  if (!listen || !*listen) listen = "127.0.0.1:8080";
  snprintf(a.listen, sizeof a.listen, "%s", listen);
  const char *url = cli_db_url(cli_get(opts, n, "db"));
  /* PostgreSQL commits concurrently itself and every pooled connection is a server process:
   * half SQLite's default, which is sized for group commit */
  long threads = strncmp(url, "sqlite:", 7) == 0 ? 32 : 16, body = 1048576, conns = 1000;
  if (cli_get(opts, n, "threads") && parse_num(cli_get(opts, n, "threads"), 1, 256, &threads) != 0) {
    fprintf(stderr, "uniops: --threads must be 1..256\n");
    return EXIT_USAGE;
  }
  if (cli_get(opts, n, "max-connections") &&
      parse_num(cli_get(opts, n, "max-connections"), 16, 10000, &conns) != 0) {
    fprintf(stderr, "uniops: --max-connections must be 16..10000\n");
    return EXIT_USAGE;
  }
  if (cli_get(opts, n, "max-body") && parse_num(cli_get(opts, n, "max-body"), 1024, 1L << 30, &body) != 0) {
    fprintf(stderr, "uniops: --max-body must be 1024..1073741824\n");
    return EXIT_USAGE;
  }
  long pool = threads + 3;
  if (cli_get(opts, n, "pool") && (parse_num(cli_get(opts, n, "pool"), threads + 2, 512, &pool) != 0)) {
    fprintf(stderr, "uniops: --pool must be at least threads+2 (%ld) and at most 512\n", threads + 2);
    return EXIT_USAGE;
  }
  a.threads = (int)threads;
  a.max_connections = (int)conns;
  a.body_limit = (size_t)body;
  a.started_at_ms = clock_now_ms();
  /* workers + the scheduler's lock holder and its job (+ a spare by default) */
  a.db = cli_open_store(url, (int)pool);
  if (!a.db) return EXIT_FAIL;
  err e;
  err_clear(&e);
  if (secret_init(&e) != 0) {
    fprintf(stderr, "uniops: %s\n", e.msg);
    store_close(a.db);
    return EXIT_FAIL;
  }
  scheduler *sch = scheduler_start(a.db, &e);
  if (!sch) {
    fprintf(stderr, "uniops: %s\n", e.msg);
    store_close(a.db);
    return EXIT_FAIL;
  }
  rc = server_run(&a);
  /* the HTTP side has drained; let the job in progress finish, then close the store */
  scheduler_stop(sch);
  store_close(a.db);
  orgtree_free();
  return rc == 0 ? EXIT_OK : EXIT_FAIL;
}
