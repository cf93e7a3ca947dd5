/* system.h — liveness, readiness, metrics, and the test clock seam. */
#ifndef UNIOPS_SYSTEM_H
#define UNIOPS_SYSTEM_H

#include "http/req.h"

void system_healthz(req *r);
void system_readyz(req *r);
void system_metrics(req *r);
/* PUT /api/v1/test/clock {"offset_s": N} — 404 unless UNIOPS_TEST_CLOCK=1 at start. */
void system_test_clock(req *r);

#endif
