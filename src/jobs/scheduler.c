/* scheduler.c — the job thread, the job table, and singleton locking. */
#include "jobs/scheduler.h"

#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "core/clock.h"
#include "core/log.h"
#include "core/strbuf.h"
#include "notify/deliver.h"
#include "modules/workorders/escalation.h"
#include "notify/outbox.h"

struct scheduler {
  store *db;
  pthread_t thread;
  pthread_mutex_t mu;
  pthread_cond_t cv;
  int stopping;
  char instance[96];
};

typedef struct job {
  const char *name;
  int64_t interval_ms;
  int singleton;
  int (*run)(store *s, const char *instance, err *e);
  int64_t last_ms;
} job;

int job_outbox_deliver(store *s, const char *instance, err *e) {
  outbox_item items[16];
  int n = outbox_claim(s, instance, 60000, items, 16, e);
  if (n < 0) return -1;
  int settled = 0;
  for (int i = 0; i < n; i++) {
    char why[256] = "";
    /* group robots throttle hard (DingTalk mutes a robot for 10 minutes): stay under their
     * per-minute limit by postponing, which is not a failed attempt */
    int limit = deliver_limit_per_minute(items[i].kind);
    if (limit && outbox_sent_last_minute(s, items[i].webhook_id, e) >= limit) {
      outbox_postpone(s, instance, &items[i], 15000, e);
      outbox_item_free(&items[i]);
      continue;
    }
    int ok = deliver_send(&items[i], why, sizeof why) == 0;
    if (!ok)
      log_warn("delivery failed", "\"delivery_id\":\"%s\",\"event\":\"%s\",\"attempt\":%d,\"reason\":\"%s\"",
               items[i].delivery_id, items[i].event, items[i].attempts + 1, why);
    if (outbox_finish(s, instance, &items[i], ok, why, e) == 0) settled++;
    outbox_item_free(&items[i]);
  }
  return settled;
}

/* Sessions ended long ago are noise: drop those expired or revoked over 30 days ago. */
static int job_session_cleanup(store *s, const char *instance, err *e) {
  store_conn *c = store_acquire(s, e);
  if (!c) return -1;
  int64_t cutoff = clock_now_ms() - 30LL * 24 * 3600 * 1000;
  int64_t n = store_run(c, e, "DELETE FROM sessions WHERE expires_at < ? OR (revoked = 1 AND last_seen_at < ?)", "ii",
                        cutoff, cutoff);
  store_release(s, c);
  return n < 0 ? -1 : (int)n;
}

static void record_run(store *s, const char *name, const char *instance, int64_t started, int n, err *e) {
  store_conn *c = store_acquire(s, e);
  if (!c) return;
  char result[64];
  snprintf(result, sizeof result, n < 0 ? "error" : "ok: %d", n);
  store_run(c, e,
            "INSERT INTO job_runs (name, last_started_at, last_finished_at, last_instance, last_result)"
            " VALUES (?, ?, ?, ?, ?) ON CONFLICT (name) DO UPDATE SET last_started_at = excluded.last_started_at,"
            " last_finished_at = excluded.last_finished_at, last_instance = excluded.last_instance,"
            " last_result = excluded.last_result",
            "siiss", name, started, clock_now_ms(), instance, result);
  store_release(s, c);
}

/* Runs a singleton job so that only one instance does it at a time. On PostgreSQL a
 * transaction holds an advisory lock (derived from the job name) while the job runs on
 * other connections; on SQLite one process owns the file and the job just runs (holding
 * a write transaction here would block the job's own writes). */
static int run_singleton(store *s, const job *j, const char *instance, err *e) {
  int64_t started = clock_now_ms();
  if (store_get_dialect(s) != STORE_POSTGRES) {
    int n = j->run(s, instance, e);
    record_run(s, j->name, instance, started, n, e);
    return n < 0 ? -1 : 0;
  }
  store_conn *c = store_acquire(s, e);
  if (!c) return -1;
  int rc = -1;
  if (store_begin(c, STORE_READ, e) != 0) goto out;
  uint32_t h = 2166136261u;
  for (const char *p = j->name; *p; p++) h = (h ^ (unsigned char)*p) * 16777619u;
  int64_t got = 0;
  if (store_query_int(c, e, &got, "SELECT CASE WHEN pg_try_advisory_xact_lock(7201002, CAST(? AS INTEGER)) THEN 1 ELSE 0 END",
                      "i", (int64_t)(int32_t)h) < 0)
    goto out;
  if (!got) {
    rc = 0; /* another instance is running it */
    goto out;
  }
  int n = j->run(s, instance, e);
  record_run(s, j->name, instance, started, n, e);
  rc = n < 0 ? -1 : 0;
out:
  store_rollback(c);
  store_release(s, c);
  return rc;
}

static void *loop(void *arg) {
  scheduler *sch = arg;
  job jobs[] = {
      {"outbox_delivery", 1000, 0, job_outbox_deliver, 0},
      {"session_cleanup", 3600 * 1000, 1, job_session_cleanup, 0},
      {"sla_escalation", 5000, 1, wo_escalation_run, 0},
      {"wo_autoclose", 60 * 1000, 1, wo_autoclose_run, 0},
  };
  pthread_mutex_lock(&sch->mu);
  while (!sch->stopping) {
    pthread_mutex_unlock(&sch->mu);
    int64_t now = clock_mono_us() / 1000;
    for (size_t i = 0; i < sizeof jobs / sizeof jobs[0]; i++) {
      job *j = &jobs[i];
      if (j->last_ms && now - j->last_ms < j->interval_ms) continue;
      j->last_ms = now ? now : 1;
      err e;
      err_clear(&e);
      int rc = j->singleton ? run_singleton(sch->db, j, sch->instance, &e) : (j->run(sch->db, sch->instance, &e) < 0);
      if (rc != 0) log_warn("job failed", "\"job\":\"%s\",\"error\":\"%s\"", j->name, e.msg);
    }
    pthread_mutex_lock(&sch->mu);
    if (sch->stopping) break;
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    ts.tv_sec += 1;
    pthread_cond_timedwait(&sch->cv, &sch->mu, &ts);
  }
  pthread_mutex_unlock(&sch->mu);
  return NULL;
}

scheduler *scheduler_start(store *s, err *e) {
  scheduler *sch = xcalloc(1, sizeof *sch);
  sch->db = s;
  char host[64] = "host";
  gethostname(host, sizeof host - 1);
  snprintf(sch->instance, sizeof sch->instance, "%s:%d", host, (int)getpid());
  pthread_mutex_init(&sch->mu, NULL);
  pthread_cond_init(&sch->cv, NULL);
  deliver_init();
  /* The thread inherits a mask with the stop signals blocked: they are for the main
   * thread's sigwait, and must never kill the process from here. */
  sigset_t set, old;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  pthread_sigmask(SIG_BLOCK, &set, &old);
  int prc = pthread_create(&sch->thread, NULL, loop, sch);
  pthread_sigmask(SIG_SETMASK, &old, NULL);
  if (prc != 0) {
    err_set(e, ERR_internal, NULL, "cannot start the scheduler thread");
    deliver_cleanup();
    free(sch);
    return NULL;
  }
  return sch;
}

void scheduler_stop(scheduler *sch) {
  if (!sch) return;
  pthread_mutex_lock(&sch->mu);
  sch->stopping = 1;
  pthread_cond_signal(&sch->cv);
  pthread_mutex_unlock(&sch->mu);
  pthread_join(sch->thread, NULL);
  pthread_mutex_destroy(&sch->mu);
  pthread_cond_destroy(&sch->cv);
  deliver_cleanup();
  free(sch);
}

const char *scheduler_instance(const scheduler *sch) { return sch->instance; }
