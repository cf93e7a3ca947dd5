/* workorders.h — work orders (工单): creation with the impact × urgency priority and the
 * SLA agreement in force, the lifecycle actions, SLA clocks, comments and work logs,
 * satisfaction and callbacks (回访), scoped reads. */
#ifndef UNIOPS_WORKORDERS_H
#define UNIOPS_WORKORDERS_H

#include <stdint.h>

#include "http/req.h"

void wo_list(req *r);       /* GET /api/v1/work-orders */
void wo_get(req *r);        /* GET /api/v1/work-orders/{id} */
void wo_create(req *r);     /* POST /api/v1/work-orders */
void wo_action_h(req *r);   /* POST /api/v1/work-orders/{id}/actions {"action": …} */
void wo_comment(req *r);    /* POST /api/v1/work-orders/{id}/comments {"body"} */
void wo_worklog(req *r);    /* POST /api/v1/work-orders/{id}/worklogs {"body","minutes"} */
void wo_events(req *r);     /* GET /api/v1/work-orders/{id}/events */
void wo_callback(req *r);   /* POST /api/v1/work-orders/{id}/callbacks */
void wo_callback_sample(req *r); /* GET /api/v1/work-orders/callback-sample */

/* Who is acting: a principal (API) or the system (jobs, the demo loader). */
typedef struct wo_actor {
  const principal *who; /* NULL: the system */
  const char *name;     /* "system" when who is NULL */
  const char *ip, *request_id;
} wo_actor;

/* Creates a work order from a body as POST would, in the caller's write transaction
 * (audited, events written). `trusted` skips the principal's permission checks (demo).
 * When out is non-NULL it receives the new record (the one already loaded for the audit
 * record, so callers need not read it again); the caller decrefs. */
int wo_create_core(store_conn *c, const wo_actor *a, json_t *body, int trusted, int64_t *id, json_t **out, err *e);
/* Applies an action in the caller's write transaction (audited); out as above. */
int wo_apply(store_conn *c, const wo_actor *a, int64_t id, const json_t *body, int trusted, json_t **out, err *e);

/* The work order as JSON with its clocks (state as of now). */
int wo_load_json(store_conn *c, int64_t id, json_t **out, err *e);

/* The work order if the request's principal may `action` it ("read", "comment") within its
 * scope; otherwise replies (403, or 404 out of scope) and returns NULL. Caller decrefs. */
json_t *wo_load_scoped(req *r, store_conn *c, int64_t id, const char *action);

/* Auto-close: resolved orders unanswered for this many business days are closed. */
#define WO_AUTO_CLOSE_DAYS 3
/* Warn when this share of a target is used. */
#define WO_WARN_PCT 80

#endif
