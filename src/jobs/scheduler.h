/* scheduler.h — background jobs of a `uniops serve` process.
 *
 * One thread ticks every second and runs each job whose interval has passed. A job is
 * either shared (every instance runs it; work is split by claiming rows with
 * FOR UPDATE SKIP LOCKED, e.g. outbox delivery) or singleton (exactly one instance at a
 * time runs it: on PostgreSQL a transaction-scoped advisory lock, on SQLite the single
 * process owns the file).
 */
#ifndef UNIOPS_SCHEDULER_H
#define UNIOPS_SCHEDULER_H

#include "store/store.h"

typedef struct scheduler scheduler;

/* Starts the thread. instance names this process in claims ("host:pid"). */
scheduler *scheduler_start(store *s, err *e);
/* Stops the thread after the job in progress (if any) finishes. NULL-safe. */
void scheduler_stop(scheduler *sch);
/* This process's instance name. */
const char *scheduler_instance(const scheduler *sch);

/* Runs one round of outbox delivery (claim, send, settle); returns items settled or -1.
 * Exposed for tests and the CLI. */
int job_outbox_deliver(store *s, const char *instance, err *e);

#endif
