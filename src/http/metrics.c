/* metrics.c — in-memory request metrics behind one mutex (cheap next to a request). */
#include "http/metrics.h"

#include <inttypes.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#define MAX_STATUSES 12
static const double buckets_s[] = {0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5};
#define NBUCKETS (sizeof buckets_s / sizeof buckets_s[0])

typedef struct route_stats {
  unsigned statuses[MAX_STATUSES];
  uint64_t counts[MAX_STATUSES];
  int nstatuses;
  uint64_t bucket_counts[NBUCKETS];
  uint64_t total;
  double sum_s;
} route_stats;

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static const route *routes;
static int nroutes;
static route_stats *stats; /* nroutes + 1, the last for unmatched */

void metrics_init(const route *table, int n) {
  routes = table;
  nroutes = n;
  stats = calloc((size_t)n + 1, sizeof *stats);
}

void metrics_free(void) {
  free(stats);
  stats = NULL;
}

void metrics_observe(int idx, unsigned status, int64_t duration_us) {
  if (!stats) return;
  if (idx < 0 || idx >= nroutes) idx = nroutes;
  double s = (double)duration_us / 1e6;
  pthread_mutex_lock(&mu);
  route_stats *rs = &stats[idx];
  int i;
  for (i = 0; i < rs->nstatuses; i++)
    if (rs->statuses[i] == status) break;
  if (i == rs->nstatuses && rs->nstatuses < MAX_STATUSES) rs->statuses[rs->nstatuses++] = status;
  if (i < MAX_STATUSES) rs->counts[i]++;
  for (size_t b = 0; b < NBUCKETS; b++)
    if (s <= buckets_s[b]) rs->bucket_counts[b]++;
  rs->total++;
  rs->sum_s += s;
  pthread_mutex_unlock(&mu);
}

static void route_label(strbuf *out, int idx) {
  if (idx == nroutes)
    sb_addf(out, "method=\"\",route=\"unmatched\"");
  else
    sb_addf(out, "method=\"%s\",route=\"%s\"", routes[idx].method, routes[idx].pattern);
}

void metrics_render(strbuf *out, int64_t started_at_ms) {
  sb_adds(out, "# HELP uniops_http_requests_total HTTP requests by route and status.\n"
               "# TYPE uniops_http_requests_total counter\n");
  pthread_mutex_lock(&mu);
  for (int r = 0; stats && r <= nroutes; r++) {
    for (int i = 0; i < stats[r].nstatuses; i++) {
      sb_adds(out, "uniops_http_requests_total{");
      route_label(out, r);
      sb_addf(out, ",status=\"%u\"} %" PRIu64 "\n", stats[r].statuses[i], stats[r].counts[i]);
    }
  }
  sb_adds(out, "# HELP uniops_http_request_duration_seconds Time from request to response.\n"
               "# TYPE uniops_http_request_duration_seconds histogram\n");
  for (int r = 0; stats && r <= nroutes; r++) {
    if (!stats[r].total) continue;
    for (size_t b = 0; b < NBUCKETS; b++) {
      sb_adds(out, "uniops_http_request_duration_seconds_bucket{");
      route_label(out, r);
      sb_addf(out, ",le=\"%g\"} %" PRIu64 "\n", buckets_s[b], stats[r].bucket_counts[b]);
    }
    sb_adds(out, "uniops_http_request_duration_seconds_bucket{");
    route_label(out, r);
    sb_addf(out, ",le=\"+Inf\"} %" PRIu64 "\n", stats[r].total);
    sb_adds(out, "uniops_http_request_duration_seconds_sum{");
    route_label(out, r);
    sb_addf(out, "} %.6f\n", stats[r].sum_s);
    sb_adds(out, "uniops_http_request_duration_seconds_count{");
    route_label(out, r);
    sb_addf(out, "} %" PRIu64 "\n", stats[r].total);
  }
  pthread_mutex_unlock(&mu);
  sb_addf(out,
          "# HELP process_start_time_seconds Start time of the process since the Unix epoch.\n"
          "# TYPE process_start_time_seconds gauge\nprocess_start_time_seconds %" PRId64 ".%03d\n",
          started_at_ms / 1000, (int)(started_at_ms % 1000));
}
