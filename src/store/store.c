/* store.c — the connection pool, the per-connection statement cache, group commit and the
 * convenience helpers shared by both backends.
 *
 * Group commit (backends with group_commit, i.e. SQLite): SQLite has one writer at a time
 * and each commit costs an fsync, which capped writes at the disk's flush rate. So every
 * write transaction runs on one extra "writer" connection, as a SAVEPOINT inside a batch
 * transaction: a thread takes its turn, does its work, releases its savepoint and — when
 * other threads are waiting for their turn — hands the writer to the next one and sleeps;
 * the last member of the batch (nobody waiting, or the batch full or old) runs COMMIT, and
 * once the flusher thread has fsynced it every member is woken with the result.
 * store_commit() therefore still returns only once the caller's writes are durable, and a
 * failed COMMIT or fsync fails every member of its batch (no write is acknowledged unless
 * it is on disk). A member that rolls back undoes only its
 * own savepoint. Members see the uncommitted writes of earlier members of their batch,
 * which is safe because they are committed — or fail — together.
 *
 * store_write() is the cheaper way in for a write that can be expressed as one function:
 * the caller queues the function and sleeps; a writer thread of the store runs every queued
 * function back to back, each in its own savepoint, and commits; a flusher thread fsyncs
 * and answers the callers. Such a batch costs no hand-over between its members — no thread
 * wake-up, no cold cache, no request thread preempted while it holds the writer — only the
 * one wake-up of each caller when its batch is durable, and the fsync of one batch overlaps
 * the building of the next. Both ways share the writer and the batches: a thread that takes
 * its turn with store_begin joins the batch the queued writes are in, and the other way
 * round; every committed batch is answered by the flusher. */
#include "store/store.h"

#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "core/strbuf.h"
#include "store/store_backend.h"

#define STMT_CACHE_SIZE 96

struct store_stmt {
  store_conn *conn;
  void *impl;
  char *sql;
  uint64_t hash;
  uint64_t last_used;
  int in_use;
};

struct store_conn {
  store *owner;
  void *h;
  store_stmt *cache[STMT_CACHE_SIZE];
  int ncache;
  uint64_t tick;
  int in_tx;
  int taken;
  /* During a group-committed write transaction: the writer connection every statement of
   * this connection goes to, and the batch it belongs to. */
  store_conn *redirect;
  uint64_t batch;
  /* store_snapshot: a read transaction open on h that no store_begin opened; `nested`: a
   * store_begin(STORE_READ) taken inside it (commit/rollback then end nothing). */
  int snapshot, nested;
};

/* A batch no bigger than this, nor older than GC_MAX_AGE_US, before it commits: bounds the
 * latency a member adds to the others. */
#define GC_MAX_MEMBERS 64
#define GC_MAX_AGE_US 20000
#define GC_RESULTS 1024
#define GC_DONE_CVS 8

/* A write queued by store_write(): run by whichever thread holds the writer. */
typedef enum { JOB_QUEUED, JOB_IN_BATCH, JOB_DONE } gc_job_state;
typedef struct gc_job {
  store_conn *c; /* the caller's connection, redirected to the writer while fn runs */
  store_write_fn fn;
  void *arg;
  gc_job_state state;
  int rc;
  err e;
  pthread_cond_t cv; /* the caller sleeps here until the job is DONE */
  struct gc_job *next;
} gc_job;

/* A committed batch waiting for the flusher's fsync. */
typedef struct gc_flush_item {
  uint64_t batch;
  int members;
  gc_job *jobs;
  struct gc_flush_item *next;
} gc_flush_item;

typedef struct {
  uint64_t batch; /* the batch whose outcome this is (slot = batch % GC_RESULTS) */
  int failed;
  err e;
} gc_result;

struct store {
  const store_backend *be;
  char *url;
  char *display;
  int n;
  store_conn *conns;
  pthread_mutex_t mu;
  pthread_cond_t cv;
  /* group commit (see the top of this file); every field below is guarded by gc_mu */
  store_conn *writer;
  pthread_mutex_t gc_mu;
  pthread_cond_t gc_turn; /* signalled when the writer is free */
  /* broadcast when a batch has committed or failed: one per batch number modulo
   * GC_DONE_CVS, so that finishing a batch wakes its members and not also those of the
   * batch already forming behind it (a wasted wake-up per write) */
  pthread_cond_t gc_done[GC_DONE_CVS];
  int gc_busy;            /* a member is inside its savepoint, or a commit is running */
  int gc_waiting;         /* threads waiting for their turn (store_begin) */
  gc_job *gc_queue, *gc_queue_tail; /* store_write jobs not yet run */
  gc_job *gc_batch_jobs;  /* store_write jobs released into the open batch */
  /* the writer thread runs the store_write jobs; the flusher thread fsyncs committed
   * batches and answers their members (see gc_writer_main, gc_flusher_main) */
  pthread_t gc_writer_thread, gc_flusher_thread;
  int gc_threads;         /* 1 while both run */
  int gc_stop;
  pthread_cond_t gc_writer_cv;  /* jobs queued while the writer is free */
  pthread_cond_t gc_flush_cv;   /* a committed batch awaits its fsync */
  struct gc_flush_item *gc_flush_head, *gc_flush_tail;
  int gc_open;            /* the writer holds an open batch transaction */
  uint64_t gc_batch;      /* number of the open (or last) batch */
  int gc_poisoned;         /* a flush failed: no write is accepted any more (see gc_end) */
  int gc_members;         /* members of the open batch whose savepoint was released */
  int64_t gc_opened_us;
  gc_result gc_results[GC_RESULTS];
  uint64_t gc_commits, gc_committed_writes; /* for /metrics */
  int64_t gc_turn_started_us, gc_busy_us;     /* time members held the writer, commits included */
  int64_t gc_commit_us;                       /* of which COMMIT */
  int64_t gc_sync_us;                         /* flushing after COMMIT, outside the writer */
};

static int64_t mono_us(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static char *redact_url(const char *url) {
  /* postgresql://user:secret@host → postgresql://user:***@host */
  char *out = xstrdup(url);
  char *scheme = strstr(out, "://");
  if (!scheme) return out;
  char *at = strchr(scheme + 3, '@');
  char *colon = strchr(scheme + 3, ':');
  if (at && colon && colon < at) {
    strbuf sb;
    sb_init(&sb);
    sb_add(&sb, out, (size_t)(colon - out) + 1);
    sb_adds(&sb, "***");
    sb_adds(&sb, at);
    free(out);
    return sb_detach(&sb);
  }
  return out;
}

static int gc_start_threads(store *s, err *e);
static void gc_stop_threads(store *s);

store *store_open(const char *url, int pool_size, err *e) {
  const store_backend *be;
  if (strncmp(url, "sqlite:", 7) == 0) {
    be = &store_sqlite_backend;
  } else if (strncmp(url, "postgresql://", 13) == 0 || strncmp(url, "postgres://", 11) == 0 ||
             strcmp(url, "postgresql:") == 0) {
    be = &store_postgres_backend;
  } else {
    err_set(e, ERR_bad_request, "db", "unknown database URL '%s' (use sqlite:PATH or postgresql://…)",
            url);
    return NULL;
  }
  if (pool_size < 1) pool_size = 1;
  store *s = xcalloc(1, sizeof *s);
  s->be = be;
  s->url = xstrdup(url);
  s->display = redact_url(url);
  s->conns = xcalloc((size_t)pool_size, sizeof *s->conns);
  pthread_mutex_init(&s->mu, NULL);
  pthread_cond_init(&s->cv, NULL);
  pthread_mutex_init(&s->gc_mu, NULL);
  pthread_cond_init(&s->gc_turn, NULL);
  pthread_cond_init(&s->gc_writer_cv, NULL);
  pthread_cond_init(&s->gc_flush_cv, NULL);
  for (int i = 0; i < GC_DONE_CVS; i++) pthread_cond_init(&s->gc_done[i], NULL);
  for (int i = 0; i < pool_size; i++) {
    s->conns[i].owner = s;
    s->conns[i].h = be->conn_open(url, e);
    if (!s->conns[i].h) {
      s->n = i;
      store_close(s);
      return NULL;
    }
    s->n = i + 1;
  }
  if (be->group_commit) {
    s->writer = xcalloc(1, sizeof *s->writer);
    s->writer->owner = s;
    s->writer->taken = 1;
    s->writer->h = be->writer_open ? be->writer_open(url, e) : be->conn_open(url, e);
    if (!s->writer->h || gc_start_threads(s, e) != 0) {
      store_close(s);
      return NULL;
    }
  }
  return s;
}

static void conn_drop_cache(store_conn *c) {
  for (int i = 0; i < c->ncache; i++) {
    c->owner->be->stmt_free(c->cache[i]->impl);
    free(c->cache[i]->sql);
    free(c->cache[i]);
  }
  c->ncache = 0;
}

void store_close(store *s) {
  if (!s) return;
  gc_stop_threads(s);
  for (int i = 0; i < s->n; i++) {
    conn_drop_cache(&s->conns[i]);
    s->be->conn_close(s->conns[i].h);
  }
  if (s->writer) {
    if (s->writer->h) {
      conn_drop_cache(s->writer);
      s->be->conn_close(s->writer->h);
    }
    free(s->writer);
  }
  pthread_mutex_destroy(&s->mu);
  pthread_cond_destroy(&s->cv);
  pthread_mutex_destroy(&s->gc_mu);
  pthread_cond_destroy(&s->gc_turn);
  pthread_cond_destroy(&s->gc_writer_cv);
  pthread_cond_destroy(&s->gc_flush_cv);
  for (int i = 0; i < GC_DONE_CVS; i++) pthread_cond_destroy(&s->gc_done[i]);
  free(s->conns);
  free(s->url);
  free(s->display);
  free(s);
}

store_dialect store_get_dialect(const store *s) { return s->be->dialect; }
const char *store_display_url(const store *s) { return s->display; }
store_dialect store_conn_dialect(const store_conn *c) { return c->owner->be->dialect; }

store_conn *store_acquire(store *s, err *e) {
  struct timespec deadline;
  clock_gettime(CLOCK_REALTIME, &deadline);
  deadline.tv_sec += 5;
  store_conn *c = NULL;
  pthread_mutex_lock(&s->mu);
  for (;;) {
    for (int i = 0; i < s->n; i++) {
      if (!s->conns[i].taken) {
        c = &s->conns[i];
        c->taken = 1;
        break;
      }
    }
    if (c) break;
    if (pthread_cond_timedwait(&s->cv, &s->mu, &deadline) == ETIMEDOUT) break;
  }
  pthread_mutex_unlock(&s->mu);
  if (!c) {
    err_set(e, ERR_unavailable, NULL, "no database connection free within 5 s");
    return NULL;
  }
  if (s->be->conn_check(c->h, e) != 0) {
    /* The backend could not re-establish the connection: prepared statements are gone. */
    conn_drop_cache(c);
    store_release(s, c);
    return NULL;
  }
  return c;
}

static void end_snapshot(store_conn *c) {
  if (!c->snapshot) return;
  c->owner->be->rollback(c->h);
  c->snapshot = 0;
}

void store_snapshot(store_conn *c) {
  /* only where a read transaction is local and cheap: with group commit (SQLite), whose
   * readers otherwise pay a WAL read lock and, while anything writes, a page-cache reset
   * for every statement */
  if (c->in_tx || c->snapshot || !c->owner->writer) return;
  err e;
  err_clear(&e);
  if (c->owner->be->begin(c->h, STORE_READ, &e) == 0) c->snapshot = 1;
}

void store_release(store *s, store_conn *c) {
  if (!c) return;
  if (c->in_tx) store_rollback(c);
  end_snapshot(c);
  pthread_mutex_lock(&s->mu);
  c->taken = 0;
  pthread_cond_signal(&s->cv);
  pthread_mutex_unlock(&s->mu);
}

/* --- group commit ------------------------------------------------------------------ */

static int64_t run_cached(store_conn *c, err *e, const char *sql);

/* One savepoint statement on the writer, from its statement cache (sqlite3_exec would
 * compile it again on every write). */
static int gc_sql(store_conn *w, const char *sql, err *e) { return run_cached(w, e, sql) < 0 ? -1 : 0; }

static void gc_undo_member(store_conn *w) {
  gc_sql(w, "ROLLBACK TO gc_member", NULL);
  gc_sql(w, "RELEASE gc_member", NULL);
}

/* Ends a store_write job with its outcome and wakes its caller. Holds gc_mu. */
static void gc_job_done(gc_job *j, int failed, const err *e) {
  j->state = JOB_DONE;
  j->rc = failed ? -1 : 0;
  if (failed && e && e != &j->e) j->e = *e;
  pthread_cond_signal(&j->cv);
}

/* Publishes the outcome of a batch and wakes its members: those that took their turn wait
 * on gc_done, the store_write jobs (`jobs`, detached by gc_close_batch) each on its own
 * condition variable. Holds gc_mu. */
static void gc_publish(store *s, uint64_t batch, int members, int failed, const err *e, gc_job *jobs) {
  gc_result *r = &s->gc_results[batch % GC_RESULTS];
  r->batch = batch;
  r->failed = failed;
  if (failed) r->e = *e;
  if (!failed && members > 0) {
    s->gc_commits++;
    s->gc_committed_writes += (uint64_t)members;
  }
  pthread_cond_broadcast(&s->gc_done[batch % GC_DONE_CVS]);
  while (jobs) {
    gc_job *next = jobs->next; /* the caller may free its job as soon as it is DONE */
    gc_job_done(jobs, failed, e);
    jobs = next;
  }
}

/* Closes the open batch (it committed, or failed); returns its store_write jobs for
 * gc_publish. Holds gc_mu. */
static gc_job *gc_close_batch(store *s) {
  gc_job *jobs = s->gc_batch_jobs;
  s->gc_batch_jobs = NULL;
  s->gc_open = 0;
  s->gc_members = 0;
  return jobs;
}

/* Frees the writer and wakes whoever may take it next: a thread waiting for its turn, and
 * the writer thread when jobs are queued. Both may wake; the one that loses sleeps again
 * until the writer is next freed. Holds gc_mu. */
static void gc_free_writer(store *s) {
  s->gc_busy_us += mono_us() - s->gc_turn_started_us;
  s->gc_busy = 0;
  if (s->gc_waiting > 0) pthread_cond_signal(&s->gc_turn);
  if (s->gc_queue) pthread_cond_signal(&s->gc_writer_cv);
}

/* Takes the writer (gc_busy must be 0). Fails the open batch when an error rolled it back
 * under an earlier member, and refuses to go on after a failed flush. Holds gc_mu; on error
 * the writer is free again. */
static int gc_take_writer(store *s, err *e) {
  s->gc_busy = 1;
  s->gc_turn_started_us = mono_us();
  if (s->gc_open && !s->be->tx_active(s->writer->h)) {
    err lost;
    err_clear(&lost);
    err_set(&lost, ERR_unavailable, NULL, "the write was rolled back with its batch; try again");
    uint64_t batch = s->gc_batch;
    int members = s->gc_members;
    gc_publish(s, batch, members, 1, &lost, gc_close_batch(s));
  }
  if (s->gc_poisoned) {
    gc_free_writer(s);
    return err_set(e, ERR_unavailable, NULL,
                   "the database could not be flushed to disk earlier; check the disk and restart the server");
  }
  return 0;
}

/* Opens a batch transaction on the writer unless one is open. The caller holds the writer;
 * gc_mu is held on entry and on return, but not while SQL runs (a busy wait on another
 * process's lock would otherwise hold it for seconds). */
static int gc_open_batch(store *s, err *e) {
  if (s->gc_open) return 0;
  pthread_mutex_unlock(&s->gc_mu);
  int rc = s->be->begin(s->writer->h, STORE_WRITE, e);
  pthread_mutex_lock(&s->gc_mu);
  if (rc != 0) return -1;
  s->gc_open = 1;
  s->gc_batch++;
  s->gc_members = 0;
  s->gc_opened_us = mono_us();
  return 0;
}

/* May the turn holder hand the open batch on to another writer instead of committing it? */
static int gc_batch_has_room(store *s) {
  return s->gc_members < GC_MAX_MEMBERS && mono_us() - s->gc_opened_us < GC_MAX_AGE_US;
}

/* Commits the open batch (or drops an empty one) and frees the writer; the outcome is
 * published once the commit is on disk — by the flusher thread, which fsyncs while the
 * next batch is being built. The caller holds the writer and gc_mu. Still holding the
 * writer while committing: nobody may start a savepoint in a transaction being committed. */
static void gc_commit_batch(store *s) {
  store_conn *w = s->writer;
  err ce;
  err_clear(&ce);
  int failed = 0, flush = 0;
  uint64_t closing = s->gc_batch;
  int members = s->gc_members, was_open = s->gc_open;
  if (!was_open) {
    members = 0; /* nothing open: nothing to commit */
  } else if (!s->be->tx_active(w->h)) {
    failed = members > 0;
    err_set(&ce, ERR_unavailable, NULL, "the write was rolled back with its batch; try again");
  } else if (members == 0) {
    s->be->rollback(w->h);
  } else {
    pthread_mutex_unlock(&s->gc_mu); /* let others queue meanwhile */
    int64_t t0 = mono_us();
    failed = s->be->commit(w->h, &ce) != 0;
    int64_t spent = mono_us() - t0;
    pthread_mutex_lock(&s->gc_mu);
    s->gc_commit_us += spent;
    /* The writer's COMMIT wrote the log without an fsync (sqlite.c, walbuf.h): the
     * flusher fsyncs it, and the members are answered only after that. */
    flush = !failed && s->be->flush != NULL;
  }
  gc_job *jobs = was_open ? gc_close_batch(s) : NULL;
  gc_free_writer(s);
  if (!was_open) return;
  if (flush) {
    gc_flush_item *it = xcalloc(1, sizeof *it);
    it->batch = closing;
    it->members = members;
    it->jobs = jobs;
    if (s->gc_flush_tail)
      s->gc_flush_tail->next = it;
    else
      s->gc_flush_head = it;
    s->gc_flush_tail = it;
    pthread_cond_signal(&s->gc_flush_cv);
  } else {
    gc_publish(s, closing, members, failed, &ce, jobs);
  }
}

/* Ends a turn: hands the writer on when others wait and the batch has room, else commits. */
static void gc_end_turn(store *s) {
  if ((s->gc_waiting > 0 || s->gc_queue) && s->gc_open && gc_batch_has_room(s))
    gc_free_writer(s);
  else
    gc_commit_batch(s);
}

/* Waits for the writer, opens a batch when none is open and starts a savepoint in it. */
static int gc_begin(store_conn *c, err *e) {
  store *s = c->owner;
  store_conn *w = s->writer;
  pthread_mutex_lock(&s->gc_mu);
  s->gc_waiting++;
  while (s->gc_busy) pthread_cond_wait(&s->gc_turn, &s->gc_mu);
  s->gc_waiting--;
  if (gc_take_writer(s, e) != 0) {
    pthread_mutex_unlock(&s->gc_mu);
    return -1;
  }
  int opened = !s->gc_open;
  int rc = gc_open_batch(s, e);
  if (rc == 0) {
    pthread_mutex_unlock(&s->gc_mu);
    rc = gc_sql(w, "SAVEPOINT gc_member", e);
    pthread_mutex_lock(&s->gc_mu);
  }
  if (rc != 0) {
    if (s->gc_open && (opened || s->gc_members == 0)) {
      s->be->rollback(w->h);
      gc_job *jobs = gc_close_batch(s);
      if (jobs) gc_publish(s, s->gc_batch, 0, 1, e, jobs);
    }
    gc_free_writer(s);
    pthread_mutex_unlock(&s->gc_mu);
    return -1;
  }
  c->batch = s->gc_batch;
  c->redirect = w;
  pthread_mutex_unlock(&s->gc_mu);
  return 0;
}

/* Ends the caller's turn: `joined` when its savepoint was released into the batch. Hands the
 * writer on when others wait and the batch has room, else commits the batch. A joined
 * member returns only when its batch has finished, with the batch's outcome. */
static int gc_end(store_conn *c, int joined, err *e) {
  store *s = c->owner;
  uint64_t batch = c->batch;
  c->redirect = NULL;
  pthread_mutex_lock(&s->gc_mu);
  if (joined) s->gc_members++;
  gc_end_turn(s);
  int rc = 0;
  if (joined) {
    const gc_result *r = &s->gc_results[batch % GC_RESULTS];
    while (r->batch < batch) pthread_cond_wait(&s->gc_done[batch % GC_DONE_CVS], &s->gc_mu);
    if (r->batch != batch) {
      rc = err_set(e, ERR_internal, NULL, "the outcome of write batch %llu was lost", (unsigned long long)batch);
    } else if (r->failed) {
      *e = r->e;
      rc = -1;
    }
  }
  pthread_mutex_unlock(&s->gc_mu);
  return rc;
}

/* Fails every queued store_write job with *e and empties the queue. Holds gc_mu. */
static void gc_fail_queue(store *s, const err *e) {
  while (s->gc_queue) {
    gc_job *j = s->gc_queue;
    s->gc_queue = j->next; /* read before the caller, woken, frees its job */
    gc_job_done(j, 1, e);
  }
  s->gc_queue_tail = NULL;
}

/* Runs queued store_write jobs on the writer, each in its own savepoint, until the queue is
 * empty or the batch full; then hands the batch on or commits it (gc_end_turn). The caller
 * has just taken the writer (gc_take_writer) and holds gc_mu. */
static void gc_combine(store *s) {
  store_conn *w = s->writer;
  err e;
  err_clear(&e);
  if (gc_open_batch(s, &e) != 0) {
    gc_fail_queue(s, &e); /* no batch: every queued job fails with the reason */
    gc_free_writer(s);
    return;
  }
  while (s->gc_queue && gc_batch_has_room(s) && s->be->tx_active(w->h)) {
    gc_job *j = s->gc_queue;
    s->gc_queue = j->next;
    if (!s->gc_queue) s->gc_queue_tail = NULL;
    pthread_mutex_unlock(&s->gc_mu);
    store_conn *c = j->c;
    int joined = 0;
    if (gc_sql(w, "SAVEPOINT gc_member", &j->e) == 0) {
      c->redirect = w;
      c->in_tx = 1;
      int rc = j->fn(c, j->arg, &j->e);
      c->redirect = NULL;
      c->in_tx = 0;
      joined = rc == 0 && gc_sql(w, "RELEASE gc_member", &j->e) == 0;
      if (!joined) gc_undo_member(w);
    }
    pthread_mutex_lock(&s->gc_mu);
    if (joined) {
      s->gc_members++;
      j->state = JOB_IN_BATCH;
      j->next = s->gc_batch_jobs;
      s->gc_batch_jobs = j;
    } else {
      if (j->e.code == ERR_ok) err_set(&j->e, ERR_internal, NULL, "the write failed without a reason");
      gc_job_done(j, 1, NULL);
    }
  }
  gc_end_turn(s);
}

int store_write(store_conn *c, store_write_fn fn, void *arg, err *e) {
  store *s = c->owner;
  if (c->in_tx) return err_set(e, ERR_internal, NULL, "store_write inside a transaction");
  if (c->snapshot) end_snapshot(c); /* the reads after the write must see it */
  if (s->be->conn_check(c->h, e) != 0) {
    conn_drop_cache(c);
    return -1;
  }
  if (!s->gc_threads) {
    /* no group commit (PostgreSQL): a transaction of the caller's own */
    if (store_begin(c, STORE_WRITE, e) != 0) return -1;
    int rc = fn(c, arg, e);
    if (rc == 0) {
      rc = store_commit(c, e);
    } else {
      store_rollback(c);
    }
    return rc;
  }
  gc_job j = {.c = c, .fn = fn, .arg = arg, .state = JOB_QUEUED};
  err_clear(&j.e);
  pthread_cond_init(&j.cv, NULL);
  pthread_mutex_lock(&s->gc_mu);
  if (s->gc_queue_tail)
    s->gc_queue_tail->next = &j;
  else
    s->gc_queue = &j;
  s->gc_queue_tail = &j;
  if (!s->gc_busy) pthread_cond_signal(&s->gc_writer_cv);
  while (j.state != JOB_DONE) pthread_cond_wait(&j.cv, &s->gc_mu);
  pthread_mutex_unlock(&s->gc_mu);
  pthread_cond_destroy(&j.cv);
  if (j.rc != 0) *e = j.e;
  return j.rc;
}

/* The writer thread: whenever jobs are queued and the writer is free, takes it and runs
 * them (gc_combine). */
static void *gc_writer_main(void *arg) {
  store *s = arg;
  pthread_setname_np(pthread_self(), "uniops-writer");
  pthread_mutex_lock(&s->gc_mu);
  for (;;) {
    while (!s->gc_stop && !(s->gc_queue && !s->gc_busy)) pthread_cond_wait(&s->gc_writer_cv, &s->gc_mu);
    if (s->gc_stop) break;
    err e;
    err_clear(&e);
    if (gc_take_writer(s, &e) != 0) {
      gc_fail_queue(s, &e); /* refused (a failed flush): so is every queued job */
      continue;
    }
    gc_combine(s);
  }
  pthread_mutex_unlock(&s->gc_mu);
  return NULL;
}

/* The flusher thread: fsyncs the log once for every batch committed since its last fsync,
 * then answers their members. */
static void *gc_flusher_main(void *arg) {
  store *s = arg;
  pthread_setname_np(pthread_self(), "uniops-flush");
  pthread_mutex_lock(&s->gc_mu);
  for (;;) {
    while (!s->gc_stop && !s->gc_flush_head) pthread_cond_wait(&s->gc_flush_cv, &s->gc_mu);
    if (!s->gc_flush_head) break; /* stopping, and nothing left to flush */
    gc_flush_item *items = s->gc_flush_head;
    s->gc_flush_head = s->gc_flush_tail = NULL;
    pthread_mutex_unlock(&s->gc_mu);
    err fe;
    err_clear(&fe);
    int64_t t0 = mono_us();
    int bad = s->be->flush(s->writer->h, &fe) != 0;
    int64_t spent = mono_us() - t0;
    pthread_mutex_lock(&s->gc_mu);
    s->gc_sync_us += spent;
    if (bad) {
      /* After a failed fsync the kernel may have dropped the dirty pages and report
       * success next time, so no later write could be trusted: refuse them all. */
      s->gc_poisoned = 1;
    }
    if (s->gc_poisoned && fe.code == ERR_ok)
      err_set(&fe, ERR_unavailable, NULL, "the database could not be flushed to disk; check the disk and restart the server");
    while (items) {
      gc_flush_item *next = items->next;
      gc_publish(s, items->batch, items->members, s->gc_poisoned, &fe, items->jobs);
      free(items);
      items = next;
    }
  }
  pthread_mutex_unlock(&s->gc_mu);
  return NULL;
}

static int gc_start_threads(store *s, err *e) {
  if (pthread_create(&s->gc_writer_thread, NULL, gc_writer_main, s) != 0)
    return err_set(e, ERR_internal, NULL, "cannot start the writer thread");
  if (pthread_create(&s->gc_flusher_thread, NULL, gc_flusher_main, s) != 0) {
    pthread_mutex_lock(&s->gc_mu);
    s->gc_stop = 1;
    pthread_cond_broadcast(&s->gc_writer_cv);
    pthread_mutex_unlock(&s->gc_mu);
    pthread_join(s->gc_writer_thread, NULL);
    return err_set(e, ERR_internal, NULL, "cannot start the flusher thread");
  }
  s->gc_threads = 1;
  return 0;
}

/* Every connection is back in the pool, so no job is queued; the flusher finishes what is
 * committed before it stops. */
static void gc_stop_threads(store *s) {
  if (!s->gc_threads) return;
  pthread_mutex_lock(&s->gc_mu);
  s->gc_stop = 1;
  pthread_cond_broadcast(&s->gc_writer_cv);
  pthread_cond_broadcast(&s->gc_flush_cv);
  pthread_mutex_unlock(&s->gc_mu);
  pthread_join(s->gc_writer_thread, NULL);
  pthread_join(s->gc_flusher_thread, NULL);
  s->gc_threads = 0;
}

int store_write_stats(store *s, uint64_t *commits, uint64_t *writes, double *busy_s, double *commit_s,
                      double *flush_s) {
  if (!s->writer) return -1;
  pthread_mutex_lock(&s->gc_mu);
  *commit_s = (double)s->gc_commit_us / 1e6;
  *flush_s = (double)s->gc_sync_us / 1e6;
  *commits = s->gc_commits;
  *writes = s->gc_committed_writes;
  *busy_s = (double)s->gc_busy_us / 1e6;
  pthread_mutex_unlock(&s->gc_mu);
  return 0;
}

int store_begin(store_conn *c, store_txmode mode, err *e) {
  if (c->snapshot) {
    if (mode == STORE_READ) {
      /* already reading one consistent state */
      c->in_tx = c->nested = 1;
      return 0;
    }
    /* a write: the reads after it must see it */
    end_snapshot(c);
  }
  if (c->owner->be->conn_check(c->h, e) != 0) {
    conn_drop_cache(c);
    return -1;
  }
  if (mode == STORE_WRITE && c->owner->writer) {
    if (gc_begin(c, e) != 0) return -1;
  } else if (c->owner->be->begin(c->h, mode, e) != 0) {
    return -1;
  }
  c->in_tx = 1;
  return 0;
}

int store_begin_own(store_conn *c, err *e) {
  end_snapshot(c);
  if (c->owner->be->conn_check(c->h, e) != 0) {
    conn_drop_cache(c);
    return -1;
  }
  if (c->owner->be->begin(c->h, STORE_WRITE, e) != 0) return -1;
  c->in_tx = 1;
  return 0;
}

int store_commit(store_conn *c, err *e) {
  int rc;
  if (c->nested) {
    c->nested = c->in_tx = 0;
    return 0;
  }
  if (c->redirect) {
    int joined = gc_sql(c->redirect, "RELEASE gc_member", e) == 0;
    if (!joined) gc_undo_member(c->redirect);
    rc = gc_end(c, joined, e);
    if (!joined) rc = -1;
  } else {
    rc = c->owner->be->commit(c->h, e);
  }
  c->in_tx = 0;
  return rc;
}

void store_rollback(store_conn *c) {
  if (!c || !c->in_tx) return;
  if (c->nested) {
    c->nested = c->in_tx = 0;
    return;
  }
  if (c->redirect) {
    gc_undo_member(c->redirect);
    gc_end(c, 0, NULL);
  } else {
    c->owner->be->rollback(c->h);
  }
  c->in_tx = 0;
}

int store_in_tx(const store_conn *c) { return c->in_tx; }

int store_exec_script(store_conn *c, const char *sql, err *e) {
  if (c->redirect) c = c->redirect;
  return c->owner->be->exec_script(c->h, sql, e);
}

static uint64_t fnv1a(const char *s) {
  uint64_t h = 1469598103934665603ULL;
  for (; *s; s++) h = (h ^ (unsigned char)*s) * 1099511628211ULL;
  return h;
}

store_stmt *store_prepare(store_conn *c, const char *sql, err *e) {
  if (c->redirect) c = c->redirect;
  uint64_t h = fnv1a(sql);
  c->tick++;
  for (int i = 0; i < c->ncache; i++) {
    store_stmt *st = c->cache[i];
    if (st->hash == h && !st->in_use && strcmp(st->sql, sql) == 0) {
      st->in_use = 1;
      st->last_used = c->tick;
      return st;
    }
  }
  void *impl = c->owner->be->stmt_prepare(c->h, sql, e);
  if (!impl) return NULL;
  if (c->ncache == STMT_CACHE_SIZE) {
    /* evict the least recently used statement that is not in use */
    int victim = -1;
    for (int i = 0; i < c->ncache; i++)
      if (!c->cache[i]->in_use && (victim < 0 || c->cache[i]->last_used < c->cache[victim]->last_used))
        victim = i;
    if (victim < 0) {
      c->owner->be->stmt_free(impl);
      err_set(e, ERR_internal, NULL, "statement cache exhausted");
      return NULL;
    }
    c->owner->be->stmt_free(c->cache[victim]->impl);
    free(c->cache[victim]->sql);
    free(c->cache[victim]);
    c->cache[victim] = c->cache[--c->ncache];
  }
  store_stmt *st = xcalloc(1, sizeof *st);
  st->conn = c;
  st->impl = impl;
  st->sql = xstrdup(sql);
  st->hash = h;
  st->in_use = 1;
  st->last_used = c->tick;
  c->cache[c->ncache++] = st;
  return st;
}

#define BE(st) ((st)->conn->owner->be)
void store_bind_int64(store_stmt *st, int idx, int64_t v) { BE(st)->bind_int64(st->impl, idx, v); }
void store_bind_text(store_stmt *st, int idx, const char *v) {
  if (v)
    BE(st)->bind_text(st->impl, idx, v);
  else
    BE(st)->bind_null(st->impl, idx);
}
void store_bind_null(store_stmt *st, int idx) { BE(st)->bind_null(st->impl, idx); }
int store_step(store_stmt *st, err *e) { return BE(st)->step(st->impl, e); }
int store_col_count(store_stmt *st) { return BE(st)->col_count(st->impl); }
const char *store_col_name(store_stmt *st, int col) { return BE(st)->col_name(st->impl, col); }
store_coltype store_col_type(store_stmt *st, int col) { return BE(st)->col_type(st->impl, col); }
int64_t store_col_int64(store_stmt *st, int col) { return BE(st)->col_int64(st->impl, col); }
double store_col_double(store_stmt *st, int col) { return BE(st)->col_double(st->impl, col); }
const char *store_col_text(store_stmt *st, int col) { return BE(st)->col_text(st->impl, col); }
int64_t store_changes(store_stmt *st) { return BE(st)->changes(st->impl); }

void store_finish(store_stmt *st) {
  if (!st) return;
  BE(st)->reset(st->impl);
  st->in_use = 0;
}

static void bind_va(store_stmt *st, const char *fmt, va_list ap) {
  int idx = 1;
  for (const char *f = fmt ? fmt : ""; *f; f++, idx++) {
    switch (*f) {
      case 'i': store_bind_int64(st, idx, va_arg(ap, int64_t)); break;
      case 's': store_bind_text(st, idx, va_arg(ap, const char *)); break;
      case 'n': store_bind_null(st, idx); break;
      default: abort(); /* BUG: unknown bind letter */
    }
  }
}

store_stmt *store_query(store_conn *c, err *e, const char *sql, const char *fmt, ...) {
  store_stmt *st = store_prepare(c, sql, e);
  if (!st) return NULL;
  va_list ap;
  va_start(ap, fmt);
  bind_va(st, fmt, ap);
  va_end(ap);
  return st;
}

/* A statement that writes, run outside a transaction, on a group-commit store: it must go
 * through the writer too, or it would wait in SQLite's busy handler (sleeping up to a second
 * at a time) for a gap between batches that a busy writer rarely leaves. */
static int autocommit_write(const store_conn *c, const char *sql) {
  if (c->in_tx || !c->owner->writer) return 0;
  while (*sql == ' ' || *sql == '\n' || *sql == '\t') sql++;
  static const char *const verbs[] = {"INSERT", "UPDATE", "DELETE", "REPLACE"};
  for (size_t i = 0; i < sizeof verbs / sizeof *verbs; i++)
    if (strncasecmp(sql, verbs[i], strlen(verbs[i])) == 0) return 1;
  return 0;
}

static int64_t run_va(store_conn *c, err *e, int64_t *first, int *got_row, const char *sql, const char *fmt,
                      va_list ap) {
  store_stmt *st = store_prepare(c, sql, e);
  if (!st) return -1;
  bind_va(st, fmt, ap);
  int rc, row = 0;
  /* store_query_int (got_row) wants the first row only; store_run runs to the end */
  while ((rc = store_step(st, e)) == STORE_ROW) {
    if (!row && first) *first = store_col_int64(st, 0);
    row = 1;
    if (got_row) break;
  }
  if (got_row) *got_row = row;
  int64_t n = rc < 0 ? -1 : got_row ? 0 : store_changes(st);
  store_finish(st);
  return n;
}

/* run_va inside its own write transaction when autocommit_write says so. */
static int64_t run_maybe_tx(store_conn *c, err *e, int64_t *first, int *got_row, const char *sql, const char *fmt,
                            va_list ap) {
  if (!autocommit_write(c, sql)) return run_va(c, e, first, got_row, sql, fmt, ap);
  if (store_begin(c, STORE_WRITE, e) != 0) return -1;
  int64_t n = run_va(c, e, first, got_row, sql, fmt, ap);
  if (n < 0) {
    store_rollback(c);
    return -1;
  }
  return store_commit(c, e) == 0 ? n : -1;
}

int64_t store_run(store_conn *c, err *e, const char *sql, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  int64_t n = run_maybe_tx(c, e, NULL, NULL, sql, fmt, ap);
  va_end(ap);
  return n;
}

static int64_t run_cached(store_conn *c, err *e, const char *sql) { return store_run(c, e, sql, NULL); }

int store_query_int(store_conn *c, err *e, int64_t *out, const char *sql, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  int row = 0;
  int64_t n = run_maybe_tx(c, e, out, &row, sql, fmt, ap);
  va_end(ap);
  if (n < 0) return -1;
  return row ? STORE_ROW : STORE_DONE;
}

int store_ping(store *s, err *e) {
  store_conn *c = store_acquire(s, e);
  if (!c) return -1;
  int64_t one = 0;
  int rc = store_query_int(c, e, &one, "SELECT 1", NULL);
  store_release(s, c);
  return rc == STORE_ROW && one == 1 ? 0 : -1;
}
