/* escalation.h — the SLA jobs: warnings before a breach, escalation at breach, and the
 * automatic closing of resolved orders nobody confirmed. Each is idempotent (a flag set in
 * the same transaction as the audit record and its outbox event) so a restart never
 * notifies twice; each runs as a singleton job (one instance at a time). */
#ifndef UNIOPS_ESCALATION_H
#define UNIOPS_ESCALATION_H

#include "store/store.h"

/* One pass: warnings and breach escalations due now. Returns notifications written or -1. */
int wo_escalation_run(store *s, const char *instance, err *e);
/* One pass of auto-closing (WO_AUTO_CLOSE_DAYS business days after resolving). */
int wo_autoclose_run(store *s, const char *instance, err *e);
/* The escalation job's two scan queries as of `now`, rows read and counted but nothing sent
 * (`uniops sla breach-scan` times them): at most 200 each, as the job reads them. */
int wo_breach_scan_count(store_conn *c, int64_t now, int *warn, int *breach, err *e);

#endif
