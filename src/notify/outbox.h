/* outbox.h — the transactional outbox: notifications written with the change they report,
 * delivered afterwards by a job, at least once, each with a stable delivery id.
 *
 * Events are named "<resource>.<action>" (e.g. "org.create", "user.deactivate",
 * "session.login_failed"); a subscription's `events` is "*" or a comma list of names or
 * "<resource>.*" prefixes.
 */
#ifndef UNIOPS_OUTBOX_H
#define UNIOPS_OUTBOX_H

#include <jansson.h>
#include <stdint.h>

#include "store/store.h"

/* Inside the caller's write transaction: one outbox row per active subscription whose
 * filter matches `event`. payload is borrowed. */
int outbox_emit(store_conn *c, const char *event, const json_t *payload, err *e);

/* Does a subscription filter match an event name? Pure. */
int outbox_filter_matches(const char *filter, const char *event);

/* One claimed delivery. */
typedef struct outbox_item {
  int64_t id;
  int64_t webhook_id;
  char delivery_id[40];
  char event[80];
  char *payload;    /* heap */
  char kind[16];
  char *url;        /* heap, decrypted */
  char *secret;     /* heap, decrypted, may be NULL */
  int attempts;
} outbox_item;

/* Claims up to max due pending rows for `instance` with a lease of lease_ms (PostgreSQL:
 * FOR UPDATE SKIP LOCKED, so instances never claim the same row). Returns how many. */
int outbox_claim(store *s, const char *instance, int64_t lease_ms, outbox_item *items, int max, err *e);
/* Records the outcome: delivered, or failed (retry with backoff; dead after max attempts). */
int outbox_finish(store *s, const char *instance, const outbox_item *it, int ok, const char *error, err *e);
void outbox_item_free(outbox_item *it);
/* Hands a claimed item back untouched, to be tried again after delay_ms (rate limits:
 * not a failed attempt). */
int outbox_postpone(store *s, const char *instance, const outbox_item *it, int64_t delay_ms, err *e);
/* Deliveries to one subscription in the last minute. */
int64_t outbox_sent_last_minute(store *s, int64_t webhook_id, err *e);

#define OUTBOX_MAX_ATTEMPTS 8

#endif
