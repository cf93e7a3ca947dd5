/* demo.h — the parts of the demo city, each loaded in the caller's write transaction
 * and audited as operator actions. Each returns how many records it wrote, or -1. */
#ifndef UNIOPS_DEMO_H
#define UNIOPS_DEMO_H

#include "store/store.h"

int demo_load_catalog(store_conn *c, err *e);
/* Calendars ("办公时间" with the State Council's 2025–2026 holidays, "7x24") and three
 * agreements; org_ids are the demo organisations by key (see cmd_demo.c). */
int demo_load_sla(store_conn *c, int64_t provider1, int64_t provider2, int64_t edu, int64_t health, err *e);

/* n work orders over the last 90 days in every state, on a simulated clock. */
int demo_load_workorders(store_conn *c, int n, err *e);

/* data/cn-holidays-2025-2026.json, embedded at build time. */
extern const char demo_holidays_json[];

#endif
