/* raw_insert.c — the machine's ceiling for durable SQLite writes, to compare our create
 * rate with: one small row per transaction, journal_mode=WAL and synchronous=FULL as the
 * store uses (src/store/sqlite.c), so each commit waits for the WAL's fsync. Nothing of
 * uniops runs here: what is left is SQLite plus the disk's flush latency.
 *
 *   raw_insert PATH SECONDS [THREADS]
 *
 * THREADS (default 1) writers each open their own connection and take turns on the write
 * lock (busy timeout), as concurrent requests would without any group commit. Prints one
 * line: "raw_insert threads=T rows=N seconds=S rate=R/s". The file is removed first. */
#include <pthread.h>
#include <sqlite3.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

typedef struct worker {
  const char *path;
  double until;
  long rows;
  int failed;
} worker;

static double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static sqlite3 *open_db(const char *path) {
  sqlite3 *db = NULL;
  if (sqlite3_open(path, &db) != SQLITE_OK) {
    fprintf(stderr, "raw_insert: %s: %s\n", path, db ? sqlite3_errmsg(db) : "out of memory");
    sqlite3_close(db);
    return NULL;
  }
  sqlite3_busy_timeout(db, 10000);
  /* the store's settings: every commit is fsync'ed to the WAL before it returns */
  if (sqlite3_exec(db, "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;", NULL, NULL, NULL) != SQLITE_OK) {
    fprintf(stderr, "raw_insert: %s\n", sqlite3_errmsg(db));
    sqlite3_close(db);
    return NULL;
  }
  return db;
}

static void *run(void *arg) {
  worker *w = arg;
  sqlite3 *db = open_db(w->path);
  if (!db) {
    w->failed = 1;
    return NULL;
  }
  sqlite3_stmt *st = NULL;
  if (sqlite3_prepare_v2(db, "INSERT INTO t (at, body) VALUES (?, ?)", -1, &st, NULL) != SQLITE_OK) {
    fprintf(stderr, "raw_insert: %s\n", sqlite3_errmsg(db));
    w->failed = 1;
    sqlite3_close(db);
    return NULL;
  }
  /* a body the size of a small work order row, so the WAL frames are realistic */
  static const char body[] =
      "{\"type\":\"incident\",\"impact\":\"medium\",\"urgency\":\"high\",\"title\":\"raw insert\"}";
  while (now_s() < w->until) {
    sqlite3_bind_int64(st, 1, (sqlite3_int64)time(NULL));
    sqlite3_bind_text(st, 2, body, -1, SQLITE_STATIC);
    int rc = sqlite3_step(st); /* autocommit: one transaction, one WAL fsync */
    sqlite3_reset(st);
    if (rc != SQLITE_DONE) {
      fprintf(stderr, "raw_insert: %s\n", sqlite3_errmsg(db));
      w->failed = 1;
      break;
    }
    w->rows++;
  }
  sqlite3_finalize(st);
  sqlite3_close(db);
  return NULL;
}

int main(int argc, char **argv) {
  if (argc < 3 || argc > 4) {
    fprintf(stderr, "usage: raw_insert PATH SECONDS [THREADS]\n");
    return 2;
  }
  const char *path = argv[1];
  double seconds = atof(argv[2]);
  int threads = argc == 4 ? atoi(argv[3]) : 1;
  if (seconds <= 0 || threads < 1 || threads > 256) {
    fprintf(stderr, "raw_insert: SECONDS > 0 and THREADS 1..256\n");
    return 2;
  }
  char side[4096];
  unlink(path);
  snprintf(side, sizeof side, "%s-wal", path);
  unlink(side);
  snprintf(side, sizeof side, "%s-shm", path);
  unlink(side);
  sqlite3 *db = open_db(path);
  if (!db) return 1;
  if (sqlite3_exec(db, "CREATE TABLE t (id INTEGER PRIMARY KEY, at INTEGER NOT NULL, body TEXT NOT NULL)", NULL, NULL,
                   NULL) != SQLITE_OK) {
    fprintf(stderr, "raw_insert: %s\n", sqlite3_errmsg(db));
    sqlite3_close(db);
    return 1;
  }
  sqlite3_close(db);
  worker *ws = calloc((size_t)threads, sizeof *ws);
  pthread_t *ts = calloc((size_t)threads, sizeof *ts);
  if (!ws || !ts) return 1;
  double start = now_s();
  for (int i = 0; i < threads; i++) {
    ws[i].path = path;
    ws[i].until = start + seconds;
    pthread_create(&ts[i], NULL, run, &ws[i]);
  }
  long rows = 0;
  int failed = 0;
  for (int i = 0; i < threads; i++) {
    pthread_join(ts[i], NULL);
    rows += ws[i].rows;
    failed |= ws[i].failed;
  }
  double took = now_s() - start;
  printf("raw_insert threads=%d rows=%ld seconds=%.1f rate=%.0f/s\n", threads, rows, took, (double)rows / took);
  free(ws);
  free(ts);
  return failed ? 1 : 0;
}
