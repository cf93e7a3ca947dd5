/* cmd_sla_scan.c — `uniops sla breach-scan`: times the escalation job's scan queries on a
 * database (the job runs them every 5 s, so their cost is paid all day long on a big one),
 * and routes the other `uniops sla` subcommands to cmd_sla (cmd_calendar.c). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "core/clock.h"
#include "modules/workorders/escalation.h"

static const char help[] =
    "usage: uniops sla breach-scan [--runs N] [--db URL]\n"
    "\n"
    "Runs the SLA escalation job's two scans (clocks due for a warning, clocks past their\n"
    "deadline not yet escalated) as of now, N times (default 5), without notifying anyone,\n"
    "and prints the rows found and the elapsed milliseconds: the first run (cold statement\n"
    "cache), the median and the slowest.\n";

static int cmp_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return x < y ? -1 : x > y;
}

static int breach_scan(int argc, char **argv) {
  cli_opt opts[] = {{"db", 1, NULL}, {"runs", 1, NULL}};
  int npos = 0;
  const char *pos[1];
  int rc = cli_parse(argc, argv, opts, 2, pos, &npos);
  if (rc == 1) {
    fputs(help, stdout);
    return EXIT_OK;
  }
  long runs = 5;
  if (rc == 0 && cli_get(opts, 2, "runs")) {
    char *end;
    runs = strtol(cli_get(opts, 2, "runs"), &end, 10);
    if (*end || runs < 1 || runs > 1000) {
      fprintf(stderr, "uniops: --runs must be 1..1000\n");
      rc = -1;
    }
  }
  if (rc < 0) {
    fputs(help, stderr);
    return EXIT_USAGE;
  }
  store *s = cli_open_store(cli_db_url(cli_get(opts, 2, "db")), 1);
  if (!s) return EXIT_FAIL;
  err e;
  err_clear(&e);
  double ms[1000];
  int warn = 0, breach = 0, result = EXIT_FAIL;
  store_conn *c = store_acquire(s, &e);
  if (!c) goto out;
  for (long i = 0; i < runs; i++) {
    int64_t t0 = clock_mono_us();
    if (wo_breach_scan_count(c, clock_now_ms(), &warn, &breach, &e) != 0) goto out;
    ms[i] = (double)(clock_mono_us() - t0) / 1000.0;
  }
  double first = ms[0];
  qsort(ms, (size_t)runs, sizeof ms[0], cmp_double);
  printf("breach-scan warn=%d breach=%d runs=%ld first_ms=%.2f median_ms=%.2f max_ms=%.2f\n", warn, breach, runs, first,
         ms[runs / 2], ms[runs - 1]);
  result = EXIT_OK;
out:
  if (result != EXIT_OK) fprintf(stderr, "uniops: breach-scan failed: %s\n", e.msg);
  if (c) store_release(s, c);
  store_close(s);
  return result;
}

int cmd_sla_main(int argc, char **argv) {
  if (argc >= 2 && strcmp(argv[1], "breach-scan") == 0) return breach_scan(argc - 1, argv + 1);
  int rc = cmd_sla(argc, argv);
  /* cmd_sla's help knows only `due`: add this file's subcommand to it */
  if (argc >= 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) printf("\n%s", help);
  return rc;
}
