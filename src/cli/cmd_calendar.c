/* cmd_calendar.c — `uniops calendar import FILE.json` and `uniops sla due`: the calendar
 * maths for operators, through the same code as the API. */
#include <inttypes.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "modules/calendar/caldoc.h"
#include "modules/calendar/calendars.h"

static const char cal_help[] =
    "usage: uniops calendar import FILE.json [--db URL]\n"
    "\n"
    "Adds a business calendar from its JSON document (the shape of POST /api/v1/calendars):\n"
    "  {\"name\": \"office hours\",\n"
    "   \"week\": {\"mon\": [[\"08:30\",\"12:00\"],[\"14:00\",\"17:30\"]], …, \"sat\": [], \"sun\": []},\n"
    "   \"holidays\": [\"2026-10-01\", …], \"workdays\": [\"2026-09-20\", …]}\n"
    "A make-up working day (workdays) has Monday's hours. Prints the new id.\n";

static const char sla_help[] =
    "usage: uniops sla due --calendar ID --start TIME --duration DURATION [--db URL]\n"
    "\n"
    "Prints the deadline: DURATION of working time on calendar ID counted from TIME.\n"
    "TIME is RFC 3339 (2026-09-30T16:00:00+08:00); DURATION is 8h, 30m, 1h30m, 2d, PT8H or\n"
    "seconds. Times are shown in Beijing time (+08:00).\n";

int cmd_calendar(int argc, char **argv) {
  cli_opt opts[] = {{"db", 1, NULL}};
  int npos = 2;
  const char *pos[2];
  int rc = cli_parse(argc, argv, opts, 1, pos, &npos);
  if (rc == 1) {
    fputs(cal_help, stdout);
    return EXIT_OK;
  }
  if (rc < 0 || npos != 2 || strcmp(pos[0], "import") != 0) {
    fputs(cal_help, stderr);
    return EXIT_USAGE;
  }
  json_error_t je;
  json_t *doc = json_load_file(pos[1], JSON_REJECT_DUPLICATES, &je);
  if (!doc) {
    fprintf(stderr, "uniops: %s: line %d, column %d: %s\n", pos[1], je.line, je.column, je.text);
    return EXIT_FAIL;
  }
  store *s = cli_open_store(cli_db_url(cli_get(opts, 1, "db")), 1);
  if (!s) {
    json_decref(doc);
    return EXIT_FAIL;
  }
  err e;
  err_clear(&e);
  int64_t id = 0;
  json_t *rec = NULL;
  store_conn *c = store_acquire(s, &e);
  rc = !c || store_begin(c, STORE_WRITE, &e) != 0 || calendars_insert(c, doc, &id, &rec, &e) != 0 ||
       cli_audit(c, "create", "calendar", id, NULL, rec, &e) != 0 || store_commit(c, &e) != 0;
  if (c) store_release(s, c);
  store_close(s);
  json_decref(doc);
  json_decref(rec);
  if (rc) {
    fprintf(stderr, "uniops: %s%s%s\n", e.field, e.field[0] ? ": " : "", e.msg);
    return EXIT_FAIL;
  }
  printf("%" PRId64 "\n", id);
  return EXIT_OK;
}

int cmd_sla(int argc, char **argv) {
  cli_opt opts[] = {{"calendar", 1, NULL}, {"start", 1, NULL}, {"duration", 1, NULL}, {"db", 1, NULL}};
  int n = 4, npos = 1;
  const char *pos[1];
  int rc = cli_parse(argc, argv, opts, n, pos, &npos);
  if (rc == 1) {
    fputs(sla_help, stdout);
    return EXIT_OK;
  }
  const char *cal_s = cli_get(opts, n, "calendar"), *start_s = cli_get(opts, n, "start"),
             *dur_s = cli_get(opts, n, "duration");
  if (rc < 0 || npos != 1 || strcmp(pos[0], "due") != 0 || !cal_s || !start_s || !dur_s) {
    fputs(sla_help, stderr);
    return EXIT_USAGE;
  }
  err e;
  err_clear(&e);
  int64_t start = 0, dur = 0;
  char *end;
  long long cal_id = strtoll(cal_s, &end, 10);
  if (*end || cal_id <= 0) {
    fprintf(stderr, "uniops: --calendar must be a calendar id\n");
    return EXIT_USAGE;
  }
  if (cal_parse_rfc3339(start_s, &start, &e) != 0) {
    fprintf(stderr, "uniops: --start: %s\n", e.msg);
    return EXIT_USAGE;
  }
  if (cal_parse_duration(dur_s, &dur, &e) != 0) {
    fprintf(stderr, "uniops: --duration: %s\n", e.msg);
    return EXIT_USAGE;
  }
  store *s = cli_open_store(cli_db_url(cli_get(opts, n, "db")), 1);
  if (!s) return EXIT_FAIL;
  cal_calendar cal;
  memset(&cal, 0, sizeof cal);
  store_conn *c = store_acquire(s, &e);
  rc = c ? calendars_load(c, cal_id, &cal, &e) : -1;
  if (c) store_release(s, c);
  store_close(s);
  if (rc != 0) {
    fprintf(stderr, "uniops: %s\n", e.msg);
    return EXIT_FAIL;
  }
  int64_t due = cal_add(&cal, start, dur * 1000);
  caldoc_free(&cal);
  if (due < 0) {
    fprintf(stderr, "uniops: calendar %lld has no working time\n", cal_id);
    return EXIT_FAIL;
  }
  char out[32];
  cal_format_rfc3339(due, out);
  puts(out);
  return EXIT_OK;
}
