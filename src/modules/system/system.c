/* system.c — /healthz (the process answers), /readyz (the store answers), /metrics,
 * and the clock seam tests use to move time. */
#include "modules/system/system.h"

#include <inttypes.h>
#include <string.h>

#include "core/clock.h"
#include "core/strbuf.h"
#include "http/app.h"
#include "http/metrics.h"

void system_healthz(req *r) { req_reply(r, 200, json_pack("{s:s}", "status", "ok")); }

void system_readyz(req *r) {
  err e;
  err_clear(&e);
  if (store_ping(r->app->db, &e) != 0) {
    req_reply(r, 503, json_pack("{s:s, s:s}", "status", "unavailable", "reason", e.msg));
    return;
  }
  req_reply(r, 200, json_pack("{s:s}", "status", "ready"));
}

void system_metrics(req *r) {
  strbuf sb;
  sb_init(&sb);
  metrics_render(&sb, r->app->started_at_ms);
  uint64_t commits, writes;
  double busy, commit, flush;
  if (store_write_stats(r->app->db, &commits, &writes, &busy, &commit, &flush) == 0)
    sb_addf(&sb,
            "# HELP uniops_db_commits_total Batch commits of the SQLite writer (group commit).\n"
            "# TYPE uniops_db_commits_total counter\nuniops_db_commits_total %" PRIu64 "\n"
            "# HELP uniops_db_committed_writes_total Write transactions those commits made durable.\n"
            "# TYPE uniops_db_committed_writes_total counter\nuniops_db_committed_writes_total %" PRIu64 "\n"
            "# HELP uniops_db_writer_busy_seconds_total Time write transactions held the writer, commits included.\n"
            "# TYPE uniops_db_writer_busy_seconds_total counter\nuniops_db_writer_busy_seconds_total %.6f\n"
            "# HELP uniops_db_commit_seconds_total Time spent in COMMIT (writing the WAL).\n"
            "# TYPE uniops_db_commit_seconds_total counter\nuniops_db_commit_seconds_total %.6f\n"
            "# HELP uniops_db_flush_seconds_total Time spent flushing the WAL to disk after COMMIT.\n"
            "# TYPE uniops_db_flush_seconds_total counter\nuniops_db_flush_seconds_total %.6f\n",
            commits, writes, busy, commit, flush);
  req_reply_raw(r, 200, "text/plain; version=0.0.4; charset=utf-8", sb.buf, sb.len);
  sb_release(&sb);
}

void system_test_clock(req *r) {
  if (!clock_test_seam_enabled()) {
    req_reply_error(r, ERR_not_found, NULL, "no such endpoint: %s %s", r->method, r->path);
    return;
  }
  json_t *body = req_json_body(r);
  if (!body) return;
  json_t *off = json_object_get(body, "offset_s");
  if (json_object_size(body) != 1 || !json_is_integer(off)) {
    json_decref(body);
    req_reply_error(r, ERR_validation_failed, "offset_s", "send {\"offset_s\": <integer seconds>}");
    return;
  }
  clock_set_offset_ms((int64_t)json_integer_value(off) * 1000);
  json_decref(body);
  req_reply(r, 200, json_pack("{s:I}", "offset_s", (json_int_t)(clock_offset_ms() / 1000)));
}
