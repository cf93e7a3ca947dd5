/* metrics.h — request counters and latency histograms in Prometheus text format.
 * Keyed by route index (the router table position; -1 for unmatched) and status. */
#ifndef UNIOPS_METRICS_H
#define UNIOPS_METRICS_H

#include <stdint.h>

#include "core/strbuf.h"
#include "http/router.h"

/* Sizes the tables for a route table of n entries; call once before serving. */
void metrics_init(const route *routes, int n);
void metrics_free(void);
/* Records one request; route_idx -1 means no route matched. */
void metrics_observe(int route_idx, unsigned status, int64_t duration_us);
/* Appends the exposition text (counters, histogram, process start time). */
void metrics_render(strbuf *out, int64_t started_at_ms);

#endif
