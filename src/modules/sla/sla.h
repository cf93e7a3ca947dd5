/* sla.h — service level agreements (服务级别协议, clause 9.1.2): versioned agreements
 * between a provider and a customer (or every customer), their API, and the resolution of
 * "which agreement and targets apply" that work-order clocks are started from. */
#ifndef UNIOPS_SLA_H
#define UNIOPS_SLA_H

#include <stdint.h>

#include "http/req.h"
#include "modules/sla/sla_terms.h"

void sla_list(req *r);
void sla_get(req *r);
void sla_create(req *r);
void sla_put(req *r);            /* a new version, If-Match the record version */
void sla_versions(req *r);       /* GET …/{id}/versions */
void sla_version_get(req *r);    /* GET …/{id}/versions/{no} */
void sla_deactivate(req *r);
void sla_activate(req *r);
void sla_resolve_h(req *r);      /* GET /api/v1/sla/resolve */

typedef struct sla_query {
  int64_t customer_org_id;  /* required */
  int64_t provider_org_id;  /* 0 = any */
  int64_t catalog_item_id;  /* 0 = none */
  const char *priority;     /* "P1".."P4" */
  int64_t at_ms;
} sla_query;

typedef struct sla_resolution {
  int64_t agreement_id, sla_version_id, version_no, provider_org_id, calendar_id;
  int64_t customer_org_id; /* 0 = every customer */
  sla_targets targets;
  char source[24];
  char guarantee[128]; /* "" when none */
  char agreement_name[128];
} sla_resolution;

/* The agreement version in effect at q->at_ms for the customer (its own agreement, else its
 * nearest parent organisation's, else an every-customer one) and provider, and the targets
 * for the priority and item. ERR_not_found when none applies; ERR_conflict when two are
 * equally specific (name the provider). */
int sla_resolve(store_conn *c, const sla_query *q, sla_resolution *out, err *e);

/* Creates an agreement from a create body in the caller's write transaction (no audit). */
int sla_insert(store_conn *c, const char *actor, json_t *body, int64_t *id, err *e);

#endif
